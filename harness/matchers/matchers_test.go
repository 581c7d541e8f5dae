package matchers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/pi-conformance/suite/harness/client"
	. "github.com/pi-conformance/suite/harness/matchers"
	"github.com/pi-conformance/suite/harness/redact"
)

func resp(status int, body string) *client.Response {
	return &client.Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

func check(t *testing.T, m types.GomegaMatcher, actual any, want bool, msgContains ...string) {
	t.Helper()
	ok, err := m.Match(actual)
	if err != nil {
		if want {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if ok != want {
		t.Fatalf("match = %v, want %v; message:\n%s", ok, want, m.FailureMessage(actual))
	}
	if !want {
		msg := m.FailureMessage(actual)
		for _, s := range msgContains {
			if !strings.Contains(msg, s) {
				t.Errorf("failure message lacks %q:\n%s", s, msg)
			}
		}
	}
}

const canceled = `{"id":"pi_1","object":"payment_intent","status":"canceled","amount":2000,"canceled_at":1700000000,"cancellation_reason":null,"metadata":{"k":"v"},"latest_charge":{"id":"ch_1","refunded":true}}`

func TestHaveStatus(t *testing.T) {
	check(t, HaveStatus(200), resp(200, canceled), true)
	check(t, HaveStatus(200), resp(400, `{"error":{"type":"invalid_request_error"}}`), false, "HTTP 200", "answered HTTP 400", "invalid_request_error")
	check(t, HaveStatus(200), "not a response", false)
	check(t, HaveStatus(200), (*client.Response)(nil), false)
}

func TestHaveJSON(t *testing.T) {
	r := resp(200, canceled)
	check(t, HaveJSON("status", "canceled"), r, true)
	check(t, HaveJSON("amount", 2000), r, true)
	check(t, HaveJSON("amount", int64(2000)), r, true)
	check(t, HaveJSON("cancellation_reason", nil), r, true)
	check(t, HaveJSON("latest_charge.refunded", true), r, true)
	check(t, HaveJSON("metadata.k", "v"), r, true)
	check(t, HaveJSON("status", "succeeded"), r, false, `status = "canceled"`)
	check(t, HaveJSON("amount", 2001), r, false, "amount = 2000")
	check(t, HaveJSON("amount", "2000"), r, false)
	check(t, HaveJSON("cancellation_reason", "duplicate"), r, false, "cancellation_reason = null")
	check(t, HaveJSON("canceled_at", nil), r, false)
	check(t, HaveJSON("missing", nil), r, false, "missing is absent")
	check(t, HaveJSON("status", "canceled"), resp(200, `<html>`), false, "not a JSON object")
	// a number sent as a string is not the number
	check(t, HaveJSON("amount", 2000), resp(200, `{"amount":"2000"}`), false)
}

func TestBeStripeError(t *testing.T) {
	state := `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state","message":"m"}}`
	check(t, BeStripeError(400, "invalid_request_error", "payment_intent_unexpected_state"), resp(400, state), true)
	check(t, BeStripeError(400, "invalid_request_error", ""), resp(400, state), true)
	check(t, BeStripeError(400, "invalid_request_error", "payment_intent_unexpected_state"), resp(402, state), false, "answered HTTP 402")
	check(t, BeStripeError(400, "invalid_request_error", "resource_missing"), resp(400, state), false, `error.code = "payment_intent_unexpected_state"`)
	check(t, BeStripeError(400, "card_error", ""), resp(400, state), false, `error.type = "invalid_request_error"`)
	check(t, BeStripeError(400, "invalid_request_error", "x"), resp(400, `{"error":{"type":"invalid_request_error"}}`), false, "error.code is absent")
	check(t, BeStripeError(400, "invalid_request_error", ""), resp(400, `{"message":"no envelope"}`), false, `no "error" object`)
	check(t, BeStripeError(401, "invalid_request_error", "-"), resp(401, `{"error":{"type":"invalid_request_error","message":"m"}}`), true)
	check(t, BeStripeError(401, "invalid_request_error", "-"), resp(401, `{"error":{"type":"invalid_request_error","code":"x"}}`), false, "none is expected")
}

func TestBeClientError(t *testing.T) {
	e := `{"error":{"type":"invalid_request_error","message":"m"}}`
	check(t, BeClientError("invalid_request_error"), resp(400, e), true)
	check(t, BeClientError("invalid_request_error"), resp(409, e), true)
	check(t, BeClientError("invalid_request_error"), resp(200, canceled), false, "answered HTTP 200", `no "error" object`)
	check(t, BeClientError("invalid_request_error"), resp(500, e), false, "answered HTTP 500")
}

func TestHaveJSONWithAMatcher(t *testing.T) {
	check(t, HaveJSON("canceled_at", BeNumerically(">", 0)), resp(200, canceled), true)
	check(t, HaveJSON("cancellation_reason", BeNumerically(">", 0)), resp(200, canceled), false, "cancellation_reason = ")
	check(t, HaveJSON("absent_field", BeNil()), resp(200, canceled), false, "absent_field is absent")
	list := `{"object":"list","data":[]}`
	notList := `{"object":"list","data":{}}`
	check(t, HaveJSON("data", And(BeAJSONList(), BeEmpty())), resp(200, list), true)
	check(t, HaveJSON("data", And(BeAJSONList(), BeEmpty())), resp(200, notList), false, "to be a JSON list")
}

func TestBeUnixTimeWithin(t *testing.T) {
	from := time.Unix(1000, 0)
	to := time.Unix(1010, 500_000_000)
	m := BeUnixTimeWithin(from, to, 2*time.Second)
	for v, want := range map[any]bool{json.Number("998"): true, json.Number("1013"): true, json.Number("997"): false,
		json.Number("1014"): false, "1005": false, json.Number("1005.5"): false} {
		if ok, _ := m.Match(v); ok != want {
			t.Errorf("BeUnixTimeWithin matched %v: %v, want %v", v, ok, want)
		}
	}
}

func TestJSONEqualIsStrictAboutTypes(t *testing.T) {
	for _, c := range []struct {
		actual, expected any
		want             bool
	}{
		{json.Number("2000"), 2000, true},
		{json.Number("2000"), json.Number("2000"), true},
		{json.Number("2000.0"), json.Number("2000"), true}, // one JSON number, two spellings: decided equal
		{json.Number("1e3"), 1000, true},
		{"2000", 2000, false},
		{json.Number("2000"), "2000", false},
		{"2000", json.Number("2000"), false},
		{json.Number("2001"), 2000, false},
		{true, "true", false},
		{nil, nil, true},
		{nil, "", false},
		{map[string]any{"a": json.Number("1")}, map[string]any{"a": json.Number("1")}, true},
		{map[string]any{"a": "1"}, map[string]any{"a": json.Number("1")}, false},
		{map[string]any{"a": json.Number("1"), "b": nil}, map[string]any{"a": json.Number("1")}, false},
		{[]any{json.Number("1")}, []any{"1"}, false},
	} {
		if got := JSONEqual(c.actual, c.expected); got != c.want {
			t.Errorf("JSONEqual(%#v, %#v) = %v, want %v", c.actual, c.expected, got, c.want)
		}
	}
}

func TestHaveHeader(t *testing.T) {
	r := resp(200, canceled)
	r.Header.Set("Request-Id", "req_1")
	check(t, HaveHeader("Request-Id"), r, true)
	check(t, HaveHeader("Request-Id", "req_1"), r, true)
	check(t, HaveHeader("Request-Id", "req_2"), r, false, `"req_1"`)
	check(t, HaveHeader("Idempotent-Replayed"), r, false, "absent")
}

func TestLookup(t *testing.T) {
	obj := map[string]any{"a": []any{map[string]any{"b": 1.0}}}
	if v, ok := Lookup(obj, "a.0.b"); !ok || v != 1.0 {
		t.Errorf("a.0.b = %v %v", v, ok)
	}
	for _, p := range []string{"a.1.b", "a.x", "a.0.b.c", "z"} {
		if _, ok := Lookup(obj, p); ok {
			t.Errorf("%s should not resolve", p)
		}
	}
}

func TestShowRedacts(t *testing.T) {
	RegisterSecret("vendorSecretUser42")
	for _, v := range []any{"sk_test_abcdefgh12345678", "pi_1_secret_abcdefghij", map[string]any{"k": "vendorSecretUser42"}} {
		out := Show(v)
		if strings.Contains(out, "abcdefgh12345678") || strings.Contains(out, "abcdefghij") || strings.Contains(out, "vendorSecretUser42") {
			t.Errorf("Show leaks: %s", out)
		}
	}
}

// Show masks what harness/redact's registry holds (the suite registers the key there once).
func TestShowMasksRegisteredSecrets(t *testing.T) {
	redact.Register("matchers-registered-token-99")
	if out := Show(map[string]any{"k": "matchers-registered-token-99"}); strings.Contains(out, "matchers-registered-token-99") {
		t.Errorf("Show leaks a registered secret: %s", out)
	}
}

func TestHaveSameBodyAs(t *testing.T) {
	first := resp(200, canceled)
	check(t, HaveSameBodyAs(first), resp(200, canceled), true)
	other := strings.Replace(canceled, `"amount":2000`, `"amount":2001`, 1)
	other = strings.Replace(other, `"metadata":{"k":"v"}`, `"metadata":{"k":"v","client_secret":"pi_1_secret_abcdefghij"}`, 1)
	check(t, HaveSameBodyAs(first), resp(200, other), false, "/amount: 2000 vs 2001", "/metadata/client_secret: absent vs")
	m := HaveSameBodyAs(first)
	_, _ = m.Match(resp(200, other))
	if strings.Contains(m.FailureMessage(resp(200, other)), "abcdefghij") {
		t.Error("client secret leaked into the failure message")
	}
}

func TestHaveJSONLike(t *testing.T) {
	before := resp(200, `{"a":"x","n":1,"z":null}`)
	check(t, HaveJSONLike("a", before), resp(200, `{"a":"x"}`), true)
	check(t, HaveJSONLike("gone", before), resp(200, `{"a":"x"}`), true)
	check(t, HaveJSONLike("n", before), resp(200, `{"n":"1"}`), false, `n = "1" (it was 1)`)
	check(t, HaveJSONLike("a", before), resp(200, `{}`), false, `a is absent (it was "x")`)
	check(t, HaveJSONLike("new", before), resp(200, `{"new":1}`), false, "it was absent")
	check(t, HaveJSONLike("z", before), resp(200, `{"z":null}`), true)
}
