package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var genKey = regexp.MustCompile(`^conf-testrun-[0-9a-f]{24}$`)

func TestHeadersSent(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL+"/", func(c *Config) { c.UserAgent = "conformance-test/1" })
	ctx := context.Background()

	// POST with an empty body still carries the form Content-Type (stripe-mock needs it).
	r := mustDo(t, c, ctx, Request{Method: "POST", Path: "/v1/payment_intents/pi_1/cancel"})
	if r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	got := rs.last(t)
	want := map[string]string{
		"Authorization":  "Bearer " + testKey,
		"Content-Type":   "application/x-www-form-urlencoded",
		"Stripe-Version": "2026-08-26.dahlia",
		"User-Agent":     "conformance-test/1",
		"Content-Length": "0",
	}
	for k, v := range want {
		if g := got.Header.Get(k); g != v {
			t.Errorf("POST %s = %q, want %q", k, g, v)
		}
	}
	if got.Method != "POST" || got.Path != "/v1/payment_intents/pi_1/cancel" || got.Body != "" {
		t.Errorf("POST seen as %s %s body %q", got.Method, got.Path, got.Body)
	}
	if k := got.Header.Get("Idempotency-Key"); !genKey.MatchString(k) {
		t.Errorf("generated Idempotency-Key %q does not look like conf-<run>-<hex>", k)
	}

	// A second POST gets a different generated key.
	first := got.Header.Get("Idempotency-Key")
	mustDo(t, c, ctx, Request{Method: "POST", Path: "/v1/payment_intents"})
	if k := rs.last(t).Header.Get("Idempotency-Key"); k == first || !genKey.MatchString(k) {
		t.Errorf("second generated key %q (first %q)", k, first)
	}

	// An explicit key is sent as is.
	mustDo(t, c, ctx, Request{Method: "POST", Path: "/v1/payment_intents", IdempotencyKey: "my-key-1"})
	if k := rs.last(t).Header.Get("Idempotency-Key"); k != "my-key-1" {
		t.Errorf("explicit Idempotency-Key = %q", k)
	}

	// GET: no Content-Type, no Idempotency-Key, but auth, version and UA.
	mustDo(t, c, ctx, Request{Method: "GET", Path: "/v1/payment_intents/pi_1"})
	got = rs.last(t)
	if got.Header.Get("Content-Type") != "" || got.Header.Get("Idempotency-Key") != "" {
		t.Errorf("GET sent Content-Type %q / Idempotency-Key %q", got.Header.Get("Content-Type"), got.Header.Get("Idempotency-Key"))
	}
	if got.Header.Get("Authorization") != "Bearer "+testKey || got.Header.Get("Stripe-Version") == "" || got.Header.Get("User-Agent") != "conformance-test/1" {
		t.Errorf("GET headers: %v", got.Header)
	}

	// No Stripe-Version when not configured; default User-Agent.
	c2 := newTestClient(t, rs.URL, func(c *Config) { c.StripeVersion = "" })
	mustDo(t, c2, ctx, Request{Method: "GET", Path: "/x"})
	if v, ok := rs.last(t).Header["Stripe-Version"]; ok {
		t.Errorf("Stripe-Version sent without configuration: %q", v)
	}
	if ua := rs.last(t).Header.Get("User-Agent"); ua != DefaultUserAgent {
		t.Errorf("default User-Agent = %q", ua)
	}
}

func TestAuthVariants(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL, nil)
	ctx := context.Background()
	empty, other := "", "sk_test_someOtherAccountKey99"

	mustDo(t, c, ctx, Request{Method: "GET", Path: "/a", Auth: &empty})
	if v, ok := rs.last(t).Header["Authorization"]; ok {
		t.Errorf("Auth=\"\" still sent Authorization %q", v)
	}

	mustDo(t, c, ctx, Request{Method: "GET", Path: "/a", Auth: &other})
	if v := rs.last(t).Header.Get("Authorization"); v != "Bearer "+other {
		t.Errorf("custom Auth sent %q", v)
	}

	r := mustDo(t, c, ctx, Request{Method: "POST", Path: "/a", BasicAuth: true})
	hr := &http.Request{Header: rs.last(t).Header}
	user, pass, ok := hr.BasicAuth()
	if !ok || user != testKey || pass != "" {
		t.Errorf("BasicAuth: ok=%v user=%q pass=%q", ok, user, pass)
	}
	if v := r.Exchange.RequestHeader.Get("Authorization"); v != "Basic [REDACTED]" {
		t.Errorf("recorded Authorization = %q", v)
	}

	// Extra headers are applied last; a key without values removes a header.
	mustDo(t, c, ctx, Request{Method: "POST", Path: "/a", Header: http.Header{
		"X-Extra":        {"1", "2"},
		"stripe-version": {"2020-08-27"},
		"Content-Type":   nil,
	}})
	got := rs.last(t)
	if v := got.Header.Values("X-Extra"); !reflect.DeepEqual(v, []string{"1", "2"}) {
		t.Errorf("X-Extra = %q", v)
	}
	if v := got.Header.Get("Stripe-Version"); v != "2020-08-27" {
		t.Errorf("Stripe-Version override = %q", v)
	}
	if v, ok := got.Header["Content-Type"]; ok {
		t.Errorf("Content-Type not removed: %q", v)
	}
}

func TestFormEncodingOfBrackets(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL, nil)
	params := Params{
		"amount":                     {"2000"},
		"metadata[conformance_run]":  {"run 1 & more=yes"},
		"expand[]":                   {"latest_charge", "customer"},
		"payment_method_types[]":     {"sepa_debit", "card"},
		"payment_method_data[type]":  {"sepa_debit"},
		"mandate_data[a][b][c]":      {"ünïcode"},
		"automatic_payment_methods[": {"odd"},
	}
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/payment_intents", Params: params})
	got := rs.last(t)
	if !reflect.DeepEqual(got.form(t), params) {
		t.Errorf("server decoded %v, want %v", got.form(t), params)
	}
	// Keys sorted, values of an array key in their given order.
	var keys []string
	for _, pair := range strings.Split(got.Body, "&") {
		k, _, _ := strings.Cut(pair, "=")
		keys = append(keys, k)
	}
	wantOrder := []string{"amount", "automatic_payment_methods%5B", "expand%5B%5D", "expand%5B%5D", "mandate_data%5Ba%5D%5Bb%5D%5Bc%5D",
		"metadata%5Bconformance_run%5D", "payment_method_data%5Btype%5D", "payment_method_types%5B%5D", "payment_method_types%5B%5D"}
	if !reflect.DeepEqual(keys, wantOrder) {
		t.Errorf("wire key order %v, want %v", keys, wantOrder)
	}
	if !strings.Contains(got.Body, "expand%5B%5D=latest_charge&expand%5B%5D=customer") ||
		!strings.Contains(got.Body, "payment_method_types%5B%5D=sepa_debit&payment_method_types%5B%5D=card") {
		t.Errorf("array order lost: %s", got.Body)
	}
	if r.Exchange.RequestBody != got.Body {
		t.Errorf("Exchange.RequestBody %q != wire body %q", r.Exchange.RequestBody, got.Body)
	}

	// GET: params go to the query string, after a query already in Path.
	mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/v1/payment_intents?limit=3", Params: Params{"expand[]": {"data.latest_charge", "data.customer"}}})
	got = rs.last(t)
	q := got.query(t)
	if q.Get("limit") != "3" || !reflect.DeepEqual(q["expand[]"], []string{"data.latest_charge", "data.customer"}) || got.Body != "" {
		t.Errorf("GET query %q body %q", got.RawQuery, got.Body)
	}
}

func TestRawBody(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL, nil)
	ctx := context.Background()
	raw := []byte("amount=1&&=%ZZ\n")
	mustDo(t, c, ctx, Request{Method: "POST", Path: "/raw", RawBody: raw, Params: Params{"ignored": {"x"}}})
	got := rs.last(t)
	if got.Body != string(raw) {
		t.Errorf("raw body %q, want %q", got.Body, raw)
	}
	if v, ok := got.Header["Content-Type"]; ok {
		t.Errorf("raw body without Header Content-Type sent Content-Type %q", v)
	}
	mustDo(t, c, ctx, Request{Method: "POST", Path: "/raw", RawBody: []byte(`{"a":1}`), Header: http.Header{"Content-Type": {"application/json"}}})
	if got := rs.last(t); got.Header.Get("Content-Type") != "application/json" || got.Body != `{"a":1}` {
		t.Errorf("raw JSON: %q %q", got.Header.Get("Content-Type"), got.Body)
	}
	// An empty, non-nil RawBody is an empty body without Content-Type.
	mustDo(t, c, ctx, Request{Method: "POST", Path: "/raw", RawBody: []byte{}})
	if got := rs.last(t); got.Header.Get("Content-Type") != "" || got.Body != "" {
		t.Errorf("empty raw body: %q %q", got.Header.Get("Content-Type"), got.Body)
	}
}

func statusThen(codes ...int) func(n int, w http.ResponseWriter, r *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		code := 200
		if n <= len(codes) {
			code = codes[n-1]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"n":`+string(rune('0'+n))+`}`)
	}
}

func TestRetry503ReusesGeneratedIdempotencyKey(t *testing.T) {
	rs := newRecServer(t, statusThen(503, 503))
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/payment_intents/pi_1/cancel", Params: Params{"cancellation_reason": {"duplicate"}}})
	if r.Status != 200 {
		t.Fatalf("final status %d, want 200 after two 503s", r.Status)
	}
	reqs := rs.requests()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	k := reqs[0].Header.Get("Idempotency-Key")
	if !genKey.MatchString(k) {
		t.Fatalf("no generated key: %q", k)
	}
	for i, rq := range reqs {
		if rq.Header.Get("Idempotency-Key") != k || rq.Body != "cancellation_reason=duplicate" {
			t.Errorf("attempt %d: key %q body %q (first key %q)", i+1, rq.Header.Get("Idempotency-Key"), rq.Body, k)
		}
	}
	if r.Exchange.Attempts != 3 || len(r.Exchange.RetryLog) != 2 || !strings.Contains(r.Exchange.RetryLog[0], "503") {
		t.Errorf("exchange: attempts %d, retry log %q", r.Exchange.Attempts, r.Exchange.RetryLog)
	}
	if s := c.Stats(); s.Requests != 1 || s.Attempts != 3 {
		t.Errorf("stats %+v", s)
	}
	if string(r.Body) != `{"n":3}` {
		t.Errorf("body of the final attempt expected, got %s", r.Body)
	}
}

func TestRetriesExhaustedReturnResponse(t *testing.T) {
	rs := newRecServer(t, statusThen(503, 503, 503, 503, 503))
	c := newTestClient(t, rs.URL, nil) // default MaxRetries 2
	r, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if err != nil {
		t.Fatalf("exhausted retries must be a Response, got %v", err)
	}
	if r.Status != 503 || r.Exchange.Attempts != 3 || len(rs.requests()) != 3 {
		t.Errorf("status %d attempts %d server saw %d", r.Status, r.Exchange.Attempts, len(rs.requests()))
	}

	rs2 := newRecServer(t, statusThen(503, 503))
	c2 := newTestClient(t, rs2.URL, func(c *Config) { c.MaxRetries = -1 })
	r = mustDo(t, c2, context.Background(), Request{Method: "GET", Path: "/x"})
	if r.Status != 503 || len(rs2.requests()) != 1 {
		t.Errorf("MaxRetries -1: status %d, server saw %d", r.Status, len(rs2.requests()))
	}
}

func TestNoRetryOnOtherStatuses(t *testing.T) {
	for _, code := range []int{400, 402, 404, 409, 500, 502} {
		rs := newRecServer(t, statusThen(code))
		c := newTestClient(t, rs.URL, nil)
		r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/x"})
		if r.Status != code || len(rs.requests()) != 1 {
			t.Errorf("%d: status %d, server saw %d requests", code, r.Status, len(rs.requests()))
		}
	}
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"rate_limit"}}`)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	})
	c := newTestClient(t, rs.URL, nil) // RetryBackoff 1ms: only Retry-After can explain a 1s gap
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/payment_intents"})
	reqs := rs.requests()
	if r.Status != 200 || len(reqs) != 2 {
		t.Fatalf("status %d after %d requests", r.Status, len(reqs))
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried after %s, Retry-After asked for 1s", gap)
	}
	if reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
		t.Error("429 retry changed the Idempotency-Key")
	}
	if s := c.Stats(); s.BackoffTime < 900*time.Millisecond {
		t.Errorf("BackoffTime %s", s.BackoffTime)
	}
}

func TestRetryDelay(t *testing.T) {
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	if d := retryDelay(1, time.Millisecond, h("3")); d != 3*time.Second {
		t.Errorf("Retry-After 3 -> %s", d)
	}
	if d := retryDelay(1, time.Millisecond, h("3600")); d != MaxRetryAfter {
		t.Errorf("Retry-After 3600 -> %s, want the 10s cap", d)
	}
	if d := retryDelay(1, time.Millisecond, h(time.Now().Add(4*time.Second).UTC().Format(http.TimeFormat))); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("Retry-After date -> %s", d)
	}
	if d := retryDelay(1, time.Millisecond, h(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))); d != MaxRetryAfter {
		t.Errorf("Retry-After date in an hour -> %s, want the 10s cap", d)
	}
	if d := retryDelay(1, time.Millisecond, h("99999999999999")); d != MaxRetryAfter {
		t.Errorf("huge Retry-After -> %s, want the 10s cap", d)
	}
	for i := 0; i < 50; i++ {
		if d := retryDelay(1, 200*time.Millisecond, nil); d < 100*time.Millisecond || d > 200*time.Millisecond {
			t.Fatalf("attempt 1 backoff %s outside [100ms, 200ms]", d)
		}
		if d := retryDelay(3, 200*time.Millisecond, nil); d < 400*time.Millisecond || d > 800*time.Millisecond {
			t.Fatalf("attempt 3 backoff %s outside [400ms, 800ms]", d)
		}
		if d := retryDelay(30, 200*time.Millisecond, h("soon")); d < MaxBackoff/2 || d > MaxBackoff {
			t.Fatalf("attempt 30 backoff %s outside [2.5s, 5s]", d)
		}
	}
	// Jitter: not always the same value.
	seenVals := map[time.Duration]bool{}
	for i := 0; i < 20; i++ {
		seenVals[retryDelay(2, time.Second, nil)] = true
	}
	if len(seenVals) < 2 {
		t.Error("backoff has no jitter")
	}
}

func TestRetryOnConnectionReset(t *testing.T) {
	for _, method := range []string{"POST", "GET"} {
		rs := &recServer{}
		srv, l := newResetFirstServer(t, rs)
		c := newTestClient(t, srv.URL, nil)
		r, err := c.Do(context.Background(), Request{Method: method, Path: "/v1/payment_intents/pi_1/cancel"})
		if err != nil {
			t.Fatalf("%s: reset not retried: %v", method, err)
		}
		if r.Status != 200 || r.Exchange.Attempts != 2 || l.n.Load() != 2 || len(rs.requests()) != 1 {
			t.Errorf("%s: status %d attempts %d connections %d requests %d", method, r.Status, r.Exchange.Attempts, l.n.Load(), len(rs.requests()))
		}
		if method == "POST" && !genKey.MatchString(rs.last(t).Header.Get("Idempotency-Key")) {
			t.Errorf("retried POST lacks the generated key")
		}
	}
}

func TestNoPOSTRetryWithoutIdempotencyKey(t *testing.T) {
	rs := newRecServer(t, statusThen(503))
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/x", NoIdempotencyKey: true, IdempotencyKey: "ignored"})
	if r.Status != 503 || len(rs.requests()) != 1 || r.Exchange.Attempts != 1 {
		t.Errorf("status %d, server saw %d requests, attempts %d", r.Status, len(rs.requests()), r.Exchange.Attempts)
	}
	if v, ok := rs.last(t).Header["Idempotency-Key"]; ok {
		t.Errorf("NoIdempotencyKey still sent %q", v)
	}

	rs2 := &recServer{}
	srv, l := newResetFirstServer(t, rs2)
	c2 := newTestClient(t, srv.URL, nil)
	_, err := c2.Do(context.Background(), Request{Method: "POST", Path: "/x", NoIdempotencyKey: true})
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("want a TransportError for the reset, got %v", err)
	}
	if te.Exchange.Attempts != 1 || l.n.Load() != 1 {
		t.Errorf("attempts %d, connections %d", te.Exchange.Attempts, l.n.Load())
	}
}

func TestConnectionRefused(t *testing.T) {
	rs := newRecServer(t, nil)
	base := rs.URL
	rs.Close()
	c := newTestClient(t, base, nil)
	start := time.Now()
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/v1/payment_intents/pi_1"})
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("want TransportError, got %T %v", err, err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("cause not reachable through Unwrap: %v", err)
	}
	if te.Exchange.Attempts != 3 || te.Exchange.Status != 0 || te.Exchange.Err == "" {
		t.Errorf("exchange %+v", te.Exchange)
	}
	msg := err.Error()
	for _, want := range []string{"GET", base + "/v1/payment_intents/pi_1", "3 attempts", "refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
	if s := c.Stats(); s.TransportErrors != 1 || s.Attempts != 3 {
		t.Errorf("stats %+v", s)
	}
}

func hangingServer(t *testing.T) *recServer {
	release := make(chan struct{})
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before rs.Close (LIFO)
	return rs
}

func TestTimeoutIsTransportError(t *testing.T) {
	rs := hangingServer(t)
	c := newTestClient(t, rs.URL, func(c *Config) { c.RequestTimeout = 200 * time.Millisecond })
	start := time.Now()
	r, err := c.Do(context.Background(), Request{Method: "GET", Path: "/slow"})
	elapsed := time.Since(start)
	var te *TransportError
	if !errors.As(err, &te) || r != nil {
		t.Fatalf("want TransportError and no response, got %v / %v", r, err)
	}
	if !te.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("not reported as a timeout: %v", err)
	}
	if !strings.Contains(err.Error(), "request timeout") {
		t.Errorf("error does not name the timeout: %v", err)
	}
	if te.Exchange.Attempts != 1 || len(rs.requests()) != 1 {
		t.Errorf("timeouts must not be retried: attempts %d", te.Exchange.Attempts)
	}
	if elapsed < 190*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("elapsed %s", elapsed)
	}
}

func TestContextCancelled(t *testing.T) {
	rs := hangingServer(t)
	c := newTestClient(t, rs.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Do(ctx, Request{Method: "GET", Path: "/slow"})
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a TransportError wrapping context.Canceled, got %v", err)
	}
	if te.Exchange.Attempts != 1 {
		t.Errorf("attempts %d", te.Exchange.Attempts)
	}

	// Already cancelled: nothing is sent.
	n := len(rs.requests())
	_, err = c.Do(ctx, Request{Method: "POST", Path: "/x"})
	if !errors.As(err, &te) || te.Exchange.Attempts != 0 || len(rs.requests()) != n {
		t.Errorf("cancelled ctx: err %v, attempts %d", err, te.Exchange.Attempts)
	}
}

func TestContextStopsRetrying(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(503)
	})
	c := newTestClient(t, rs.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := c.Do(ctx, Request{Method: "GET", Path: "/x"})
	if err != nil {
		t.Fatalf("the last response should be returned, got %v", err)
	}
	if r.Status != 503 || len(rs.requests()) != 1 {
		t.Errorf("status %d, server saw %d", r.Status, len(rs.requests()))
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("waited %s although the deadline was 300ms", el)
	}
}

func TestBodyTooLarge(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 1<<20)
		for i := 0; i < 11; i++ {
			_, _ = io.WriteString(w, chunk)
		}
	})
	c := newTestClient(t, rs.URL, nil)
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/big"})
	var te *TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("want a too-large TransportError, got %v", err)
	}
	if te.Exchange.Attempts != 1 {
		t.Errorf("oversized body retried: %d attempts", te.Exchange.Attempts)
	}
}

func TestResponseJSON(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			_, _ = io.WriteString(w, `{"amount": 9007199254740993, "nested": {"x": 1.5}}`)
		case "/html":
			w.WriteHeader(502)
			_, _ = io.WriteString(w, "<html><body>Bad gateway "+testKey+"</body></html>")
		case "/array":
			_, _ = io.WriteString(w, `[1,2]`)
		case "/trailing":
			_, _ = io.WriteString(w, `{"a":1} {"b":2}`)
		}
	})
	c := newTestClient(t, rs.URL, nil)
	ctx := context.Background()

	r := mustDo(t, c, ctx, Request{Method: "GET", Path: "/json"})
	m := mustJSON(t, r)
	n, ok := m["amount"].(json.Number)
	if !ok || n.String() != "9007199254740993" {
		t.Errorf("amount = %#v, want exact json.Number", m["amount"])
	}
	m["mutated"] = true
	if again := mustJSON(t, r); again["mutated"] != true {
		t.Error("JSON is not parsed once and cached")
	}

	r = mustDo(t, c, ctx, Request{Method: "GET", Path: "/html"})
	if r.Status != 502 {
		t.Errorf("status %d", r.Status)
	}
	_, err := r.JSON()
	if err == nil || !strings.HasPrefix(err.Error(), "response is not JSON: <html><body>Bad gateway") {
		t.Errorf("JSON error = %v", err)
	}
	assertNoLeak(t, "JSON error", err.Error(), testKey)

	for _, p := range []string{"/array", "/trailing"} {
		r = mustDo(t, c, ctx, Request{Method: "GET", Path: p})
		if _, err := r.JSON(); err == nil || !strings.HasPrefix(err.Error(), "response is not JSON: ") {
			t.Errorf("%s: JSON error = %v", p, err)
		}
	}
}

func TestRedactionEverywhere(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(testKey + ":"))
	leaks := []string{testKey, basic, "TopSecretKeyValue"}
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Key", testKey)
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"error":{"message":"Invalid API Key provided: `+testKey+` via `+r.Header.Get("Authorization")+`"}}`)
	})
	c := newTestClient(t, rs.URL, nil)
	rec := NewRecorder()
	cr := c.WithRecorder(rec)
	ctx := context.Background()
	for _, basicAuth := range []bool{false, true} {
		r := mustDo(t, cr, ctx, Request{
			Method: "POST", Path: "/v1/payment_intents?key=" + testKey, BasicAuth: basicAuth,
			Params: Params{"metadata[k]": {testKey}},
			Header: http.Header{"X-Sent": {"prefix " + testKey}},
		})
		ex := r.Exchange
		b, _ := json.Marshal(ex)
		assertNoLeak(t, "Exchange JSON", string(b), leaks...)
		assertNoLeak(t, "Summary", ex.Summary(0), leaks...)
		assertNoLeak(t, "Curl", ex.Curl(), leaks...)
		if !strings.Contains(string(b), "[REDACTED]") {
			t.Errorf("nothing marked as redacted: %s", b)
		}
		// The raw response stays raw for the assertions.
		if !strings.Contains(string(r.Body), testKey) {
			t.Error("Response.Body should be the raw body")
		}
	}
	if rec.Count() != 2 {
		t.Errorf("recorded %d", rec.Count())
	}

	// A per-request key is redacted too, and Curl names another variable for it.
	other := "opaque-other-credential"
	r := mustDo(t, c, ctx, Request{Method: "GET", Path: "/x", Auth: &other})
	b, _ := json.Marshal(r.Exchange)
	assertNoLeak(t, "custom-auth exchange", string(b)+r.Exchange.Summary(0), other)
	if !strings.Contains(r.Exchange.Curl(), `"Authorization: Bearer $`+OtherAPIKeyEnv+`"`) {
		t.Errorf("custom-auth curl: %s", r.Exchange.Curl())
	}

	// Transport errors: the key in the URL must not leak through the error text (url.Error quotes the URL).
	dead := newRecServer(t, nil)
	deadURL := dead.URL
	dead.Close()
	c2 := newTestClient(t, deadURL, func(c *Config) { c.MaxRetries = -1 })
	_, err := c2.WithRecorder(rec).Do(ctx, Request{Method: "GET", Path: "/v1/x?k=" + testKey})
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("want TransportError, got %v", err)
	}
	assertNoLeak(t, "TransportError", err.Error(), leaks...)
	assertNoLeak(t, "TransportError.Err", te.Err.Error(), leaks...)
	assertNoLeak(t, "TransportError summary", te.Exchange.Summary(0), leaks...)
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error text should show the redaction: %v", err)
	}
	if rec.Count() != 3 {
		t.Errorf("transport error not recorded: %d", rec.Count())
	}
}

func TestCurlRoundTrip(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL, nil)
	ctx := context.Background()
	other := "sk_test_otherAccountKey12345"
	env := map[string]string{DefaultAPIKeyEnv: testKey, OtherAPIKeyEnv: other}

	cases := []Request{
		{Method: "POST", Path: "/v1/payment_intents/pi_1/cancel", Params: Params{
			"cancellation_reason":       {"duplicate"},
			"metadata[conformance_run]": {"it's a \"run\" & $HOME `x` ü 100%"},
			"expand[]":                  {"latest_charge", "customer"},
			"weird key=&@":              {"v"},
		}, Header: http.Header{"X-Note": {`a 'quoted' "value" $PATH`}}},
		{Method: "POST", Path: "/v1/payment_intents/pi_1/cancel"}, // empty body
		{Method: "GET", Path: "/v1/payment_intents?limit=3", Params: Params{"expand[]": {"data.latest_charge"}}},
		{Method: "GET", Path: "/v1/payment_intents/pi_1?expand[]=latest_charge&x={a}"}, // literal brackets: curl must not glob
		{Method: "POST", Path: "/v1/payment_intents", BasicAuth: true, IdempotencyKey: "fixed-key"},
		{Method: "POST", Path: "/raw", RawBody: []byte("@notafile&a=%ZZ"), Header: http.Header{"Content-Type": {"text/plain"}}},
		{Method: "POST", Path: "/raw-no-ct", RawBody: []byte(`{"a":1}`)},
		{Method: "GET", Path: "/v1/customers/cus_1", Auth: &other},
		{Method: "GET", Path: "/v1/balance", Auth: new(string)},
	}
	compare := func(t *testing.T, name string, orig, rep seen) {
		t.Helper()
		if orig.Method != rep.Method || orig.Path != rep.Path {
			t.Errorf("%s: %s %s replayed as %s %s", name, orig.Method, orig.Path, rep.Method, rep.Path)
		}
		if !reflect.DeepEqual(orig.query(t), rep.query(t)) {
			t.Errorf("%s: query %q replayed as %q", name, orig.RawQuery, rep.RawQuery)
		}
		if strings.HasPrefix(orig.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if !reflect.DeepEqual(orig.form(t), rep.form(t)) {
				t.Errorf("%s: form %v replayed as %v", name, orig.form(t), rep.form(t))
			}
		} else if orig.Body != rep.Body {
			t.Errorf("%s: body %q replayed as %q", name, orig.Body, rep.Body)
		}
		for _, h := range []string{"Authorization", "Idempotency-Key", "Stripe-Version", "Content-Type", "X-Note"} {
			if o, r := orig.Header.Values(h), rep.Header.Values(h); !reflect.DeepEqual(o, r) {
				t.Errorf("%s: header %s %q replayed as %q", name, h, o, r)
			}
		}
		// A POST carries a Content-Length (0 for an empty body) both times; the value may differ with encoding.
		if (orig.Header.Get("Content-Length") == "") != (rep.Header.Get("Content-Length") == "") {
			t.Errorf("%s: Content-Length %q replayed as %q", name, orig.Header.Get("Content-Length"), rep.Header.Get("Content-Length"))
		}
	}
	for i, req := range cases {
		r := mustDo(t, c, ctx, req)
		orig := rs.last(t)
		line := r.Exchange.Curl()
		name := req.Method + " " + req.Path
		if strings.Contains(line, testKey) || strings.Contains(line, other) {
			t.Fatalf("%s: curl leaks the key: %s", name, line)
		}
		if !strings.HasPrefix(line, "curl -sS -X "+req.Method+" '") {
			t.Errorf("%s: unexpected prefix: %s", name, line)
		}
		if i == 0 && !strings.Contains(line, `-H "Authorization: Bearer $CONFORMANCE_API_KEY"`) {
			t.Errorf("key variable not double-quoted: %s", line)
		}

		// Replay through the Go interpretation of the command line.
		hr := curlToRequest(t, line, env)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatalf("%s: replay: %v", name, err)
		}
		resp.Body.Close()
		compare(t, name+" (parsed)", orig, rs.last(t))

		// And through the real curl and shell, when available.
		if haveCurl() {
			cmd := exec.Command("sh", "-c", line)
			cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/local/bin", "HOME=/nonexistent", DefaultAPIKeyEnv + "=" + testKey, OtherAPIKeyEnv + "=" + other}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: curl failed: %v\n%s\n%s", name, err, line, out)
			}
			compare(t, name+" (curl)", orig, rs.last(t))
		}
	}
}

func TestSummary(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, "{\n  \"error\": {\n    \"type\": \"invalid_request_error\",\n    \"message\": \""+strings.Repeat("é", 100)+"\"\n  }\n}")
	})
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/payment_intents/pi_1/cancel",
		Params: Params{"cancellation_reason": {"duplicate"}, "metadata[a b]": {"c"}}})
	s := r.Exchange.Summary(60)
	lines := strings.Split(s, "\n")
	if len(lines) != 5 {
		t.Fatalf("summary has %d lines:\n%s", len(lines), s)
	}
	if lines[0] != "POST /v1/payment_intents/pi_1/cancel" {
		t.Errorf("line 1 %q", lines[0])
	}
	if lines[1] != "  request: cancellation_reason=duplicate&metadata[a b]=c" {
		t.Errorf("line 2 %q", lines[1])
	}
	if lines[2] != "  response: 400 Bad Request" {
		t.Errorf("line 3 %q", lines[2])
	}
	body, ok := strings.CutPrefix(lines[3], "  body: ")
	if !ok || !strings.HasPrefix(body, `{"error":{"type":"invalid_request_error"`) {
		t.Errorf("line 4 %q (want compacted JSON)", lines[3])
	}
	excerptPart, _, _ := strings.Cut(body, "… (")
	if len(excerptPart) > 60 || !strings.HasSuffix(body, " bytes)") {
		t.Errorf("body excerpt is %d bytes (max 60): %q", len(excerptPart), body)
	}
	if !strings.HasPrefix(lines[4], "  reproduce: curl -sS -X POST ") {
		t.Errorf("line 5 %q", lines[4])
	}
	// No limit.
	if full := r.Exchange.Summary(0); !strings.Contains(full, strings.Repeat("é", 100)) {
		t.Errorf("Summary(0) truncated:\n%s", full)
	}
}

func TestStatsAndRecorderSharing(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		if r.URL.Path == "/flaky" && n%2 == 1 {
			w.WriteHeader(503)
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	c := newTestClient(t, rs.URL, nil)
	recA, recB := NewRecorder(), NewRecorder()
	a, b := c.WithRecorder(recA), c.WithRecorder(recB)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cl := a
			if i%2 == 1 {
				cl = b
			}
			if _, err := cl.Do(ctx, Request{Method: "GET", Path: "/ok"}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	mustDo(t, c, ctx, Request{Method: "GET", Path: "/flaky"}) // not recorded: c has no recorder
	if recA.Count() != 4 || recB.Count() != 4 || len(recA.Exchanges()) != 4 {
		t.Errorf("recorders: %d / %d", recA.Count(), recB.Count())
	}
	st := c.Stats()
	if st != a.Stats() || st != b.Stats() {
		t.Errorf("stats not shared: %+v %+v %+v", st, a.Stats(), b.Stats())
	}
	if st.Requests != 9 {
		t.Errorf("Requests %d, want 9", st.Requests)
	}
	if st.Attempts != int64(len(rs.requests())) || st.Attempts < 10 {
		t.Errorf("Attempts %d, server saw %d", st.Attempts, len(rs.requests()))
	}
	if st.WaitTime < time.Duration(st.Attempts)*20*time.Millisecond {
		t.Errorf("WaitTime %s below %d × 20ms of server time", st.WaitTime, st.Attempts)
	}
	recA.Reset()
	if recA.Count() != 0 || recB.Count() != 4 {
		t.Errorf("Reset: %d / %d", recA.Count(), recB.Count())
	}
	for _, ex := range recB.Exchanges() {
		if ex.Method != "GET" || ex.Status != 200 || ex.Duration <= 0 || ex.Started.IsZero() || ex.Attempts != 1 {
			t.Errorf("exchange %+v", ex)
		}
	}
	if c.WithRecorder(nil).Recorder() != nil || a.Recorder() != recA {
		t.Error("Recorder() getter")
	}
}

func TestRecorderOrder(t *testing.T) {
	rs := newRecServer(t, nil)
	rec := NewRecorder()
	c := newTestClient(t, rs.URL, nil).WithRecorder(rec)
	for _, p := range []string{"/1", "/2", "/3"} {
		mustDo(t, c, context.Background(), Request{Method: "GET", Path: p})
	}
	var got []string
	for _, ex := range rec.Exchanges() {
		got = append(got, ex.Path())
	}
	if !reflect.DeepEqual(got, []string{"/1", "/2", "/3"}) {
		t.Errorf("order %v", got)
	}
}

func TestNewValidation(t *testing.T) {
	live := "sk_live_51RealLiveKeyDoNotPrint"
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{BaseURL: ""}, "empty"},
		{Config{BaseURL: "ftp://x"}, "http or https"},
		{Config{BaseURL: "127.0.0.1:12111"}, ""},
		{Config{BaseURL: "http://"}, "no host"},
		{Config{BaseURL: "http://h/?q=1"}, "query"},
		{Config{BaseURL: "http://h", APIKey: live}, "live"},
		{Config{BaseURL: "http://h", RequestTimeout: -1}, "RequestTimeout"},
		{Config{BaseURL: "http://h", RateLimit: -1}, "RateLimit"},
		{Config{BaseURL: "http://h", MaxRetries: -2}, "MaxRetries"},
	}
	for _, b := range bad {
		_, err := New(b.cfg)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("New(%q): %v, want error mentioning %q", b.cfg.BaseURL, err, b.want)
		}
		if err != nil && strings.Contains(err.Error(), "RealLiveKey") {
			t.Errorf("error echoes the key: %v", err)
		}
	}
	if _, err := New(Config{BaseURL: "http://h", APIKey: live}); !errors.Is(err, ErrLiveKey) {
		t.Errorf("live key error not ErrLiveKey: %v", err)
	}

	c, err := New(Config{BaseURL: "https://api.example.com/prefix/", APIKey: testKey, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config()
	if cfg.APIKey != testKey || cfg.BaseURL != "https://api.example.com/prefix" || cfg.RequestTimeout != DefaultRequestTimeout ||
		cfg.RetryBackoff != DefaultRetryBackoff || cfg.MaxRetries != -1 || cfg.UserAgent != DefaultUserAgent || cfg.HTTPClient == nil || cfg.RunID == "" {
		t.Errorf("Config() = %+v", cfg)
	}
	if c2, _ := New(Config{BaseURL: "http://h"}); c2.Config().MaxRetries != DefaultMaxRetries {
		t.Errorf("default MaxRetries = %d", c2.Config().MaxRetries)
	}
}

func TestBaseURLPathPrefix(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL+"/stripe/", nil)
	mustDo(t, c, context.Background(), Request{Method: "GET", Path: "v1/balance"})
	if p := rs.last(t).Path; p != "/stripe/v1/balance" {
		t.Errorf("path %q", p)
	}
}

func TestLiveCustomAuthRefused(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL, nil)
	live := "sk_live_51AnotherLiveKey000000"
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x", Auth: &live})
	if !errors.Is(err, ErrLiveKey) || len(rs.requests()) != 0 {
		t.Fatalf("live per-request key: err %v, server saw %d", err, len(rs.requests()))
	}
	assertNoLeak(t, "error", err.Error(), live, "AnotherLiveKey")
}

func TestRedirectNotFollowed(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/x"})
	if r.Status != http.StatusFound || len(rs.requests()) != 1 {
		t.Errorf("status %d, server saw %d", r.Status, len(rs.requests()))
	}
}

func TestBaseURLWithCredentialsIsRefused(t *testing.T) {
	_, err := New(Config{BaseURL: "https://rk_live_abcdefgh12345678:@api.example", APIKey: "sk_test_abcdefgh"})
	if err == nil || strings.Contains(err.Error(), "abcdefgh12345678") {
		t.Errorf("err = %v", err)
	}
}
