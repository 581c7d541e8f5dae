package mutants

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/reference"
)

// Fast tests of the helpers the mutants are built from: a helper that silently does nothing would make a mutant
// identical to the reference, and the self-test would then blame the suite.

const testKey = "sk_test_mutants_unit"

type answer struct {
	status int
	header http.Header
	obj    map[string]any
	raw    string
}

func call(t *testing.T, h http.Handler, method, path string, form url.Values, header ...string) answer {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if len(form) > 0 {
		path += "?" + form.Encode()
	}
	r := httptest.NewRequest(method, path, body)
	r.Header.Set("Authorization", "Bearer "+testKey)
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), raw: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &a.obj)
	if cl := w.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(w.Body.Len()) {
		t.Errorf("%s %s: Content-Length %s for a %d-byte body", method, path, cl, w.Body.Len())
	}
	return a
}

func create(t *testing.T, h http.Handler, extra url.Values) answer {
	t.Helper()
	form := url.Values{"amount": {"2000"}, "currency": {"usd"}, "payment_method_types[]": {"card"}}
	for k, v := range extra {
		form[k] = v
	}
	a := call(t, h, http.MethodPost, "/v1/payment_intents", form)
	if a.status != 200 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	return a
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct{ method, path, op, id string }{
		{"POST", "/v1/payment_intents", "create", ""},
		{"GET", "/v1/payment_intents", "list", ""},
		{"GET", "/v1/payment_intents/pi_1", "retrieve", "pi_1"},
		{"POST", "/v1/payment_intents/pi_1", "update", "pi_1"},
		{"POST", "/v1/payment_intents/pi_1/cancel", "cancel", "pi_1"},
		{"POST", "/v1/payment_intents/pi_1/increment_authorization", "increment_authorization", "pi_1"},
		{"GET", "/v1/charges/ch_1", "other", ""},
		{"GET", "/v1/refunds", "other", ""},
	} {
		if op, id := route(tc.method, tc.path); op != tc.op || id != tc.id {
			t.Errorf("route(%s %s) = %q, %q; want %q, %q", tc.method, tc.path, op, id, tc.op, tc.id)
		}
	}
}

func TestEditJSONReachesNestedObjectsButNotMetadata(t *testing.T) {
	h := Wrap(reference.New(reference.Options{}), EditJSON(func(_ *Call, st int, body any) (int, any) {
		EachObject(body, func(key string, obj map[string]any) {
			if key != "metadata" {
				obj["x_test"] = "yes"
			}
		})
		return st, body
	}))
	a := create(t, h, url.Values{"metadata[k]": {"v"}})
	if a.obj["x_test"] != "yes" {
		t.Errorf("root object not edited: %s", a.raw)
	}
	if tip := a.obj["amount_details"].(map[string]any)["tip"].(map[string]any); tip["x_test"] != "yes" {
		t.Errorf("nested object not edited: %v", tip)
	}
	if md := a.obj["metadata"].(map[string]any); md["x_test"] != nil || md["k"] != "v" {
		t.Errorf("metadata changed: %v", md)
	}
}

func TestEditJSONCanChangeStatusAndLeavesNonJSONAlone(t *testing.T) {
	h := Wrap(reference.New(reference.Options{}), EditJSON(func(_ *Call, st int, body any) (int, any) {
		if e, ok := ErrorObject(body); ok && st == 404 {
			e["code"] = "edited"
			return 418, body
		}
		return st, body
	}))
	a := call(t, h, http.MethodPost, "/v1/payment_intents/pi_missing/cancel", nil)
	if a.status != 418 || a.obj["error"].(map[string]any)["code"] != "edited" {
		t.Errorf("got %d %s", a.status, a.raw)
	}
	res := &Result{Status: 200, Header: http.Header{}, Body: []byte("<html>")}
	out := EditJSON(func(*Call, int, any) (int, any) { return 500, "x" })(&Call{}, func() *Result { return res })
	if out.Status != 200 || string(out.Body) != "<html>" {
		t.Errorf("a non-JSON body was edited: %d %q", out.Status, out.Body)
	}
}

func TestSetFormChangesWhatTheReferenceReceives(t *testing.T) {
	ref := reference.New(reference.Options{})
	h := Wrap(ref, Before("cancel", func(c *Call) *Result {
		f := cloneForm(c.Form)
		f.Del("cancellation_reason")
		c.SetForm(f)
		return nil
	}))
	id := create(t, h, nil).obj["id"].(string)
	a := call(t, h, http.MethodPost, "/v1/payment_intents/"+id+"/cancel", url.Values{"cancellation_reason": {"duplicate"}})
	if a.status != 200 || a.obj["cancellation_reason"] != nil {
		t.Fatalf("the reason reached the reference: %d %s", a.status, a.raw)
	}
	if pi, _ := ref.Intent(id); pi.CancellationReason != "" || pi.Status != reference.StatusCanceled {
		t.Errorf("stored: %+v", pi)
	}
	// An empty cancel body without Content-Type stays acceptable after SetForm adds a parameter.
	h2 := Wrap(ref, Before("cancel", func(c *Call) *Result {
		c.SetForm(url.Values{"cancellation_reason": {"abandoned"}})
		return nil
	}))
	id2 := create(t, h2, nil).obj["id"].(string)
	r := httptest.NewRequest(http.MethodPost, "/v1/payment_intents/"+id2+"/cancel", nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	w := httptest.NewRecorder()
	h2.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), `"abandoned"`) {
		t.Errorf("SetForm on an empty body: %d %s", w.Code, w.Body.String())
	}
}

func TestBeforeAnswersWithoutTheReference(t *testing.T) {
	ref := reference.New(reference.Options{})
	h := Wrap(ref, Before("create", func(c *Call) *Result { return c.Error(&reference.Error{Type: "api_error", HTTPStatus: 503}) }))
	a := call(t, h, http.MethodPost, "/v1/payment_intents", url.Values{"amount": {"2000"}, "currency": {"usd"}})
	if a.status != 503 || len(ref.Intents()) != 0 {
		t.Errorf("got %d, %d intents stored", a.status, len(ref.Intents()))
	}
}

func TestAfterCancelStateEditsAreRerendered(t *testing.T) {
	ref := reference.New(reference.Options{})
	h := Wrap(ref, AfterCancel(func(c *Call, res *Result) {
		c.Update(func(pi *reference.PaymentIntent) { pi.CanceledAt = 42 })
		c.Rerender(res)
	}))
	id := create(t, h, url.Values{"payment_method": {"pm_card_visa"}, "capture_method": {"manual"}, "confirm": {"true"}}).obj["id"].(string)
	a := call(t, h, http.MethodPost, "/v1/payment_intents/"+id+"/cancel", url.Values{"expand[]": {"latest_charge"}})
	if a.obj["canceled_at"] != float64(42) {
		t.Errorf("canceled_at = %v", a.obj["canceled_at"])
	}
	if lc, ok := a.obj["latest_charge"].(map[string]any); !ok || lc["object"] != "charge" {
		t.Errorf("the re-rendered answer lost the expansion: %v", a.obj["latest_charge"])
	}
	if g := call(t, h, http.MethodGet, "/v1/payment_intents/"+id, nil); g.obj["canceled_at"] != float64(42) {
		t.Errorf("GET canceled_at = %v", g.obj["canceled_at"])
	}
}

func TestRestoreAndNewRefunds(t *testing.T) {
	ref := reference.New(reference.Options{})
	var seen []reference.Refund
	h := Wrap(ref, AfterCancel(func(c *Call, _ *Result) {
		seen = c.NewRefunds()
		c.Restore()
		c.RestoreCharge()
		deleteRefunds(c, seen)
	}))
	id := create(t, h, url.Values{"payment_method": {"pm_card_visa"}, "capture_method": {"manual"}, "confirm": {"true"}}).obj["id"].(string)
	if a := call(t, h, http.MethodPost, "/v1/payment_intents/"+id+"/cancel", nil); a.status != 200 || a.obj["status"] != "canceled" {
		t.Fatalf("cancel: %d %s", a.status, a.raw)
	}
	if len(seen) != 1 {
		t.Errorf("NewRefunds = %d refunds, want 1", len(seen))
	}
	pi, _ := ref.Intent(id)
	ch, _ := ref.Charge(pi.LatestCharge)
	if pi.Status != reference.StatusRequiresCapture || pi.AmountCapturable != 2000 || ch.Refunded || ch.AmountRefunded != 0 || len(ref.RefundsForIntent(id)) != 0 {
		t.Errorf("not restored: status %s capturable %d, charge refunded %v/%d, %d refunds", pi.Status, pi.AmountCapturable, ch.Refunded, ch.AmountRefunded, len(ref.RefundsForIntent(id)))
	}
}

func TestIDMapperStrings(t *testing.T) {
	m := NewIDMapper("pi_", "ch_")
	ref := "pi_3" + strings.Repeat("a", 23)
	in := `{"id":"` + ref + `","client_secret":"` + ref + `_secret_xyz","x":"pi_3short","y":"pi_3` + strings.Repeat("b", 30) + `"}`
	out := m.Outbound(in)
	vendor := regexp.MustCompile(`pi_vendor_[A-Za-z0-9]{40}`).FindString(out)
	if vendor == "" || strings.Contains(out, ref+`"`) || !strings.Contains(out, vendor+`_secret_xyz`) {
		t.Fatalf("Outbound(%s) = %s", in, out)
	}
	if !strings.Contains(out, `"pi_3short"`) || !strings.Contains(out, "pi_3"+strings.Repeat("b", 30)) {
		t.Errorf("ids of another shape were mapped: %s", out)
	}
	if m.Outbound(ref) != vendor {
		t.Errorf("mapping is not stable")
	}
	if got := m.Inbound("/v1/payment_intents/" + vendor + "/cancel"); got != "/v1/payment_intents/"+ref+"/cancel" {
		t.Errorf("Inbound = %s", got)
	}
	unknown := "pi_vendor_" + strings.Repeat("z", 40)
	if m.Inbound(unknown) != unknown {
		t.Errorf("an unknown vendor id was changed")
	}
}

func TestIDMapperThroughTheReference(t *testing.T) {
	ref := reference.New(reference.Options{})
	h := Wrap(ref, NewIDMapper("pi_", "ch_").Step())
	a := create(t, h, url.Values{"payment_method": {"pm_card_visa"}, "capture_method": {"manual"}, "confirm": {"true"}})
	id, _ := a.obj["id"].(string)
	charge, _ := a.obj["latest_charge"].(string)
	if !strings.HasPrefix(id, "pi_vendor_") || !strings.HasPrefix(charge, "ch_vendor_") {
		t.Fatalf("ids not mapped: %s", a.raw)
	}
	if strings.Contains(a.raw, ref.Intents()[0].ID) {
		t.Errorf("the reference id leaked: %s", a.raw)
	}
	if g := call(t, h, http.MethodGet, "/v1/payment_intents/"+id, nil); g.status != 200 || g.obj["id"] != id {
		t.Errorf("GET by vendor id: %d %s", g.status, g.raw)
	}
	if c := call(t, h, http.MethodPost, "/v1/payment_intents/"+id+"/cancel", nil); c.status != 200 || c.obj["status"] != "canceled" {
		t.Errorf("cancel by vendor id: %d %s", c.status, c.raw)
	}
	l := call(t, h, http.MethodGet, "/v1/refunds", url.Values{"payment_intent": {id}})
	data, _ := l.obj["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["payment_intent"] != id || data[0].(map[string]any)["charge"] != charge {
		t.Errorf("refunds by vendor id: %s", l.raw)
	}
	if ch := call(t, h, http.MethodGet, "/v1/charges/"+charge, nil); ch.status != 200 || ch.obj["payment_intent"] != id {
		t.Errorf("charge by vendor id: %d %s", ch.status, ch.raw)
	}
}

func TestGzipDisturbanceIsTransparentToGoClients(t *testing.T) {
	m := find(t, "gzip")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/payment_intents", strings.NewReader("amount=2000&currency=usd"))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !resp.Uncompressed || !json.Valid(body) {
		t.Errorf("Uncompressed=%v body=%.80s", resp.Uncompressed, body)
	}
	// Without Accept-Encoding: plain.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/v1/payment_intents", nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	m.Handler().ServeHTTP(w, r)
	if w.Header().Get("Content-Encoding") != "" || !json.Valid(w.Body.Bytes()) {
		t.Errorf("compressed without Accept-Encoding")
	}
	r.Header.Set("Accept-Encoding", "gzip")
	w = httptest.NewRecorder()
	m.Handler().ServeHTTP(w, r)
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); !json.Valid(plain) {
		t.Errorf("not gzip of JSON")
	}
}

func TestRateLimitedDisturbanceServesRetries(t *testing.T) {
	h := find(t, "rate-limited-429").Handler()
	limited := 0
	for i := 0; i < 20; i++ {
		key := "k" + strconv.Itoa(i)
		a := call(t, h, http.MethodPost, "/v1/payment_intents", url.Values{"amount": {"2000"}, "currency": {"usd"}}, "Idempotency-Key", key)
		if a.status == 429 {
			limited++
			if a.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			if again := call(t, h, http.MethodPost, "/v1/payment_intents", url.Values{"amount": {"2000"}, "currency": {"usd"}}, "Idempotency-Key", key); again.status != 200 {
				t.Errorf("the retry was not served: %d", again.status)
			}
		}
	}
	if limited != 4 {
		t.Errorf("%d of 20 requests limited, want 4", limited)
	}
}

func TestUnlockedRaceLetsConcurrentCancelsWin(t *testing.T) {
	for _, tc := range []struct {
		mutant string
		ops    []string
		wins   int
	}{
		{"concurrent-cancels-all-win", []string{"cancel", "cancel", "cancel"}, 3},
		{"cancel-capture-race", []string{"cancel", "capture"}, 2},
		{"cancel-capture-race", []string{"cancel", "cancel"}, 1}, // crossOnly: same-operation calls still exclude each other
	} {
		h := find(t, tc.mutant).Handler()
		id := create(t, h, url.Values{"payment_method": {"pm_card_visa"}, "capture_method": {"manual"}, "confirm": {"true"}}).obj["id"].(string)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for _, op := range tc.ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if a := call(t, h, http.MethodPost, "/v1/payment_intents/"+id+"/"+op, nil); a.status == 200 {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != tc.wins {
			t.Errorf("%s with %v: %d won, want %d", tc.mutant, tc.ops, wins, tc.wins)
		}
		// Sequential calls behave.
		if a := call(t, h, http.MethodPost, "/v1/payment_intents/"+id+"/cancel", nil); a.status != 400 {
			t.Errorf("%s: a later cancel got %d", tc.mutant, a.status)
		}
	}
}

func TestFaultsAnswerAsDescribed(t *testing.T) {
	for _, name := range []string{"html-502", "truncated-json", "server-error-500"} {
		a := call(t, find(t, name).Handler(), http.MethodPost, "/v1/payment_intents", url.Values{"amount": {"2000"}, "currency": {"usd"}})
		if a.status == 200 && json.Valid([]byte(a.raw)) {
			t.Errorf("%s answered a valid 200: %.80s", name, a.raw)
		}
	}
	srv := httptest.NewServer(find(t, "reset").Handler())
	defer srv.Close()
	if _, err := http.Get(srv.URL + "/v1/payment_intents"); err == nil {
		t.Errorf("reset: got a response")
	}
	hang := httptest.NewServer(find(t, "hang").Handler())
	defer func() { hang.CloseClientConnections(); hang.Close() }()
	c := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := c.Get(hang.URL + "/v1/payment_intents"); err == nil {
		t.Errorf("hang: got a response")
	}
}

func TestRegistry(t *testing.T) {
	all := All()
	if err := Validate(all); err != nil {
		t.Fatal(err)
	}
	defects, covered := 0, map[string]bool{}
	for _, m := range all {
		if m.Kind == Defect {
			defects++
			for _, c := range m.Checks {
				covered[c] = true
			}
		}
		if m.Handler() == nil {
			t.Errorf("%s: nil handler", m.Name)
		}
	}
	if defects < 30 {
		t.Errorf("%d defects, want at least 30", defects)
	}
	for _, c := range labels.Checks {
		if !covered[c] {
			t.Errorf("no defect breaks the %q clause", c)
		}
	}
	if err := Validate([]Mutant{{Name: "x", Description: "d", Kind: Defect}}); err == nil {
		t.Errorf("a defect without checks validated")
	}
	if err := Validate([]Mutant{{Name: "x", Description: "d", Kind: Defect, Checks: []string{"nope"}}}); err == nil {
		t.Errorf("an unknown check label validated")
	}
}

func find(t *testing.T, name string) Mutant {
	t.Helper()
	for _, m := range All() {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no mutant %q", name)
	return Mutant{}
}
