package reference

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "sk_test_reference123"

// exchange is one recorded request/response pair.
type exchange struct {
	Method, Path, Query, Body string
	Status                    int
	Header                    http.Header
	Raw                       []byte
}

// harness drives a Server in-process (no sockets) and records exchanges.
type harness struct {
	t   testing.TB
	srv *Server

	mu  sync.Mutex
	log []exchange
}

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	return &harness{t: t, srv: New(opts)}
}

// resp is a decoded response.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r resp) str(path string) string {
	v := r.get(path)
	s, _ := v.(string)
	return s
}

func (r resp) num(path string) int64 {
	switch v := r.get(path).(type) {
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return -1
}

// get walks a dotted path (numbers index arrays).
func (r resp) get(path string) any {
	var cur any = r.Body
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return missing{}
			}
			cur = v
		case []any:
			i := 0
			for _, ch := range seg {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return missing{}
			}
			cur = c[i]
		default:
			return missing{}
		}
	}
	return cur
}

type missing struct{}

type reqOpt func(*http.Request)

func withKey(k string) reqOpt {
	return func(r *http.Request) {
		if k == "" {
			r.Header.Del("Authorization")
		} else {
			r.Header.Set("Authorization", "Bearer "+k)
		}
	}
}

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func withIdem(k string) reqOpt { return withHeader("Idempotency-Key", k) }

// do sends one request. form is a raw urlencoded string (query for GET, body for POST).
func (h *harness) do(method, path, form string, opts ...reqOpt) resp {
	h.t.Helper()
	target := path
	var body io.Reader
	if method == http.MethodGet && form != "" {
		target += "?" + form
	} else if form != "" {
		body = strings.NewReader(form)
	}
	req := httptest.NewRequest(method, target, body)
	req.Header.Set("Authorization", "Bearer "+testKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	out := resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	dec := json.NewDecoder(bytes.NewReader(out.Raw))
	if err := dec.Decode(&out.Body); err != nil {
		h.t.Fatalf("%s %s: response is not a JSON object: %v\n%s", method, path, err, out.Raw)
	}
	u, _ := url.Parse(target)
	h.mu.Lock()
	h.log = append(h.log, exchange{Method: method, Path: u.Path, Query: u.RawQuery, Body: form, Status: out.Status, Header: out.Header.Clone(), Raw: out.Raw})
	h.mu.Unlock()
	return out
}

func (h *harness) post(path, form string, opts ...reqOpt) resp {
	h.t.Helper()
	return h.do(http.MethodPost, path, form, opts...)
}

func (h *harness) get(path, query string, opts ...reqOpt) resp {
	h.t.Helper()
	return h.do(http.MethodGet, path, query, opts...)
}

// expect200 fails unless r has status want.
func expectStatus(t testing.TB, r resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body:\n%s", r.Status, want, r.Raw)
	}
}

// ---- status recipes (contract §8) ----

const cardPI = "amount=2000&currency=usd&payment_method_types[]=card"

func (h *harness) intentIn(status string) resp {
	h.t.Helper()
	var r resp
	switch status {
	case StatusRequiresPaymentMethod:
		r = h.post("/v1/payment_intents", cardPI)
	case StatusRequiresConfirmation:
		r = h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_visa")
	case StatusRequiresAction:
		r = h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_authenticationRequired&confirm=true")
	case StatusRequiresCapture:
		r = h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_visa&capture_method=manual&confirm=true")
	case StatusSucceeded:
		r = h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_visa&confirm=true")
	case StatusProcessing:
		r = h.post("/v1/payment_intents", sepaPI)
	case StatusCanceled:
		r = h.post("/v1/payment_intents", cardPI)
		expectStatus(h.t, r, 200)
		r = h.post("/v1/payment_intents/"+r.str("id")+"/cancel", "")
	default:
		h.t.Fatalf("no recipe for %s", status)
	}
	expectStatus(h.t, r, 200)
	if got := r.str("status"); got != status {
		h.t.Fatalf("recipe for %s produced %s", status, got)
	}
	return r
}

const sepaPI = "amount=1000&currency=eur&payment_method_types[]=sepa_debit&confirm=true&payment_method_data[type]=sepa_debit" +
	"&payment_method_data[sepa_debit][iban]=DE89370400440532013000&payment_method_data[billing_details][name]=Jenny%20Rosen" +
	"&payment_method_data[billing_details][email]=jenny@example.com&mandate_data[customer_acceptance][type]=offline"

var allStatuses = []string{StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusRequiresAction, StatusProcessing,
	StatusRequiresCapture, StatusSucceeded, StatusCanceled}

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
