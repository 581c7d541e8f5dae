package reference

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFormDecode checks the bracket-notation decoder: it never panics,
// respects its limits, produces valid UTF-8 only, and whatever it decodes
// survives an encode/decode round trip unchanged.
func FuzzFormDecode(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "metadata[k]=v&metadata[k2]=v2", "payment_method_types[]=card&payment_method_types[]=sepa_debit",
		"payment_method_types[0]=card", "expand[]=latest_charge", "line_items[][price_data][currency]=usd&line_items[][quantity]=1",
		"a[b][c][d][e][f][g][h][i]=deep", "a=1&a[b]=2", "a[=1", "a]=1", "%zz=1", "a=%C3%28", "=x&&&", "a[]=1&a[0]=2",
		"payment_method_data[sepa_debit][iban]=DE89370400440532013000", "a+b=c+d", "a[b]c=1", "[a]=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tree, err := decodeForm(raw)
		if err != nil {
			fe, ok := err.(*formError)
			if !ok || fe.Message == "" {
				t.Fatalf("error %T %v", err, err)
			}
			if !utf8.ValidString(fe.Message) || !utf8.ValidString(fe.Param) {
				t.Fatalf("error text is not UTF-8: %q", fe.Message)
			}
			return
		}
		checkTree(t, tree, 0)
		again, err := decodeForm(encodeForm(tree))
		if err != nil {
			t.Fatalf("re-decoding %q: %v", encodeForm(tree), err)
		}
		if a, b := tree.normCanonical(), again.normCanonical(); a != b {
			t.Fatalf("round trip changed the tree:\n%s\n%s", a, b)
		}
		if tree.canonical() != tree.canonical() {
			t.Fatal("canonical form is not deterministic")
		}
	})
}

func checkTree(t *testing.T, n *formNode, depth int) {
	t.Helper()
	if depth > maxFormDepth+1 {
		t.Fatalf("tree deeper than the limit")
	}
	switch n.kind {
	case kindString:
		if !utf8.ValidString(n.str) {
			t.Fatalf("value not UTF-8: %q", n.str)
		}
	case kindMap:
		if len(n.keys) != len(n.m) {
			t.Fatalf("keys %v vs map of %d", n.keys, len(n.m))
		}
		for _, k := range n.keys {
			if k == "" || !utf8.ValidString(k) {
				t.Fatalf("bad key %q", k)
			}
			checkTree(t, n.m[k], depth+1)
		}
	case kindList:
		if len(n.list) == 0 {
			t.Fatal("empty list")
		}
		for _, e := range n.list {
			checkTree(t, e, depth+1)
		}
	}
}

// fuzzFixture is a server holding one object in each interesting state;
// placeholders such as {rc} in fuzzed paths and bodies name them.
func fuzzFixture(t *testing.T) (*Server, map[string]string) {
	h := newHarness(t, Options{EagerCheckoutIntent: true})
	ids := map[string]string{}
	for tag, st := range map[string]string{"{rpm}": StatusRequiresPaymentMethod, "{rcf}": StatusRequiresConfirmation,
		"{ra}": StatusRequiresAction, "{rc}": StatusRequiresCapture, "{proc}": StatusProcessing, "{succ}": StatusSucceeded,
		"{canc}": StatusCanceled} {
		ids[tag] = h.intentIn(st).str("id")
	}
	rc := h.intentIn(StatusRequiresCapture)
	h.post("/v1/payment_intents/"+rc.str("id")+"/cancel", "")
	ids["{ch}"] = rc.str("latest_charge")
	ids["{re}"] = h.srv.RefundsForIntent(rc.str("id"))[0].ID
	cs := h.post("/v1/checkout/sessions", sessionForm)
	ids["{cs}"] = cs.str("id")
	ids["{cspi}"] = cs.str("payment_intent")
	return h.srv, ids
}

var validStatuses = map[string]bool{StatusRequiresPaymentMethod: true, StatusRequiresConfirmation: true, StatusRequiresAction: true,
	StatusProcessing: true, StatusRequiresCapture: true, StatusSucceeded: true, StatusCanceled: true}

// FuzzRouter sends arbitrary method, path, query, body and headers through
// the handler. It must never panic (a recovered panic is a 500 and fails
// the fuzz), must always answer JSON in Stripe's success or error shape,
// and must leave the stored state consistent.
func FuzzRouter(f *testing.F) {
	seeds := [][4]string{
		{"POST", "/v1/payment_intents/{rc}/cancel", "", "cancellation_reason=requested_by_customer&expand[]=latest_charge.refunds"},
		{"POST", "/v1/payment_intents/{succ}/cancel", "", ""},
		{"POST", "/v1/payment_intents", "", cardPI + "&payment_method=pm_card_visa&confirm=true&capture_method=manual"},
		{"GET", "/v1/payment_intents", "limit=3&expand[]=data.latest_charge", ""},
		{"POST", "/v1/payment_intents/{rcf}/confirm", "", "payment_method=pm_card_chargeDeclined"},
		{"POST", "/v1/payment_intents/{rc}/capture", "", "amount_to_capture=100"},
		{"POST", "/v1/payment_intents/{rc}/increment_authorization", "", "amount=9000"},
		{"POST", "/v1/payment_intents/{canc}", "", "metadata[a]=b&amount=5"},
		{"GET", "/v1/charges/{ch}", "expand[]=refunds&expand[]=payment_intent", ""},
		{"GET", "/v1/refunds", "payment_intent={rc}&charge={ch}", ""},
		{"GET", "/v1/refunds/{re}", "expand[]=charge", ""},
		{"POST", "/v1/checkout/sessions/{cs}/expire", "", ""},
		{"POST", "/v1/payment_intents/{cspi}/cancel", "", ""},
		{"POST", "/v1/test_helpers/payment_intents/{proc}/finish_processing", "", ""},
		{"DELETE", "/v1/payment_intents/{rpm}", "", ""},
		{"GET", "/v1/payment_intents/%2e%2e/cancel", "", ""},
		{"POST", "/v1/payment_intents", "", "a[b][c][d][e][f][g][h][i][j]=1"},
		{"POST", "/v1/payment_intents/{rpm}/cancel", "", "expand[]=latest_charge.payment_intent.latest_charge.payment_intent.latest_charge"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], uint8(0))
	}
	f.Fuzz(func(t *testing.T, method, path, query, body string, flags uint8) {
		srv, ids := fuzzFixture(t)
		for tag, id := range ids {
			path = strings.ReplaceAll(path, tag, id)
			query = strings.ReplaceAll(query, tag, id)
			body = strings.ReplaceAll(body, tag, id)
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(method, "http://reference.test"+target, strings.NewReader(body))
		if err != nil {
			return // not an HTTP request a client could send
		}
		switch flags % 4 {
		case 0:
			req.Header.Set("Authorization", "Bearer "+testKey)
		case 1:
			req.SetBasicAuth(testKey, "")
		case 2:
			req.Header.Set("Authorization", "Bearer sk_live_"+body)
		}
		if flags&4 != 0 {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if flags&8 != 0 {
			req.Header.Set("Idempotency-Key", query)
		}
		if flags&16 != 0 {
			req.Header.Set("Stripe-Version", body)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		checkFuzzResponse(t, rec, req)
		checkState(t, srv)
		// The fixture objects are all still readable and well formed.
		for _, tag := range []string{"{rpm}", "{rcf}", "{ra}", "{rc}", "{proc}", "{succ}", "{canc}", "{cspi}"} {
			id := ids[tag]
			g := httptest.NewRequest("GET", "/v1/payment_intents/"+id, nil)
			g.Header.Set("Authorization", "Bearer "+testKey)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, g)
			if rec.Code != 200 {
				t.Fatalf("GET %s after the request: %d %s", id, rec.Code, rec.Body)
			}
		}
	})
}

func checkFuzzResponse(t *testing.T, rec *httptest.ResponseRecorder, req *http.Request) {
	t.Helper()
	if rec.Code == 500 {
		t.Fatalf("500 (recovered panic?) for %s %q: %s", req.Method, req.URL, rec.Body)
	}
	if rec.Header().Get("Content-Type") != "application/json" || !strings.HasPrefix(rec.Header().Get("Request-Id"), "req_") {
		t.Fatalf("headers %v", rec.Header())
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("body is not a JSON object: %v %q", err, rec.Body)
	}
	if !utf8.Valid(rec.Body.Bytes()) {
		t.Fatal("body is not UTF-8")
	}
	if rec.Code == 200 {
		if _, ok := body["object"].(string); !ok {
			t.Fatalf("200 without object: %s", rec.Body)
		}
		if st, ok := body["status"].(string); ok && body["object"] == "payment_intent" && !validStatuses[st] {
			t.Fatalf("status %q", st)
		}
		return
	}
	switch rec.Code {
	case 400, 401, 402, 404, 409, 413:
	default:
		t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
	}
	e, ok := body["error"].(map[string]any)
	if !ok || len(body) != 1 {
		t.Fatalf("error body shape: %s", rec.Body)
	}
	switch e["type"] {
	case "invalid_request_error", "card_error", "idempotency_error":
	default:
		t.Fatalf("error type %v", e["type"])
	}
	if m, _ := e["message"].(string); m == "" {
		t.Fatalf("no message: %s", rec.Body)
	}
	for k, v := range e {
		if v == nil {
			t.Fatalf("error.%s is null", k)
		}
	}
}

// checkState verifies invariants of the stored objects.
func checkState(t *testing.T, s *Server) {
	t.Helper()
	for _, pi := range s.Intents() {
		if !validStatuses[pi.Status] {
			t.Fatalf("%s has status %q", pi.ID, pi.Status)
		}
		if (pi.Status == StatusCanceled) != (pi.CanceledAt != 0) {
			t.Fatalf("%s: status %s canceled_at %d", pi.ID, pi.Status, pi.CanceledAt)
		}
		if pi.AmountCapturable != 0 && pi.Status != StatusRequiresCapture {
			t.Fatalf("%s: amount_capturable %d in %s", pi.ID, pi.AmountCapturable, pi.Status)
		}
		if pi.Amount < 1 || pi.Metadata == nil {
			t.Fatalf("%s: %+v", pi.ID, pi)
		}
		if pi.LatestCharge != "" {
			ch, ok := s.Charge(pi.LatestCharge)
			if !ok || ch.PaymentIntent != pi.ID || ch.AmountRefunded > ch.Amount {
				t.Fatalf("%s: charge %+v", pi.ID, ch)
			}
			var sum int64
			for _, r := range s.RefundsForIntent(pi.ID) {
				if r.Charge == ch.ID {
					sum += r.Amount
				}
			}
			if sum != ch.AmountRefunded {
				t.Fatalf("%s: refunds sum %d, charge.amount_refunded %d", pi.ID, sum, ch.AmountRefunded)
			}
		}
	}
}
