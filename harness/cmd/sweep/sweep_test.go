package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pi-conformance/suite/harness/framework"
	"github.com/pi-conformance/suite/harness/reference"
)

const testKey = "sk_test_sweep_0123456789abcdef"

// clock is the reference target's clock, set by the test to create objects "hours ago".
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// world is a reference target holding the objects of two runs, untagged objects and look-alikes.
type world struct {
	t     *testing.T
	ref   *reference.Server
	srv   *httptest.Server
	clock *clock
	now   time.Time
	// runA started 10 hours ago, runB 30 minutes ago.
	runA, runB string
	ids        map[string]string // label -> object id
	sessions   []string          // Checkout Session ids, for the fake session list
}

func runID(t time.Time, hex string) string { return t.UTC().Format("20060102T150405") + "-" + hex }

// wrap, when not nil, wraps the reference handler (a fake search or session list, a live-mode disturbance).
func newWorld(t *testing.T, wrap func(w *world, next http.Handler) http.Handler) *world {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	w := &world{t: t, clock: &clock{}, now: now, ids: map[string]string{},
		runA: runID(now.Add(-10*time.Hour), "aaaaaaaaaaaa"), runB: runID(now.Add(-30*time.Minute), "bbbbbbbbbbbb")}
	w.ref = reference.New(reference.Options{Now: w.clock.now})
	var h http.Handler = w.ref
	if wrap != nil {
		h = wrap(w, h)
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)

	w.clock.set(now.Add(-10*time.Hour + time.Minute))
	w.intent("A.requires_payment_method", w.runA, "requires_payment_method")
	w.intent("A.requires_capture", w.runA, "requires_capture")
	w.intent("A.canceled", w.runA, "canceled")
	w.intent("A.succeeded", w.runA, "succeeded")
	w.clock.set(now.Add(-29 * time.Minute))
	w.intent("B.requires_payment_method", w.runB, "requires_payment_method")
	w.intent("B.requires_confirmation", w.runB, "requires_confirmation")
	w.intent("B.requires_action", w.runB, "requires_action")
	w.intent("B.requires_capture", w.runB, "requires_capture")
	// Look-alikes: another run id differing from runB in one digit, a malformed tag, another metadata key.
	w.intent("lookalike.run", runID(now.Add(-30*time.Minute), "bbbbbbbbbbbc"), "requires_payment_method")
	w.intent("lookalike.malformed", "2026-old-run", "requires_payment_method")
	w.intentWith("lookalike.key", "requires_payment_method", url.Values{"metadata[other_run]": {w.runB}})
	w.clock.set(now.Add(-20 * time.Minute))
	w.intent("untagged.requires_payment_method", "", "requires_payment_method")
	w.intent("untagged.requires_capture", "", "requires_capture")
	// The newest objects: enough untagged intents that the tagged ones are on the second page of the list.
	w.clock.set(now.Add(-time.Minute))
	for i := range 110 {
		w.intent(fmt.Sprintf("filler.%d", i), "", "requires_payment_method")
	}
	w.clock.set(now)
	return w
}

func (w *world) post(path string, form url.Values) map[string]any {
	w.t.Helper()
	req, err := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		w.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		w.t.Fatal(err)
	}
	return obj
}

var recipes = map[string]url.Values{
	"requires_payment_method": {},
	"requires_confirmation":   {"payment_method": {"pm_card_visa"}},
	"requires_action":         {"payment_method": {"pm_card_authenticationRequired"}, "confirm": {"true"}},
	"requires_capture":        {"payment_method": {"pm_card_visa"}, "confirm": {"true"}, "capture_method": {"manual"}},
	"succeeded":               {"payment_method": {"pm_card_visa"}, "confirm": {"true"}},
	"canceled":                {},
}

func (w *world) intent(label, tag, status string) {
	w.t.Helper()
	extra := url.Values{}
	if tag != "" {
		extra.Set("metadata["+framework.RunMetadataKey+"]", tag)
	}
	w.intentWith(label, status, extra)
}

func (w *world) intentWith(label, status string, extra url.Values) {
	w.t.Helper()
	form := url.Values{"amount": {"2000"}, "currency": {"usd"}, "payment_method_types[]": {"card"}}
	maps.Copy(form, recipes[status])
	maps.Copy(form, extra)
	obj := w.post("/v1/payment_intents", form)
	id, _ := obj["id"].(string)
	if status == "canceled" {
		obj = w.post("/v1/payment_intents/"+id+"/cancel", url.Values{"cancellation_reason": {"requested_by_customer"}})
	}
	if obj["status"] != status {
		w.t.Fatalf("recipe for %s gave %v", status, obj["status"])
	}
	w.ids[label] = id
}

// session creates a tagged Checkout Session; confirmed, it has its PaymentIntent (tagged through
// payment_intent_data[metadata]).
func (w *world) session(label, tag string, confirmed bool) {
	w.t.Helper()
	form := url.Values{"mode": {"payment"}, "success_url": {"https://example.com/ok"},
		"line_items[0][price_data][currency]": {"usd"}, "line_items[0][price_data][product_data][name]": {"t"},
		"line_items[0][price_data][unit_amount]": {"1000"}, "line_items[0][quantity]": {"1"},
		"metadata[" + framework.RunMetadataKey + "]":                      {tag},
		"payment_intent_data[metadata][" + framework.RunMetadataKey + "]": {tag}}
	obj := w.post("/v1/checkout/sessions", form)
	id, _ := obj["id"].(string)
	w.ids[label] = id
	w.sessions = append(w.sessions, id)
	if confirmed {
		obj = w.post("/v1/test_helpers/checkout/sessions/"+id+"/confirm", nil)
		pi, _ := obj["payment_intent"].(string)
		if pi == "" {
			w.t.Fatal("confirmed session has no payment_intent")
		}
		w.ids[label+".intent"] = pi
	}
}

// state is what the sweep may change: each intent's status and cancellation reason, each session's status.
func (w *world) state() map[string]string {
	out := map[string]string{}
	for _, pi := range w.ref.Intents() {
		out[pi.ID] = pi.Status + "/" + pi.CancellationReason
	}
	for _, id := range w.sessions {
		cs, _ := w.ref.CheckoutSession(id)
		out[id] = cs.Status
	}
	return out
}

// sweep runs the command against the world with the suite's configuration read from the environment.
func (w *world) sweep(args ...string) (int, string) {
	w.t.Helper()
	w.t.Setenv("CONFORMANCE_TARGET_URL", w.srv.URL)
	w.t.Setenv("CONFORMANCE_API_KEY", testKey)
	for _, k := range []string{"CONFORMANCE_CONFIG", "CONFORMANCE_PROFILE", "CONFORMANCE_REPORT_DIR", "CONFORMANCE_REFERENCE_DELAY"} {
		w.t.Setenv(k, "")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func() time.Time { return w.now }, &out, &errb)
	s := out.String() + errb.String()
	if strings.Contains(s, testKey) {
		w.t.Fatalf("the key leaked into the output:\n%s", s)
	}
	return code, s
}

// changed lists what differs between two states, by label where the id has one.
func (w *world) changed(before, after map[string]string) map[string]string {
	label := map[string]string{}
	for l, id := range w.ids {
		label[id] = l
	}
	out := map[string]string{}
	for id, a := range after {
		if before[id] != a {
			name := label[id]
			if name == "" {
				name = id
			}
			out[name] = before[id] + " -> " + a
		}
	}
	return out
}

func expectChanged(t *testing.T, got map[string]string, want ...string) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(got))
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("changed objects: %v, want exactly %v", got, want)
	}
}

func TestSweepRunReleasesOnlyThatRun(t *testing.T) {
	w := newWorld(t, nil)
	before := w.state()
	code, out := w.sweep("-run", w.runB)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	ch := w.changed(before, w.state())
	expectChanged(t, ch, "B.requires_payment_method", "B.requires_confirmation", "B.requires_action", "B.requires_capture")
	for l, c := range ch {
		if !strings.HasSuffix(c, "-> canceled/abandoned") {
			t.Errorf("%s: %s, want canceled with cancellation_reason abandoned", l, c)
		}
	}
	for _, l := range []string{"B.requires_payment_method", "B.requires_capture"} {
		if !regexp.MustCompile(regexp.QuoteMeta(w.ids[l]) + `\s+payment_intent\s+` + strings.TrimPrefix(l, "B.") + `\s+cancel\s+canceled`).MatchString(out) {
			t.Errorf("no output line for %s (%s) canceled:\n%s", l, w.ids[l], out)
		}
	}
	for _, want := range []string{
		"payment intents: no search API", // the reference has none: it fell back to listing
		"NOT SEARCHED: checkout sessions", "4 released", "0 failed",
		// in the window since runB started: 110 fillers, 2 untagged, the other metadata key; the look-alike and the
		// malformed run ids (runA's objects are older than the window)
		"ignored 113 untagged and 2 of other runs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A second sweep finds nothing left to do.
	code, out = w.sweep("-run", w.runB)
	if code != 0 || !strings.Contains(out, "0 released, 4 with nothing to do") {
		t.Fatalf("second sweep: exit %d:\n%s", code, out)
	}
}

func TestSweepDryRunChangesNothing(t *testing.T) {
	w := newWorld(t, nil)
	before := w.state()
	for _, args := range [][]string{{"-run", w.runB, "-dry-run"}, {"-older-than", "6h", "-dry-run"}} {
		code, out := w.sweep(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d:\n%s", args, code, out)
		}
		if n := strings.Count(out, "would cancel"); n != map[bool]int{true: 4, false: 2}[args[0] == "-run"] {
			t.Errorf("%v: %d 'would cancel' lines:\n%s", args, n, out)
		}
		expectChanged(t, w.changed(before, w.state()))
	}
}

func TestSweepOlderThanKeepsToItsWindow(t *testing.T) {
	w := newWorld(t, nil)
	before := w.state()
	// runA started 10h ago: older than 11h selects nothing; -since 1h lists too recent a window to see its objects.
	for _, args := range [][]string{{"-older-than", "11h"}, {"-older-than", "6h", "-since", "1h"}} {
		code, out := w.sweep(args...)
		if code != 0 || !strings.Contains(out, "0 released") {
			t.Fatalf("%v: exit %d:\n%s", args, code, out)
		}
		expectChanged(t, w.changed(before, w.state()))
	}
	code, out := w.sweep("-older-than", "6h")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// runB (30 minutes old), the look-alike run id, the malformed tag and the untagged intents stay as they were.
	expectChanged(t, w.changed(before, w.state()), "A.requires_payment_method", "A.requires_capture")
	if !strings.Contains(out, "runs started before "+w.now.Add(-6*time.Hour).Format(time.RFC3339)) {
		t.Errorf("output does not say which runs it selected:\n%s", out)
	}
	if pi, _ := w.ref.Intent(w.ids["A.requires_capture"]); pi.AmountCapturable != 0 || pi.CancellationReason != "abandoned" {
		t.Errorf("A.requires_capture after the sweep: %+v", pi)
	}
}

// searchAndSessions adds to the reference what real Stripe has and it lacks: the PaymentIntent search API
// (metadata['conformance_run']:'<id>' only) and the Checkout Session list (created[gte], status, starting_after),
// both answering two objects per page so that paging is exercised.
func searchAndSessions(w *world, next http.Handler) http.Handler {
	const per = 2
	write := func(rw http.ResponseWriter, data []any, more bool, extra map[string]any) {
		obj := map[string]any{"object": "list", "data": data, "has_more": more}
		maps.Copy(obj, extra)
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(obj)
	}
	query := regexp.MustCompile(`^metadata\['` + framework.RunMetadataKey + `'\]:'([^']*)'$`)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.Method == "GET" && r.URL.Path == "/v1/payment_intents/search":
			m := query.FindStringSubmatch(q.Get("query"))
			if m == nil {
				http.Error(rw, `{"error":{"type":"invalid_request_error","message":"bad query"}}`, 400)
				return
			}
			var data []any
			for _, pi := range w.ref.Intents() {
				if pi.Metadata[framework.RunMetadataKey] == m[1] {
					obj, _ := w.ref.IntentObject(pi.ID)
					data = append(data, obj)
				}
			}
			off, _ := strconv.Atoi(q.Get("page"))
			data = data[min(off, len(data)):]
			more := len(data) > per
			extra := map[string]any{"object": "search_result", "next_page": nil}
			if more {
				data, extra["next_page"] = data[:per], strconv.Itoa(off+per)
			}
			write(rw, data, more, extra)
		case r.Method == "GET" && r.URL.Path == "/v1/checkout/sessions":
			gte, _ := strconv.ParseInt(q.Get("created[gte]"), 10, 64)
			var data []any
			after := q.Get("starting_after") == ""
			for _, id := range slices.Backward(w.sessions) {
				cs, _ := w.ref.CheckoutSession(id)
				if !after {
					after = id == q.Get("starting_after")
					continue
				}
				if cs.Created >= gte && (q.Get("status") == "" || cs.Status == q.Get("status")) {
					data = append(data, map[string]any{"id": id, "object": "checkout.session", "status": cs.Status,
						"created": cs.Created, "livemode": false, "metadata": cs.Metadata})
				}
			}
			more := len(data) > per
			write(rw, data[:min(per, len(data))], more, nil)
		default:
			next.ServeHTTP(rw, r)
		}
	})
}

func TestSweepUsesSearchAndExpiresSessions(t *testing.T) {
	w := newWorld(t, searchAndSessions)
	w.clock.set(w.now.Add(-10 * time.Minute))
	w.session("B.session.open", w.runB, false)
	w.session("B.session.confirmed", w.runB, true)
	w.session("other.session", runID(w.now.Add(-30*time.Minute), "bbbbbbbbbbbc"), true)
	w.clock.set(w.now)
	before := w.state()
	code, out := w.sweep("-run", w.runB)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// Expiring the confirmed session cancels its intent (reason "expired"); canceling it directly is refused.
	expectChanged(t, w.changed(before, w.state()), "B.requires_payment_method", "B.requires_confirmation", "B.requires_action",
		"B.requires_capture", "B.session.open", "B.session.confirmed", "B.session.confirmed.intent")
	for _, want := range []string{"payment intents: search API", "checkout sessions: listed the open ones", "6 released"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NOT SEARCHED") {
		t.Errorf("everything could be searched:\n%s", out)
	}
}

func TestSweepWithoutSessionListCannotReleaseACheckoutIntent(t *testing.T) {
	w := newWorld(t, nil)
	w.session("B.session.confirmed", w.runB, true)
	before := w.state()
	code, out := w.sweep("-run", w.runB)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the Checkout intent could not be released):\n%s", code, out)
	}
	expectChanged(t, w.changed(before, w.state()), "B.requires_payment_method", "B.requires_confirmation", "B.requires_action", "B.requires_capture")
	if !strings.Contains(out, w.ids["B.session.confirmed.intent"]) || !strings.Contains(out, "FAILED: 400 invalid_request_error") ||
		!strings.Contains(out, "NOT SEARCHED: checkout sessions") {
		t.Errorf("the output does not say what was left and why:\n%s", out)
	}
}

func TestSweepStopsOnALiveObjectBeforeAnyWrite(t *testing.T) {
	w := newWorld(t, func(w *world, next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method != "GET" || r.URL.Path != "/v1/payment_intents" || r.URL.Query().Get("starting_after") == "" {
				next.ServeHTTP(rw, r)
				return
			}
			// The second page of the list shows one live object.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var obj map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &obj)
			if data, _ := obj["data"].([]any); len(data) > 0 {
				data[len(data)-1].(map[string]any)["livemode"] = true
			}
			_ = json.NewEncoder(rw).Encode(obj)
		})
	})
	before := w.state()
	code, out := w.sweep("-run", w.runB)
	if code != 1 || !strings.Contains(out, "STOPPED") || !strings.Contains(out, "livemode: true") {
		t.Fatalf("exit %d, want 1 and a stop:\n%s", code, out)
	}
	expectChanged(t, w.changed(before, w.state()))
}

func TestSweepRefusals(t *testing.T) {
	w := newWorld(t, nil)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "give -run RUN_ID or -older-than"},
		{[]string{"-run", "not-a-run"}, 2, "is not a run id"},
		{[]string{"-run", w.runA, "-older-than", "6h"}, 2, "not both"},
		{[]string{"-older-than", "-1h"}, 2, "must be positive"},
	} {
		code, out := w.sweep(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s", tc.args, code, tc.code, tc.want, out)
		}
	}
	before := w.state()
	t.Setenv("CONFORMANCE_API_KEY", "sk_live_sweep_secret")
	var out bytes.Buffer
	if code := run(context.Background(), []string{"-run", w.runB}, time.Now, &out, &out); code != 2 ||
		!strings.Contains(out.String(), "live-mode key") || strings.Contains(out.String(), "sk_live_sweep_secret") {
		t.Fatalf("live key: exit %d:\n%s", code, out.String())
	}
	expectChanged(t, w.changed(before, w.state()))
}

func TestSweepEmbeddedTargetHasNothingToSweep(t *testing.T) {
	for _, k := range []string{"CONFORMANCE_TARGET_URL", "CONFORMANCE_API_KEY", "CONFORMANCE_CONFIG", "CONFORMANCE_PROFILE"} {
		t.Setenv(k, "")
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"-older-than", "1h"}, time.Now, &out, &out); code != 0 ||
		!strings.Contains(out.String(), "Nothing to sweep") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

func TestSelector(t *testing.T) {
	id := "20261201T224253-a1b2c3d4e5f6"
	start, err := RunStart(id)
	if err != nil || !start.Equal(time.Date(2026, 12, 1, 22, 42, 53, 0, time.UTC)) {
		t.Fatalf("RunStart: %v %v", start, err)
	}
	for _, bad := range []string{"", "20261201T224253", "20261201T224253-A1B2C3D4E5F6", "x20261201T224253-a1b2c3d4e5f6", "20261301T224253-a1b2c3d4e5f6"} {
		if _, err := RunStart(bad); err == nil {
			t.Errorf("RunStart(%q) accepted", bad)
		}
	}
	if fresh := framework.NewRunID(); !(Selector{RunID: fresh}).Match(fresh) {
		t.Errorf("a fresh run id %q is not recognised", fresh)
	} else if _, err := RunStart(fresh); err != nil {
		t.Errorf("a fresh run id: %v", err)
	}
	byRun := Selector{RunID: id}
	older := Selector{Before: start.Add(time.Second)}
	for tag, want := range map[string][2]bool{
		id:                             {true, true},
		"":                             {false, false},
		"20261201T224254-a1b2c3d4e5f6": {false, false}, // a second later: not the run, not older
		"20261201T224252-a1b2c3d4e5f6": {false, true},
		"old-run":                      {false, false},
	} {
		if got := [2]bool{byRun.Match(tag), older.Match(tag)}; got != want {
			t.Errorf("Match(%q) = %v, want %v", tag, got, want)
		}
	}
}
