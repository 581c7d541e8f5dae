package reference

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/pi-conformance/suite/harness/jsondecode"
	"github.com/pi-conformance/suite/harness/schema"
)

// The delivery tests run the reference and a receiver on loopback, drive the
// reference with stripe-go and verify every delivery with stripe-go's webhook
// package. Waits are bounded (waitFor), never asserted on.

// delivery is one POST the receiver got.
type delivery struct {
	attempt int // 1-based, per event id
	event   stripe.Event
	err     error // signature or parse failure
	header  http.Header
	body    []byte
}

// receiver is an httptest webhook endpoint that verifies each POST against
// the endpoint secret (set once the endpoint is created).
type receiver struct {
	ts *httptest.Server

	mu       sync.Mutex
	secret   string
	got      []delivery
	attempts map[string]int
	answer   func(attempt int) int // status to answer
	gate     func(n int)           // called before handling the n-th POST (0-based), outside the lock
}

func newReceiver(t *testing.T, answer func(attempt int) int) *receiver {
	return newGatedReceiver(t, answer, nil)
}

func newGatedReceiver(t *testing.T, answer func(attempt int) int, gate func(n int)) *receiver {
	rc := &receiver{attempts: map[string]int{}, answer: answer, gate: gate}
	rc.ts = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.ts.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rc.mu.Lock()
	secret, n := rc.secret, len(rc.got)
	rc.mu.Unlock()
	if rc.gate != nil {
		rc.gate(n)
	}
	opts := webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: stripe.APIVersion != DefaultAPIVersion}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), secret, opts)
	rc.mu.Lock()
	rc.attempts[ev.ID]++
	d := delivery{attempt: rc.attempts[ev.ID], event: ev, err: err, header: r.Header.Clone(), body: body}
	rc.got = append(rc.got, d)
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(d.attempt)
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// waitFor polls cond every 5 ms for at most 10 s (a bound against hangs, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func createEndpoint(t *testing.T, sc *stripe.Client, rc *receiver, events ...string) *stripe.WebhookEndpoint {
	t.Helper()
	we, err := sc.V1WebhookEndpoints.Create(context.Background(), &stripe.WebhookEndpointCreateParams{
		URL: stripe.String(rc.ts.URL + "/hooks"), EnabledEvents: stripe.StringSlice(events),
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = we.Secret
	rc.mu.Unlock()
	return we
}

func TestWebhookDeliveryVerifiesWithStripeGo(t *testing.T) {
	sc, srv := newStripeClient(t, Options{WebhookBackoff: time.Millisecond})
	defer srv.Close()
	ctx := context.Background()
	rc := newReceiver(t, nil)
	we := createEndpoint(t, sc, rc, "payment_intent.created", "payment_intent.canceled")
	if !strings.HasPrefix(we.Secret, "whsec_") || we.URL != rc.ts.URL+"/hooks" || len(we.EnabledEvents) != 2 {
		t.Fatalf("endpoint %+v", we)
	}
	other := newReceiver(t, nil) // enabled for succeeded only: gets nothing here
	createEndpoint(t, sc, other, "payment_intent.succeeded")

	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(2000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1PaymentIntents.Cancel(ctx, pi.ID, &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("abandoned")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two deliveries", func() bool { return len(rc.deliveries()) >= 2 })
	got := rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2", len(got))
	}
	pinned := pinnedValidator(t)
	seen := map[stripe.EventType]string{}
	for _, d := range got {
		if d.err != nil {
			t.Fatalf("delivery does not verify: %v\n%s: %s", d.err, d.header.Get("Stripe-Signature"), d.body)
		}
		if ct := d.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.HasPrefix(d.header.Get("Stripe-Signature"), "t=") || !strings.Contains(d.header.Get("Stripe-Signature"), ",v1=") {
			t.Errorf("Stripe-Signature %q", d.header.Get("Stripe-Signature"))
		}
		if issues := pinned.ValidateValue("event", decodeJSON(t, d.body)); len(issues) != 0 {
			t.Errorf("delivered event does not match the pinned event schema: %v", issues)
		}
		if issues := schema.CheckAlwaysSent(d.body); len(issues) != 0 {
			t.Errorf("delivered event lacks fields Stripe always sends: %v", issues)
		}
		var obj stripe.PaymentIntent
		if err := obj.UnmarshalJSON(d.event.Data.Raw); err != nil || obj.ID != pi.ID {
			t.Errorf("%s: data.object %v (%v)", d.event.Type, obj.ID, err)
		}
		seen[d.event.Type] = d.event.ID
		if d.event.Type == "payment_intent.canceled" && (obj.Status != "canceled" || obj.CancellationReason != "abandoned") {
			t.Errorf("canceled event shows status %s reason %s", obj.Status, obj.CancellationReason)
		}
	}
	if seen["payment_intent.created"] == "" || seen["payment_intent.canceled"] == "" {
		t.Fatalf("delivered types %v", seen)
	}
	if n := len(other.deliveries()); n != 0 {
		t.Errorf("an endpoint that did not enable these types got %d deliveries", n)
	}

	// The API: retrieve and list the same events with stripe-go.
	for typ, id := range seen {
		var ev *stripe.Event
		waitFor(t, "pending_webhooks of "+id+" to reach 0", func() bool {
			ev, err = sc.V1Events.Retrieve(ctx, id, nil)
			return err != nil || ev.PendingWebhooks == 0
		})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != typ || ev.Request == nil || ev.Request.ID == "" || ev.Livemode {
			t.Errorf("retrieved %s: %+v", id, ev)
		}
	}
	var listed []string
	for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String("payment_intent.canceled")}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, ev.ID)
	}
	if len(listed) != 1 || listed[0] != seen["payment_intent.canceled"] {
		t.Errorf("listed canceled events %v, want [%s]", listed, seen["payment_intent.canceled"])
	}

	// Endpoints: list (no secret), delete; a deleted endpoint gets nothing more.
	var eps []*stripe.WebhookEndpoint
	for e, err := range sc.V1WebhookEndpoints.List(ctx, &stripe.WebhookEndpointListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		eps = append(eps, e)
	}
	if len(eps) != 2 || eps[1].ID != we.ID || eps[1].Secret != "" {
		t.Errorf("listed endpoints %+v", eps)
	}
	del, err := sc.V1WebhookEndpoints.Delete(ctx, we.ID, nil)
	if err != nil || !del.Deleted || del.ID != we.ID {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if _, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(100), Currency: stripe.String("usd")}); err != nil {
		t.Fatal(err)
	}
	srv.Close() // waits for every delivery: none can still be on its way
	if n := len(rc.deliveries()); n != 2 {
		t.Errorf("%d deliveries after the endpoint was deleted, want still 2", n)
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsondecode.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWebhookRetriedAfterFailure(t *testing.T) {
	sc, srv := newStripeClient(t, Options{WebhookBackoff: time.Millisecond, WebhookMaxAttempts: 3})
	defer srv.Close()
	ctx := context.Background()
	release := make(chan struct{})
	// The second POST waits until the test has seen pending_webhooks = 1.
	rc := newGatedReceiver(t, func(attempt int) int {
		if attempt == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}, func(n int) {
		if n == 1 {
			<-release
		}
	})
	createEndpoint(t, sc, rc, "payment_intent.created")
	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt", func() bool { return len(rc.deliveries()) >= 1 })
	first := rc.deliveries()[0]
	if first.err != nil {
		close(release)
		t.Fatalf("the first attempt does not verify: %v", first.err)
	}
	ev, err := sc.V1Events.Retrieve(ctx, first.event.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.PendingWebhooks != 1 {
		t.Errorf("pending_webhooks after a failed attempt = %d, want 1", ev.PendingWebhooks)
	}
	close(release)
	waitFor(t, "the retry", func() bool { return len(rc.deliveries()) >= 2 })
	waitFor(t, "pending_webhooks to reach 0", func() bool {
		ev, err = sc.V1Events.Retrieve(ctx, first.event.ID, nil)
		return err != nil || ev.PendingWebhooks == 0
	})
	srv.Close()
	got := rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2 (one failure, one retry)", len(got))
	}
	for _, d := range got {
		if d.err != nil {
			t.Errorf("attempt %d does not verify: %v", d.attempt, d.err)
		}
	}
	if got[1].event.ID != got[0].event.ID || got[1].attempt != 2 {
		t.Errorf("retry carried event %s (attempt %d), want the same event %s", got[1].event.ID, got[1].attempt, got[0].event.ID)
	}
	var obj stripe.PaymentIntent
	if err := obj.UnmarshalJSON(got[1].event.Data.Raw); err != nil || obj.ID != pi.ID {
		t.Errorf("retried data.object %s (%v)", obj.ID, err)
	}
}

func TestWebhookAttemptsAreBounded(t *testing.T) {
	sc, srv := newStripeClient(t, Options{WebhookBackoff: time.Millisecond, WebhookMaxAttempts: 3})
	defer srv.Close()
	rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	createEndpoint(t, sc, rc, "*")
	if _, err := sc.V1PaymentIntents.Create(context.Background(), &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three attempts", func() bool { return len(rc.deliveries()) >= 3 })
	srv.Close() // the delivery goroutine has ended: no fourth attempt can follow
	got := rc.deliveries()
	if len(got) != 3 || got[2].attempt != 3 {
		t.Fatalf("%d attempts, want 3", len(got))
	}
	ev := srv.Events()[0]
	if ev["pending_webhooks"] != 1 {
		t.Errorf("pending_webhooks after the last failed attempt = %v, want 1 (never delivered)", ev["pending_webhooks"])
	}
	h := &harness{t: t, srv: srv}
	if _, ids := eventsPage(t, h, "delivery_success=false"); len(ids) != 1 {
		t.Errorf("delivery_success=false lists %v", ids)
	}
}

// Close ends every delivery goroutine, including one stuck on a receiver that
// never answers and one waiting for a retry an hour away, and leaks none.
func TestCloseStopsDeliveriesWithoutLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		srv := New(Options{WebhookBackoff: time.Hour, WebhookTimeout: time.Hour})
		ts := httptest.NewServer(srv)
		defer ts.Close()
		stuck := make(chan struct{}, 1)
		done := make(chan struct{}) // lets the handler return even if Close failed to cancel the attempt
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // with the body read, the server sees the client go away
			stuck <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}))
		defer hang.Close()
		defer close(done)
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}))
		defer failing.Close()
		h := &harness{t: t, srv: srv}
		expectStatus(t, h.post("/v1/webhook_endpoints", "url="+hang.URL+"&enabled_events[]=*"), 200)
		expectStatus(t, h.post("/v1/webhook_endpoints", "url="+failing.URL+"&enabled_events[]=*"), 200)
		h.intentIn(StatusRequiresPaymentMethod)
		<-stuck
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		// After Close the API still answers and records events, but delivers nothing.
		h.intentIn(StatusRequiresPaymentMethod)
		if n := len(srv.Events()); n != 2 {
			t.Errorf("%d events after Close, want 2", n)
		}
		if err := srv.Close(); err != nil { // twice is fine
			t.Fatal(err)
		}
	}()
	var now int
	for i := 0; i < 200; i++ {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("goroutines: %d before, %d after Close\n%s", before, now, buf[:runtime.Stack(buf, true)])
}

// Delivery never blocks the API: a request that emits events answers while a
// receiver is stuck.
func TestDeliveryDoesNotBlockRequests(t *testing.T) {
	srv := New(Options{WebhookTimeout: time.Hour})
	defer srv.Close()
	stuck := make(chan struct{}, 4)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // with the body read, the server sees the client go away
		stuck <- struct{}{}
		<-r.Context().Done()
	}))
	defer hang.Close()
	defer srv.Close() // before hang.Close: cancels the stuck request
	h := &harness{t: t, srv: srv}
	expectStatus(t, h.post("/v1/webhook_endpoints", "url="+hang.URL+"&enabled_events[]=*"), 200)
	id := h.intentIn(StatusRequiresPaymentMethod).str("id")
	<-stuck
	r := h.post("/v1/payment_intents/"+id+"/cancel", "")
	expectStatus(t, r, 200)
	if got := h.get("/v1/events", "limit=1"); got.str("data.0.type") != "payment_intent.canceled" || got.num("data.0.pending_webhooks") != 1 {
		t.Errorf("latest event: %s", fmt.Sprint(got.Body))
	}
}
