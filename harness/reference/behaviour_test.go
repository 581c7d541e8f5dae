package reference

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- the outcome matrix (contract §0) ----

func TestCancelMatrix(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	for _, st := range allStatuses {
		t.Run(st, func(t *testing.T) {
			pi := h.intentIn(st)
			id := pi.str("id")
			clock.Advance(time.Minute)
			r := h.post("/v1/payment_intents/"+id+"/cancel", "")
			switch st {
			case StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusRequiresAction, StatusRequiresCapture:
				expectStatus(t, r, 200)
				if r.str("status") != StatusCanceled {
					t.Fatalf("status %s", r.str("status"))
				}
				if r.num("canceled_at") != clock.Now().Unix() {
					t.Errorf("canceled_at %d, want %d", r.num("canceled_at"), clock.Now().Unix())
				}
				if r.get("cancellation_reason") != nil {
					t.Errorf("cancellation_reason %v, want null", r.get("cancellation_reason"))
				}
				if r.num("amount_capturable") != 0 || r.num("amount_received") != 0 {
					t.Errorf("amount_capturable %d amount_received %d", r.num("amount_capturable"), r.num("amount_received"))
				}
				if r.get("next_action") != nil {
					t.Errorf("next_action %v", r.get("next_action"))
				}
				for _, f := range []string{"amount", "currency", "latest_charge", "payment_method", "metadata", "created", "client_secret"} {
					if a, b := pi.get(f), r.get(f); !jsonEqual(a, b) {
						t.Errorf("%s changed: %v -> %v", f, a, b)
					}
				}
				g := h.get("/v1/payment_intents/"+id, "")
				if !jsonEqual(g.Body, r.Body) {
					t.Errorf("GET after cancel differs from the cancel response")
				}
			default:
				expectStatus(t, r, 400)
				if r.str("error.type") != "invalid_request_error" || r.str("error.code") != "payment_intent_unexpected_state" {
					t.Fatalf("error %s", r.Raw)
				}
				want := "You cannot cancel this PaymentIntent because it has a status of " + st + ". Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."
				if r.str("error.message") != want {
					t.Errorf("message %q", r.str("error.message"))
				}
				if r.str("error.payment_intent.status") != st || r.str("error.payment_intent.id") != id {
					t.Errorf("embedded payment_intent %v", r.get("error.payment_intent"))
				}
				g := h.get("/v1/payment_intents/"+id, "")
				if g.str("status") != st {
					t.Errorf("status after failed cancel %s", g.str("status"))
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	return string(marshal(a)) == string(marshal(b))
}

func TestCancelFromRequiresCaptureRefunds(t *testing.T) {
	cases := map[string]any{"": nil, "requested_by_customer": "requested_by_customer", "duplicate": "duplicate",
		"fraudulent": "fraudulent", "abandoned": nil}
	for reason, wantRefundReason := range cases {
		t.Run("reason="+reason, func(t *testing.T) {
			h := newHarness(t, Options{})
			pi := h.intentIn(StatusRequiresCapture)
			id, ch := pi.str("id"), pi.str("latest_charge")
			if pi.num("amount_capturable") != 2000 {
				t.Fatalf("amount_capturable %d", pi.num("amount_capturable"))
			}
			form := "expand[]=latest_charge.refunds"
			if reason != "" {
				form += "&cancellation_reason=" + reason
			}
			r := h.post("/v1/payment_intents/"+id+"/cancel", form)
			expectStatus(t, r, 200)
			if got := r.get("cancellation_reason"); reason == "" && got != nil || reason != "" && got != reason {
				t.Errorf("cancellation_reason %v", got)
			}
			lc := "latest_charge."
			if r.get(lc+"captured") != false || r.get(lc+"refunded") != true || r.num(lc+"amount_refunded") != 2000 ||
				r.str(lc+"status") != "succeeded" || r.num(lc+"amount_captured") != 0 {
				t.Errorf("charge after cancel: %v", r.get("latest_charge"))
			}
			data, _ := r.get(lc + "refunds.data").([]any)
			if len(data) != 1 {
				t.Fatalf("charge.refunds.data has %d refunds", len(data))
			}
			ref := resp{Body: data[0].(map[string]any)}
			if ref.num("amount") != 2000 || ref.str("status") != "succeeded" || ref.get("reason") != wantRefundReason ||
				ref.str("charge") != ch || ref.str("payment_intent") != id {
				t.Errorf("refund %v", ref.Body)
			}
			l := h.get("/v1/refunds", "payment_intent="+id)
			if n := len(l.get("data").([]any)); n != 1 || l.str("data.0.id") != ref.str("id") {
				t.Errorf("GET /v1/refunds?payment_intent: %s", l.Raw)
			}
			g := h.get("/v1/refunds/"+ref.str("id"), "")
			expectStatus(t, g, 200)
			c := h.get("/v1/charges/"+ch, "expand[]=refunds")
			if c.str("refunds.object") != "list" || c.str("refunds.data.0.id") != ref.str("id") {
				t.Errorf("charge refunds %s", c.Raw)
			}
			if _, present := h.get("/v1/charges/"+ch, "").Body["refunds"]; present {
				t.Errorf("charge.refunds present without expand")
			}
		})
	}
}

func TestOperationsAfterCancel(t *testing.T) {
	h := newHarness(t, Options{})
	for _, st := range DefaultCancelableStatuses {
		pi := h.intentIn(st)
		id := pi.str("id")
		expectStatus(t, h.post("/v1/payment_intents/"+id+"/cancel", ""), 200)
		checks := []struct {
			path, form, param, prefix string
		}{
			{"/confirm", "", "", "You cannot confirm this PaymentIntent because it has a status of canceled."},
			{"/confirm", "payment_method=pm_card_visa", "payment_method", "This PaymentIntent's payment_method could not be updated because it has a status of canceled."},
			{"/capture", "", "", "This PaymentIntent could not be captured because it has a status of canceled."},
			{"", "amount=3000", "amount", "This PaymentIntent's amount could not be updated because it has a status of canceled."},
			{"/increment_authorization", "amount=3000", "", "This PaymentIntent's amount could not be incremented because it has a status of canceled."},
			{"/cancel", "", "", "You cannot cancel this PaymentIntent because it has a status of canceled."},
		}
		for _, c := range checks {
			r := h.post("/v1/payment_intents/"+id+c.path, c.form)
			expectStatus(t, r, 400)
			if r.str("error.code") != "payment_intent_unexpected_state" || r.str("error.payment_intent.status") != "canceled" ||
				!strings.HasPrefix(r.str("error.message"), c.prefix) || r.str("error.param") != c.param {
				t.Errorf("%s %s on canceled (from %s): %s", c.path, c.form, st, r.Raw)
			}
		}
		// Metadata-only update is accepted and the status stays canceled.
		r := h.post("/v1/payment_intents/"+id, "metadata[note]=after&description=later")
		expectStatus(t, r, 200)
		if r.str("status") != "canceled" || r.str("metadata.note") != "after" || r.str("description") != "later" {
			t.Errorf("metadata update on canceled: %s", r.Raw)
		}
	}
}

func TestOtherStateErrors(t *testing.T) {
	h := newHarness(t, Options{})
	succ := h.intentIn(StatusSucceeded).str("id")
	r := h.post("/v1/payment_intents/"+succ+"/confirm", "")
	if r.Status != 400 || r.str("error.message") != "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed." {
		t.Errorf("confirm succeeded: %s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+succ+"/capture", "")
	if r.Status != 400 || !strings.Contains(r.str("error.message"), "status of succeeded") {
		t.Errorf("capture succeeded: %s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+succ, "amount=100")
	if r.Status != 400 || r.str("error.param") != "amount" || r.str("error.code") != "payment_intent_unexpected_state" {
		t.Errorf("update amount succeeded: %s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+succ, "metadata[a]=b")
	expectStatus(t, r, 200)
	rpm := h.intentIn(StatusRequiresPaymentMethod).str("id")
	r = h.post("/v1/payment_intents/"+rpm+"/capture", "")
	if r.Status != 400 || r.str("error.code") != "payment_intent_unexpected_state" {
		t.Errorf("capture rpm: %s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+rpm+"/confirm", "")
	if r.Status != 400 || r.str("error.code") != "payment_intent_unexpected_state" || !strings.Contains(r.str("error.message"), "missing a payment method") {
		t.Errorf("confirm without pm: %s", r.Raw)
	}
	proc := h.intentIn(StatusProcessing).str("id")
	for _, p := range []string{"/confirm", "/capture", "/increment_authorization?amount=5000"} {
		path, q, _ := strings.Cut(p, "?")
		r = h.post("/v1/payment_intents/"+proc+path, q)
		if r.Status != 400 || r.str("error.code") != "payment_intent_unexpected_state" || r.str("error.payment_intent.status") != "processing" {
			t.Errorf("%s on processing: %s", p, r.Raw)
		}
	}
}

// ---- processing ----

func TestProcessingRefusedByDefault(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.intentIn(StatusProcessing).str("id")
	r := h.post("/v1/payment_intents/"+id+"/cancel", "")
	expectStatus(t, r, 400)
	if r.str("error.code") != "payment_intent_unexpected_state" {
		t.Fatalf("%s", r.Raw)
	}
	// Stays processing until advanced.
	if g := h.get("/v1/payment_intents/"+id, ""); g.str("status") != StatusProcessing {
		t.Fatalf("status %s", g.str("status"))
	}
	r = h.post("/v1/test_helpers/payment_intents/"+id+"/finish_processing", "expand[]=latest_charge")
	expectStatus(t, r, 200)
	if r.str("status") != StatusSucceeded || r.num("amount_received") != 1000 || r.str("latest_charge.status") != "succeeded" || r.get("latest_charge.paid") != true {
		t.Fatalf("after finish_processing: %s", r.Raw)
	}
	r = h.post("/v1/test_helpers/payment_intents/"+id+"/finish_processing", "")
	if r.Status != 400 || r.str("error.code") != "payment_intent_unexpected_state" {
		t.Errorf("finish_processing twice: %s", r.Raw)
	}
	if r := h.post("/v1/test_helpers/payment_intents/pi_nope/finish_processing", ""); r.Status != 404 {
		t.Errorf("finish_processing unknown: %d", r.Status)
	}
}

func TestAllowCancelProcessing(t *testing.T) {
	h := newHarness(t, Options{AllowCancelProcessing: true})
	pi := h.intentIn(StatusProcessing)
	r := h.post("/v1/payment_intents/"+pi.str("id")+"/cancel", "cancellation_reason=abandoned&expand[]=latest_charge")
	expectStatus(t, r, 200)
	if r.str("status") != StatusCanceled || r.str("cancellation_reason") != "abandoned" || r.str("latest_charge.status") != "failed" {
		t.Fatalf("%s", r.Raw)
	}
	if got := h.srv.CancelableStatuses(); len(got) != 5 {
		t.Errorf("CancelableStatuses %v", got)
	}
}

func TestProcessingDelay(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now, ProcessingDelay: 10 * time.Second})
	id := h.intentIn(StatusProcessing).str("id")
	clock.Advance(9 * time.Second)
	if st := h.get("/v1/payment_intents/"+id, "").str("status"); st != StatusProcessing {
		t.Fatalf("after 9s: %s", st)
	}
	clock.Advance(time.Second)
	if st := h.get("/v1/payment_intents/"+id, "").str("status"); st != StatusSucceeded {
		t.Fatalf("after 10s: %s", st)
	}
	// The cancel of a due intent sees it succeeded.
	id2 := h.intentIn(StatusProcessing).str("id")
	clock.Advance(time.Minute)
	r := h.post("/v1/payment_intents/"+id2+"/cancel", "")
	if r.Status != 400 || r.str("error.payment_intent.status") != StatusSucceeded {
		t.Errorf("cancel after delay: %s", r.Raw)
	}
	if pi, ok := h.srv.Intent(id2); !ok || pi.Status != StatusSucceeded {
		t.Errorf("Intent() %v", pi.Status)
	}
}

// ---- idempotency ----

func TestIdempotencyReplay(t *testing.T) {
	h := newHarness(t, Options{})
	a := h.post("/v1/payment_intents", cardPI, withIdem("key-1"))
	b := h.post("/v1/payment_intents", cardPI, withIdem("key-1"))
	expectStatus(t, b, 200)
	if string(a.Raw) != string(b.Raw) {
		t.Fatalf("replayed body differs")
	}
	if b.Header.Get("Idempotent-Replayed") != "true" || a.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("Idempotent-Replayed headers: first %q replay %q", a.Header.Get("Idempotent-Replayed"), b.Header.Get("Idempotent-Replayed"))
	}
	if b.Header.Get("Original-Request") != a.Header.Get("Request-Id") || b.Header.Get("Request-Id") == a.Header.Get("Request-Id") {
		t.Errorf("request ids: %v %v", a.Header, b.Header)
	}
	if n := len(h.srv.Intents()); n != 1 {
		t.Errorf("%d intents created", n)
	}
	// Parameter order does not matter.
	c := h.post("/v1/payment_intents", "payment_method_types[]=card&currency=usd&amount=2000", withIdem("key-1"))
	if c.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("reordered params not replayed: %s", c.Raw)
	}
	// Different parameters.
	d := h.post("/v1/payment_intents", cardPI+"&description=x", withIdem("key-1"))
	if d.Status != 400 || d.str("error.type") != "idempotency_error" || !strings.Contains(d.str("error.message"), "same parameters") {
		t.Errorf("mismatch: %s", d.Raw)
	}
	// Different endpoint.
	e := h.post("/v1/payment_intents/"+a.str("id")+"/cancel", "", withIdem("key-1"))
	if e.Status != 400 || e.str("error.type") != "idempotency_error" || !strings.Contains(e.str("error.message"), "same endpoint") {
		t.Errorf("endpoint mismatch: %s", e.Raw)
	}
	// A cancel replayed returns 200 again, not a second-cancel 400.
	c1 := h.post("/v1/payment_intents/"+a.str("id")+"/cancel", "", withIdem("cancel-1"))
	c2 := h.post("/v1/payment_intents/"+a.str("id")+"/cancel", "", withIdem("cancel-1"))
	if c1.Status != 200 || c2.Status != 200 || c2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("cancel replay: %d %d", c1.Status, c2.Status)
	}
	// Errors produced by the endpoint (state errors) are stored too.
	s1 := h.post("/v1/payment_intents/"+a.str("id")+"/cancel", "", withIdem("cancel-2"))
	s2 := h.post("/v1/payment_intents/"+a.str("id")+"/cancel", "", withIdem("cancel-2"))
	if s1.Status != 400 || s2.Status != 400 || s2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("state error replay: %d %d %v", s1.Status, s2.Status, s2.Header)
	}
	// GET ignores the header.
	g := h.get("/v1/payment_intents/"+a.str("id"), "", withIdem("key-1"))
	expectStatus(t, g, 200)
}

func TestIdempotencyValidationFailuresNotStored(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.post("/v1/payment_intents", "amount=2000&currency=usd&foo=1", withIdem("k"))
	expectStatus(t, r, 400)
	r = h.post("/v1/payment_intents", cardPI, withIdem("k"))
	expectStatus(t, r, 200)
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("replayed a validation failure")
	}
	r = h.post("/v1/payment_intents/pi_missing/cancel", "", withIdem("k2"))
	expectStatus(t, r, 404)
	r = h.post("/v1/payment_intents/"+h.intentIn(StatusRequiresPaymentMethod).str("id")+"/cancel", "", withIdem("k2"))
	if r.Status != 400 || r.str("error.type") != "idempotency_error" {
		// a 404 is not stored, so k2 is free for another endpoint... only if
		// paths match; the cancel path differs, but the key was released.
		if r.Status != 200 {
			t.Errorf("after a 404 the key should be free: %s", r.Raw)
		}
	}
	// A decline (402) is stored.
	d1 := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_chargeDeclined&confirm=true", withIdem("k3"))
	d2 := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_chargeDeclined&confirm=true", withIdem("k3"))
	if d1.Status != 402 || d2.Status != 402 || d2.Header.Get("Idempotent-Replayed") != "true" || string(d1.Raw) != string(d2.Raw) {
		t.Errorf("decline replay %d %d", d1.Status, d2.Status)
	}
}

// blockingClock blocks Now() while armed, to hold a request inside its handler.
type blockingClock struct {
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (c *blockingClock) Now() time.Time {
	c.mu.Lock()
	armed := c.armed
	c.armed = false
	c.mu.Unlock()
	if armed {
		close(c.entered)
		<-c.release
	}
	return time.Unix(1_800_000_000, 0)
}

func TestIdempotencyConcurrent(t *testing.T) {
	clock := &blockingClock{entered: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, Options{Now: clock.Now})
	pi := h.intentIn(StatusRequiresCapture).str("id")
	clock.mu.Lock()
	clock.armed = true
	clock.mu.Unlock()
	done := make(chan resp)
	go func() { done <- h.post("/v1/payment_intents/"+pi+"/cancel", "", withIdem("busy")) }()
	<-clock.entered
	r := h.post("/v1/payment_intents/"+pi+"/cancel", "", withIdem("busy"))
	if r.Status != 409 || r.str("error.type") != "invalid_request_error" || r.str("error.code") != "idempotency_key_in_use" {
		t.Errorf("concurrent: %s", r.Raw)
	}
	close(clock.release)
	first := <-done
	expectStatus(t, first, 200)
	again := h.post("/v1/payment_intents/"+pi+"/cancel", "", withIdem("busy"))
	if again.Status != 200 || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("after completion: %d", again.Status)
	}
	// The 409 body validates too.
	if p := validateExchange(t, pinnedValidator(t), fullValidator(t), h.log[len(h.log)-3]); len(p) > 0 {
		t.Errorf("409 body: %v", p)
	}
}

func TestIdempotencyHeldDuringResponseDelay(t *testing.T) {
	h := newHarness(t, Options{ResponseDelay: 300 * time.Millisecond})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(100 * time.Millisecond)
			}
			statuses[i] = h.post("/v1/payment_intents", cardPI, withIdem("slow")).Status
		}()
	}
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 409 {
		t.Errorf("statuses %v, want [200 409]", statuses)
	}
}

// ---- auth ----

func TestAuth(t *testing.T) {
	h := newHarness(t, Options{})
	basic := func(user, pass string) reqOpt {
		return withHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	if r := h.get("/v1/payment_intents", "", basic(testKey, "")); r.Status != 200 {
		t.Errorf("basic auth: %s", r.Raw)
	}
	if r := h.get("/v1/payment_intents", "", withHeader("Authorization", "bearer "+testKey)); r.Status != 200 {
		t.Errorf("lower-case bearer: %d", r.Status)
	}
	r := h.get("/v1/payment_intents", "", withKey(""))
	if r.Status != 401 || r.str("error.type") != "invalid_request_error" || !strings.HasPrefix(r.str("error.message"), "You did not provide an API key.") {
		t.Errorf("no key: %s", r.Raw)
	}
	if _, ok := r.Body["error"].(map[string]any)["code"]; ok {
		t.Errorf("401 has a code")
	}
	for _, key := range []string{"sk_live_51Habcdefghijklmnop", "rk_test_abcdefghijklmnopq", "pk_test_abcdefghijk", "nonsense-key-value", "sk_test_", "sk_test_has space"} {
		r := h.do(http.MethodPost, "/v1/payment_intents", cardPI, withHeader("Authorization", "Bearer "+key))
		if r.Status != 401 || !strings.HasPrefix(r.str("error.message"), "Invalid API Key provided: ") && !strings.HasPrefix(r.str("error.message"), "You did not provide") {
			t.Errorf("key %q: %s", key, r.Raw)
		}
		if len(key) > 8 && strings.Contains(string(r.Raw), key) {
			t.Errorf("key %q echoed: %s", key, r.Raw)
		}
	}
	if r := h.get("/v1/payment_intents", "", withHeader("Authorization", "Bearer sk_live_51Habcdefghijklmnop")); r.str("error.message") != "Invalid API Key provided: sk_live_****mnop" {
		t.Errorf("masking: %s", r.str("error.message"))
	}
	if r := h.get("/v1/payment_intents", "", withHeader("Authorization", "Token abc")); r.Status != 401 {
		t.Errorf("unknown scheme: %d", r.Status)
	}
	if r := h.get("/v1/payment_intents", "", withHeader("Authorization", "Basic !!!")); r.Status != 401 {
		t.Errorf("bad basic: %d", r.Status)
	}
	// Nothing is created by an unauthenticated request.
	if n := len(h.srv.Intents()); n != 0 {
		t.Errorf("%d intents", n)
	}
}

// ---- checkout ----

const sessionForm = "mode=payment&success_url=https://example.com/ok&line_items[0][price_data][currency]=usd" +
	"&line_items[0][price_data][product_data][name]=Widget&line_items[0][price_data][unit_amount]=1500&line_items[0][quantity]=2"

func TestCheckoutSessionCancelRefusedAndExpire(t *testing.T) {
	h := newHarness(t, Options{EagerCheckoutIntent: true})
	cs := h.post("/v1/checkout/sessions", sessionForm)
	expectStatus(t, cs, 200)
	if cs.str("status") != "open" || cs.num("amount_total") != 3000 || !strings.HasPrefix(cs.str("id"), "cs_test_") {
		t.Fatalf("%s", cs.Raw)
	}
	piID := cs.str("payment_intent")
	pi := h.get("/v1/payment_intents/"+piID, "")
	if pi.str("status") != StatusRequiresPaymentMethod || pi.num("amount") != 3000 {
		t.Fatalf("%s", pi.Raw)
	}
	r := h.post("/v1/payment_intents/"+piID+"/cancel", "")
	expectStatus(t, r, 400)
	if r.str("error.type") != "invalid_request_error" || r.str("error.message") != checkoutCancelMessage {
		t.Errorf("%s", r.Raw)
	}
	if _, hasCode := r.Body["error"].(map[string]any)["code"]; hasCode {
		t.Errorf("checkout refusal has a code")
	}
	e := h.post("/v1/checkout/sessions/"+cs.str("id")+"/expire", "expand[]=payment_intent")
	expectStatus(t, e, 200)
	if e.str("status") != "expired" || e.get("url") != nil || e.str("payment_intent.status") != StatusCanceled ||
		e.str("payment_intent.cancellation_reason") != ExpiredSessionCancellationReason {
		t.Errorf("expire: %s", e.Raw)
	}
	if r := h.post("/v1/checkout/sessions/"+cs.str("id")+"/expire", ""); r.Status != 400 {
		t.Errorf("expire twice: %d", r.Status)
	}
	// After expiry the PI is canceled; cancel is still refused (Checkout).
	if r := h.post("/v1/payment_intents/"+piID+"/cancel", ""); r.Status != 400 || r.str("error.message") != checkoutCancelMessage {
		t.Errorf("cancel after expire: %s", r.Raw)
	}
	g := h.get("/v1/checkout/sessions/"+cs.str("id"), "expand[]=line_items")
	if g.str("line_items.data.0.object") != "item" || g.num("line_items.data.0.quantity") != 2 {
		t.Errorf("line_items: %s", g.Raw)
	}
}

func TestCheckoutRequiresCaptureCancelAllowed(t *testing.T) {
	h := newHarness(t, Options{EagerCheckoutIntent: true})
	cs := h.post("/v1/checkout/sessions", sessionForm+"&payment_intent_data[capture_method]=manual")
	expectStatus(t, cs, 200)
	piID := cs.str("payment_intent")
	c := h.post("/v1/payment_intents/"+piID+"/confirm", "payment_method=pm_card_visa")
	if c.str("status") != StatusRequiresCapture {
		t.Fatalf("%s", c.Raw)
	}
	if s := h.get("/v1/checkout/sessions/"+cs.str("id"), ""); s.str("status") != "complete" {
		t.Errorf("session %s", s.str("status"))
	}
	r := h.post("/v1/payment_intents/"+piID+"/cancel", "")
	expectStatus(t, r, 200)
	if len(h.srv.RefundsForIntent(piID)) != 1 {
		t.Errorf("refunds %v", h.srv.RefundsForIntent(piID))
	}
}

func TestCheckoutValidation(t *testing.T) {
	h := newHarness(t, Options{})
	for form, param := range map[string]string{
		"":                                       "mode",
		"mode=payment":                           "line_items",
		"mode=bogus":                             "mode",
		"mode=payment&line_items[0][quantity]=1": "line_items[0][price_data]",
		"mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=100&line_items[0][quantity]=1": "line_items[0][price_data][product_data]",
		sessionForm + "&foo=1": "foo",
	} {
		r := h.post("/v1/checkout/sessions", form)
		if r.Status != 400 || r.str("error.param") != param {
			t.Errorf("%q: %s", form, r.Raw)
		}
	}
}

// ---- routing, parameters, limits ----

func TestNotFound(t *testing.T) {
	h := newHarness(t, Options{})
	for path, param := range map[string]string{
		"/v1/payment_intents/pi_123": "intent", "/v1/charges/ch_123": "id", "/v1/refunds/re_123": "id",
		"/v1/checkout/sessions/cs_test_123": "session",
	} {
		r := h.get(path, "")
		if r.Status != 404 || r.str("error.code") != "resource_missing" || r.str("error.param") != param {
			t.Errorf("%s: %s", path, r.Raw)
		}
	}
	r := h.post("/v1/payment_intents/pi_123/cancel", "")
	if r.Status != 404 || r.str("error.message") != "No such payment_intent: 'pi_123'" || r.str("error.param") != "intent" {
		t.Errorf("%s", r.Raw)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/payment_intents/pi_123/cancel"}, {"POST", "/v1/payment_intents/pi_123/cancel/"},
		{"PUT", "/v1/payment_intents"}, {"GET", "/"}, {"GET", "/v2/payment_intents"}, {"POST", "/v1/charges/ch_1"},
		{"GET", "/v1//payment_intents"},
	} {
		r := h.do(c.method, c.path, "")
		want := "Unrecognized request URL (" + c.method + ": " + c.path + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
		if r.Status != 404 || r.str("error.message") != want || r.str("error.type") != "invalid_request_error" {
			t.Errorf("%s %s: %s", c.method, c.path, r.Raw)
		}
	}
}

func TestParameterErrors(t *testing.T) {
	h := newHarness(t, Options{})
	rpm := h.intentIn(StatusRequiresPaymentMethod).str("id")
	cases := []struct {
		path, form, param, code, msg string
	}{
		{"/v1/payment_intents", "amount=2000&currency=usd&foo=bar", "foo", "parameter_unknown", "Received unknown parameter: foo"},
		{"/v1/payment_intents", "amount=2000&currency=usd&automatic_payment_methods[enabled]=true&automatic_payment_methods[x]=1", "automatic_payment_methods[x]", "parameter_unknown", "Received unknown parameter: automatic_payment_methods[x]"},
		{"/v1/payment_intents", "currency=usd", "amount", "parameter_missing", "Missing required param: amount."},
		{"/v1/payment_intents", "amount=2000", "currency", "parameter_missing", "Missing required param: currency."},
		{"/v1/payment_intents", "amount=1.5&currency=usd", "amount", "parameter_invalid_integer", "Invalid integer: 1.5"},
		{"/v1/payment_intents", "amount=&currency=usd", "amount", "parameter_invalid_empty", ""},
		{"/v1/payment_intents", "amount=49&currency=usd", "amount", "amount_too_small", "Amount must be at least $0.50 usd"},
		{"/v1/payment_intents", "amount=-5&currency=usd", "amount", "amount_too_small", ""},
		{"/v1/payment_intents", "amount=2000&currency=usd&capture_method=later", "capture_method", "", "Invalid capture_method: must be one of automatic, automatic_async or manual"},
		{"/v1/payment_intents", "amount=2000&currency=usd&confirm=yes", "confirm", "", "Invalid boolean: yes"},
		{"/v1/payment_intents", cardPI + "&payment_method=pm_nope", "payment_method", "resource_missing", "No such PaymentMethod: 'pm_nope'"},
		{"/v1/payment_intents", cardPI + "&return_url=https://x.example", "return_url", "", ""},
		{"/v1/payment_intents/" + rpm + "/cancel", "cancellation_reason=bogus", "cancellation_reason", "", "Invalid cancellation_reason: must be one of abandoned, duplicate, fraudulent or requested_by_customer"},
		{"/v1/payment_intents/" + rpm + "/cancel", "cancellation_reason=automatic", "cancellation_reason", "", ""},
		{"/v1/payment_intents/" + rpm + "/cancel", "cancellation_reason=", "cancellation_reason", "", ""},
		{"/v1/payment_intents/" + rpm + "/cancel", "amount=5", "amount", "parameter_unknown", ""},
		{"/v1/payment_intents/" + rpm + "/cancel", "expand[]=customer.x", "expand", "", "This property cannot be expanded (customer.x)."},
		{"/v1/payment_intents/" + rpm + "/cancel", "expand[]=amount", "expand", "", "This property cannot be expanded (amount)."},
		{"/v1/payment_intents/" + rpm + "/cancel", "expand=latest_charge", "expand", "", ""},
		{"/v1/payment_intents/" + rpm, "metadata[" + strings.Repeat("k", 41) + "]=v", "", "", ""},
		{"/v1/payment_intents/" + rpm + "/increment_authorization", "", "amount", "parameter_missing", ""},
	}
	for _, c := range cases {
		r := h.post(c.path, c.form)
		if r.Status != 400 || r.str("error.type") != "invalid_request_error" ||
			(c.param != "" && r.str("error.param") != c.param) || r.str("error.code") != c.code ||
			(c.msg != "" && r.str("error.message") != c.msg) {
			t.Errorf("%s %s:\n%s", c.path, c.form, r.Raw)
		}
	}
	// The failed cancels left the intent untouched.
	if st := h.get("/v1/payment_intents/"+rpm, "").str("status"); st != StatusRequiresPaymentMethod {
		t.Errorf("status %s", st)
	}
}

func TestBodyHandling(t *testing.T) {
	h := newHarness(t, Options{MaxBodyBytes: 4096})
	id := h.intentIn(StatusRequiresPaymentMethod).str("id")
	// POST with an empty body and no Content-Type (curl -X POST).
	req := httptest.NewRequest(http.MethodPost, "/v1/payment_intents/"+id+"/cancel", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("empty body cancel: %d %s", rec.Code, rec.Body)
	}
	// A form body without Content-Type is accepted too.
	req = httptest.NewRequest(http.MethodPost, "/v1/payment_intents", strings.NewReader(cardPI))
	req.Header.Set("Authorization", "Bearer "+testKey)
	rec = httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("no content type: %d %s", rec.Code, rec.Body)
	}
	if r := h.post("/v1/payment_intents", cardPI, withHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")); r.Status != 200 {
		t.Errorf("charset param: %s", r.Raw)
	}
	if r := h.post("/v1/payment_intents", `{"amount":2000}`, withHeader("Content-Type", "application/json")); r.Status != 400 {
		t.Errorf("json body: %d", r.Status)
	}
	if r := h.post("/v1/payment_intents", cardPI+"&description="+strings.Repeat("x", 5000)); r.Status != 413 || r.str("error.type") != "invalid_request_error" {
		t.Errorf("large body: %s", r.Raw)
	}
	if r := h.post("/v1/payment_intents", cardPI+"&metadata"+strings.Repeat("[a]", 20)+"=1"); r.Status != 400 {
		t.Errorf("deep nesting: %s", r.Raw)
	}
	if r := h.post("/v1/payment_intents", cardPI+"&description=%C3%28"); r.Status != 400 {
		t.Errorf("invalid utf-8: %s", r.Raw)
	}
	if r := h.post("/v1/payment_intents", cardPI+"&description=%zz"); r.Status != 400 {
		t.Errorf("bad escape: %s", r.Raw)
	}
	if r := h.post("/v1/payment_intents", cardPI+"&metadata[a]=1&metadata[a][b]=2"); r.Status != 400 {
		t.Errorf("conflicting shapes: %s", r.Raw)
	}
	// Duplicate scalar keys: the last value wins.
	r := h.post("/v1/payment_intents", cardPI+"&description=first&description=second&amount=3000")
	if r.Status != 200 || r.str("description") != "second" || r.num("amount") != 3000 {
		t.Errorf("duplicates: %s", r.Raw)
	}
	// Both array notations.
	r = h.post("/v1/payment_intents", "amount=2000&currency=eur&payment_method_types[0]=card&payment_method_types[1]=sepa_debit")
	if r.Status != 200 || len(r.get("payment_method_types").([]any)) != 2 {
		t.Errorf("indexed arrays: %s", r.Raw)
	}
	// Query parameters on a GET are decoded the same way.
	if r := h.get("/v1/payment_intents/"+id, "expand%5B%5D=latest_charge"); r.Status != 200 {
		t.Errorf("escaped brackets: %s", r.Raw)
	}
	// Unknown query parameter on GET.
	if r := h.get("/v1/payment_intents/"+id, "foo=1"); r.Status != 400 || r.str("error.code") != "parameter_unknown" {
		t.Errorf("unknown GET param: %s", r.Raw)
	}
}

func TestHeaders(t *testing.T) {
	h := newHarness(t, Options{})
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		r := h.get("/v1/payment_intents", "limit=1")
		id := r.Header.Get("Request-Id")
		if !strings.HasPrefix(id, "req_") || seen[id] {
			t.Fatalf("Request-Id %q", id)
		}
		seen[id] = true
		if r.Header.Get("Stripe-Version") != DefaultAPIVersion || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", r.Header)
		}
	}
	r := h.get("/v1/payment_intents", "", withHeader("Stripe-Version", "2025-08-27.basil"))
	if r.Header.Get("Stripe-Version") != "2025-08-27.basil" {
		t.Errorf("Stripe-Version not echoed: %v", r.Header)
	}
	r = h.get("/v1/nope", "", withKey(""))
	if r.Header.Get("Request-Id") == "" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("error headers %v", r.Header)
	}
}

// ---- payment flows ----

func TestDecline(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_chargeDeclined&confirm=true")
	expectStatus(t, r, 402)
	e := "error."
	if r.str(e+"type") != "card_error" || r.str(e+"code") != "card_declined" || r.str(e+"decline_code") != "generic_decline" ||
		!strings.HasPrefix(r.str(e+"charge"), "ch_") || r.str(e+"payment_intent.status") != StatusRequiresPaymentMethod ||
		r.str(e+"payment_intent.last_payment_error.code") != "card_declined" || r.str(e+"payment_method.object") != "payment_method" {
		t.Fatalf("%s", r.Raw)
	}
	id := r.str(e + "payment_intent.id")
	g := h.get("/v1/payment_intents/"+id, "expand[]=latest_charge")
	if g.str("latest_charge.status") != "failed" || g.str("latest_charge.id") != r.str(e+"charge") || g.get("payment_method") != nil ||
		g.str("last_payment_error.decline_code") != "generic_decline" {
		t.Errorf("%s", g.Raw)
	}
	// Retry with a good card succeeds and clears last_payment_error.
	c := h.post("/v1/payment_intents/"+id+"/confirm", "payment_method=pm_card_visa")
	if c.str("status") != StatusSucceeded || c.get("last_payment_error") != nil || c.str("latest_charge") == r.str(e+"charge") {
		t.Errorf("%s", c.Raw)
	}
	// Cancel from requires_payment_method after a decline: no refund.
	d := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_chargeDeclinedInsufficientFunds&confirm=true")
	if d.str("error.decline_code") != "insufficient_funds" {
		t.Errorf("%s", d.Raw)
	}
	x := h.post("/v1/payment_intents/"+d.str("error.payment_intent.id")+"/cancel", "")
	expectStatus(t, x, 200)
	if n := len(h.srv.RefundsForIntent(x.str("id"))); n != 0 {
		t.Errorf("%d refunds", n)
	}
}

func TestRequiresAction(t *testing.T) {
	h := newHarness(t, Options{})
	a := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_authenticationRequired&confirm=true")
	if a.str("status") != StatusRequiresAction || a.str("next_action.type") != "use_stripe_sdk" || a.get("latest_charge") != nil {
		t.Errorf("%s", a.Raw)
	}
	b := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_threeDSecure2Required&confirm=true&return_url=https://example.com/back")
	if b.str("next_action.type") != "redirect_to_url" || b.str("next_action.redirect_to_url.return_url") != "https://example.com/back" {
		t.Errorf("%s", b.Raw)
	}
	c := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_authenticationRequired&confirm=true&off_session=true")
	if c.Status != 402 || c.str("error.code") != "authentication_required" {
		t.Errorf("%s", c.Raw)
	}
	// Automatic payment methods without return_url cannot be confirmed.
	d := h.post("/v1/payment_intents", "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true")
	if d.Status != 400 || !strings.Contains(d.str("error.message"), "allow_redirects") {
		t.Errorf("%s", d.Raw)
	}
	if n := len(h.srv.Intents()); n != 3 {
		t.Errorf("%d intents (the refused confirm must not create one)", n)
	}
}

func TestCaptureAndIncrement(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.intentIn(StatusRequiresCapture).str("id")
	i := h.post("/v1/payment_intents/"+id+"/increment_authorization", "amount=2600")
	if i.Status != 200 || i.num("amount") != 2600 || i.num("amount_capturable") != 2600 || i.str("status") != StatusRequiresCapture {
		t.Fatalf("%s", i.Raw)
	}
	if r := h.post("/v1/payment_intents/"+id+"/increment_authorization", "amount=100"); r.Status != 400 || r.str("error.param") != "amount" {
		t.Errorf("%s", r.Raw)
	}
	if r := h.post("/v1/payment_intents/"+id+"/capture", "amount_to_capture=9999"); r.Status != 400 || r.str("error.param") != "amount_to_capture" {
		t.Errorf("%s", r.Raw)
	}
	c := h.post("/v1/payment_intents/"+id+"/capture", "amount_to_capture=2000&expand[]=latest_charge.refunds")
	if c.str("status") != StatusSucceeded || c.num("amount_received") != 2000 || c.num("amount_capturable") != 0 ||
		c.num("latest_charge.amount_captured") != 2000 || c.get("latest_charge.captured") != true || c.num("latest_charge.amount_refunded") != 600 {
		t.Errorf("%s", c.Raw)
	}
	// Cancel after capture is refused.
	if r := h.post("/v1/payment_intents/"+id+"/cancel", ""); r.Status != 400 || r.str("error.payment_intent.status") != StatusSucceeded {
		t.Errorf("%s", r.Raw)
	}
}

func TestUpdateTransitions(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.intentIn(StatusRequiresPaymentMethod).str("id")
	r := h.post("/v1/payment_intents/"+id, "payment_method=pm_card_visa&amount=2500&currency=EUR")
	if r.str("status") != StatusRequiresConfirmation || r.num("amount") != 2500 || r.str("currency") != "eur" {
		t.Fatalf("%s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+id, "payment_method=")
	if r.str("status") != StatusRequiresPaymentMethod || r.get("payment_method") != nil {
		t.Errorf("%s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+id, "metadata[a]=1&metadata[b]=2")
	r = h.post("/v1/payment_intents/"+id, "metadata[a]=")
	if _, ok := r.get("metadata").(map[string]any)["a"]; ok || r.str("metadata.b") != "2" {
		t.Errorf("unset one key: %s", r.Raw)
	}
	r = h.post("/v1/payment_intents/"+id, "metadata=")
	if len(r.get("metadata").(map[string]any)) != 0 {
		t.Errorf("clear metadata: %s", r.Raw)
	}
	ra := h.intentIn(StatusRequiresAction).str("id")
	r = h.post("/v1/payment_intents/"+ra, "amount=4000")
	if r.str("status") != StatusRequiresConfirmation || r.get("next_action") != nil {
		t.Errorf("update in requires_action: %s", r.Raw)
	}
}

func TestList(t *testing.T) {
	h := newHarness(t, Options{})
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, h.intentIn(StatusRequiresPaymentMethod).str("id"))
	}
	l := h.get("/v1/payment_intents", "limit=2")
	if l.str("object") != "list" || l.str("url") != "/v1/payment_intents" || l.get("has_more") != true ||
		l.str("data.0.id") != ids[4] || l.str("data.1.id") != ids[3] {
		t.Fatalf("%s", l.Raw)
	}
	l = h.get("/v1/payment_intents", "limit=2&starting_after="+ids[3])
	if l.str("data.0.id") != ids[2] || l.str("data.1.id") != ids[1] || l.get("has_more") != true {
		t.Errorf("%s", l.Raw)
	}
	l = h.get("/v1/payment_intents", "limit=10&starting_after="+ids[1])
	if len(l.get("data").([]any)) != 1 || l.get("has_more") != false {
		t.Errorf("%s", l.Raw)
	}
	l = h.get("/v1/payment_intents", "limit=2&ending_before="+ids[1])
	if l.str("data.0.id") != ids[3] || l.str("data.1.id") != ids[2] || l.get("has_more") != true {
		t.Errorf("ending_before: %s", l.Raw)
	}
	if r := h.get("/v1/payment_intents", "limit=101"); r.Status != 400 || r.str("error.param") != "limit" {
		t.Errorf("%s", r.Raw)
	}
}

func TestExpandEverywhere(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.intentIn(StatusRequiresConfirmation).str("id")
	r := h.post("/v1/payment_intents/"+id+"/confirm", "capture_method=manual&expand[]=latest_charge&expand[]=payment_method")
	if r.str("latest_charge.object") != "charge" || r.str("payment_method.object") != "payment_method" {
		t.Fatalf("%s", r.Raw)
	}
	for _, c := range []struct{ path, form string }{
		{"/v1/payment_intents/" + id, "expand[]=latest_charge"},
		{"/v1/payment_intents/" + id + "/increment_authorization", "amount=3000&expand[]=latest_charge"},
		{"/v1/payment_intents/" + id, "metadata[x]=1&expand[]=latest_charge"},
		{"/v1/payment_intents/" + id + "/capture", "expand[]=latest_charge"},
	} {
		var x resp
		if strings.Contains(c.form, "=1&") || strings.Contains(c.path, "/capture") || strings.Contains(c.path, "increment") {
			x = h.post(c.path, c.form)
		} else {
			x = h.get(c.path, c.form)
		}
		if x.Status != 200 || x.str("latest_charge.object") != "charge" {
			t.Errorf("%s %s: %s", c.path, c.form, x.Raw)
		}
	}
	l := h.get("/v1/payment_intents", "expand[]=data.latest_charge")
	if l.str("data.0.latest_charge.object") != "charge" {
		t.Errorf("%s", l.Raw)
	}
	if r := h.get("/v1/payment_intents", "expand[]=latest_charge"); r.Status != 400 {
		t.Errorf("list without data.: %s", r.Raw)
	}
	deep := "expand[]=latest_charge.payment_intent.latest_charge.payment_intent.latest_charge"
	if r := h.get("/v1/payment_intents/"+id, deep); r.Status != 400 || !strings.Contains(r.str("error.message"), "more than 4 levels") {
		t.Errorf("deep expand: %s", r.Raw)
	}
	if r := h.get("/v1/payment_intents/"+id, "expand[]=latest_charge.payment_intent.latest_charge.payment_intent"); r.Status != 200 ||
		r.str("latest_charge.payment_intent.latest_charge.payment_intent.object") != "payment_intent" {
		t.Errorf("4-level expand: %s", r.Raw)
	}
}

// ---- extension points ----

func TestMutationHooks(t *testing.T) {
	h := newHarness(t, Options{CancelableStatuses: []string{StatusSucceeded}})
	succ := h.intentIn(StatusSucceeded).str("id")
	if r := h.post("/v1/payment_intents/"+succ+"/cancel", ""); r.Status != 200 {
		t.Errorf("custom CancelableStatuses: %s", r.Raw)
	}
	rpm := h.intentIn(StatusRequiresPaymentMethod).str("id")
	if r := h.post("/v1/payment_intents/"+rpm+"/cancel", ""); r.Status != 400 {
		t.Errorf("rpm should be refused: %d", r.Status)
	}
	if err := h.srv.UpdateIntent(rpm, func(pi *PaymentIntent) { pi.Status = StatusSucceeded; pi.Metadata["x"] = "y"; pi.ID = "changed" }); err != nil {
		t.Fatal(err)
	}
	pi, ok := h.srv.Intent(rpm)
	if !ok || pi.Status != StatusSucceeded || pi.Metadata["x"] != "y" || pi.ID != rpm {
		t.Errorf("%+v", pi)
	}
	pi.Metadata["x"] = "mutated snapshot"
	if again, _ := h.srv.Intent(rpm); again.Metadata["x"] != "y" {
		t.Errorf("snapshot aliases stored state")
	}
	if err := h.srv.UpdateIntent("pi_nope", func(*PaymentIntent) {}); err != ErrNotFound {
		t.Errorf("err %v", err)
	}
	obj, err := h.srv.IntentObject(rpm, "latest_charge")
	if err != nil || obj["status"] != StatusSucceeded {
		t.Errorf("IntentObject %v %v", obj, err)
	}
	// A wrapper can fake an error with WriteError.
	rec := httptest.NewRecorder()
	h.srv.WriteError(rec, httptest.NewRequest("POST", "/v1/payment_intents/"+rpm+"/cancel", nil),
		&Error{Type: "invalid_request_error", Code: "payment_intent_unexpected_state", Message: "nope", PaymentIntent: rpm})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"status": "succeeded"`) {
		t.Errorf("WriteError: %d %s", rec.Code, rec.Body)
	}
	// Charges and refunds.
	h = newHarness(t, Options{})
	rc := h.intentIn(StatusRequiresCapture)
	h.post("/v1/payment_intents/"+rc.str("id")+"/cancel", "")
	refunds := h.srv.RefundsForIntent(rc.str("id"))
	if len(refunds) != 1 {
		t.Fatalf("refunds %v", refunds)
	}
	if err := h.srv.DeleteRefund(refunds[0].ID); err != nil {
		t.Fatal(err)
	}
	if l := h.get("/v1/refunds", "payment_intent="+rc.str("id")); len(l.get("data").([]any)) != 0 {
		t.Errorf("deleted refund still listed")
	}
	if err := h.srv.UpdateCharge(rc.str("latest_charge"), func(c *Charge) { c.Refunded = false }); err != nil {
		t.Fatal(err)
	}
	if ch, _ := h.srv.Charge(rc.str("latest_charge")); ch.Refunded {
		t.Errorf("UpdateCharge had no effect")
	}
}

func TestPanicRecovery(t *testing.T) {
	var boom sync.Mutex
	explode := false
	now := func() time.Time {
		boom.Lock()
		defer boom.Unlock()
		if explode {
			panic("boom")
		}
		return time.Unix(1_800_000_000, 0)
	}
	var logs []string
	var logMu sync.Mutex
	h := newHarness(t, Options{Now: now, Logf: func(f string, a ...any) { logMu.Lock(); logs = append(logs, f); logMu.Unlock() }})
	boom.Lock()
	explode = true
	boom.Unlock()
	r := h.post("/v1/payment_intents", cardPI, withIdem("p"))
	if r.Status != 500 || r.str("error.type") != "api_error" {
		t.Fatalf("%s", r.Raw)
	}
	boom.Lock()
	explode = false
	boom.Unlock()
	// The server still works and the idempotency key was released.
	r = h.post("/v1/payment_intents", cardPI, withIdem("p"))
	if r.Status != 200 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("after panic: %s", r.Raw)
	}
	if len(logs) == 0 {
		t.Errorf("Logf not called")
	}
}

func TestCheckoutSessionCreatesItsIntentWhenConfirmed(t *testing.T) {
	h := newHarness(t, Options{})
	cs := h.post("/v1/checkout/sessions", sessionForm)
	expectStatus(t, cs, 200)
	if v := cs.get("payment_intent"); v != nil {
		t.Fatalf("an open session has payment_intent %v, want null (lazy creation since 2022-08-01)", v)
	}
	confirmed := h.post("/v1/test_helpers/checkout/sessions/"+cs.str("id")+"/confirm", "")
	expectStatus(t, confirmed, 200)
	piID := confirmed.str("payment_intent")
	if piID == "" || h.get("/v1/checkout/sessions/"+cs.str("id"), "").str("payment_intent") != piID {
		t.Fatalf("confirming the session created no intent: %s", confirmed.Raw)
	}
	again := h.post("/v1/test_helpers/checkout/sessions/"+cs.str("id")+"/confirm", "")
	if again.str("payment_intent") != piID {
		t.Errorf("a second confirm created another intent: %s", again.Raw)
	}
	if r := h.post("/v1/payment_intents/"+piID+"/cancel", ""); r.Status != 400 {
		t.Errorf("cancel of a Checkout Session's intent: %d, want 400", r.Status)
	}
	lazy := h.post("/v1/checkout/sessions", sessionForm)
	h.post("/v1/checkout/sessions/"+lazy.str("id")+"/expire", "")
	if r := h.post("/v1/test_helpers/checkout/sessions/"+lazy.str("id")+"/confirm", ""); r.Status != 400 {
		t.Errorf("confirm of an expired session: %d, want 400", r.Status)
	}
	if r := h.get("/v1/checkout/sessions/"+lazy.str("id"), ""); r.str("status") != "expired" {
		t.Errorf("expired session without an intent: %s", r.Raw)
	}
}
