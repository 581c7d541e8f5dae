package schema_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stripe/stripe-mock/embedded"

	"github.com/pi-conformance/suite/fixtures/openapi"

	"github.com/pi-conformance/suite/harness/schema"
)

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func mustDefault(t testing.TB) *schema.Validator {
	t.Helper()
	v, err := schema.Default()
	if err != nil {
		t.Fatalf("load pinned document: %v", err)
	}
	return v
}

// fixtureObject returns stripe-mock's fixture for a resource (Stripe-shaped, spec-valid by construction).
func fixtureObject(t testing.TB, name string) map[string]any {
	t.Helper()
	var fx struct {
		Resources map[string]map[string]any `json:"resources"`
	}
	if err := json.Unmarshal(embedded.OpenAPIFixtures, &fx); err != nil {
		t.Fatal(err)
	}
	obj, ok := fx.Resources[name]
	if !ok {
		t.Fatalf("no fixture %q", name)
	}
	return obj
}

// canceledPI is a realistic canceled PaymentIntent built from the fixture.
func canceledPI(t testing.TB) map[string]any {
	pi := fixtureObject(t, "payment_intent")
	pi["status"] = "canceled"
	pi["canceled_at"] = 1717171717
	pi["cancellation_reason"] = "requested_by_customer"
	pi["amount_capturable"] = 0
	for _, k := range []string{"next_action", "last_payment_error", "processing", "shipping", "transfer_data"} {
		pi[k] = nil
	}
	return pi
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The whole-document validation is slow (it belongs here, not in every suite run).
func TestPinnedDocumentIsValidOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("pinned document fails kin-openapi validation: %v", err)
	}
	if v := mustDefault(t); v.Version != "2026-08-26.dahlia" || v.Version != doc.Info.Version {
		t.Errorf("pinned API version = %q", v.Version)
	}
}

func TestRouting(t *testing.T) {
	v := mustDefault(t)
	cases := []struct{ method, path, want string }{
		{"POST", "/v1/payment_intents/pi_123/cancel", "/v1/payment_intents/{intent}/cancel"},
		{"POST", "/v1/payment_intents/pi_123/cancel?expand[]=x", "/v1/payment_intents/{intent}/cancel"},
		{"GET", "/v1/payment_intents/pi_123", "/v1/payment_intents/{intent}"},
		{"POST", "/v1/payment_intents/pi_123", "/v1/payment_intents/{intent}"},
		{"GET", "/v1/payment_intents", "/v1/payment_intents"},
		{"GET", "/v1/charges/ch_1", "/v1/charges/{charge}"},
		{"GET", "/v1/refunds", "/v1/refunds"},
		{"POST", "/v1/checkout/sessions/cs_1/expire", "/v1/checkout/sessions/{session}/expire"},
	}
	for _, c := range cases {
		got, ok := v.Operation(c.method, c.path)
		if !ok || got != c.want {
			t.Errorf("%s %s routed to %q (%v), want %q", c.method, c.path, got, ok, c.want)
		}
	}
	for _, bad := range [][2]string{{"GET", "/v1/payment_intents/pi_1/cancel"}, {"POST", "/v1/payment_intents//cancel"}, {"DELETE", "/v1/payment_intents/pi_1"}, {"GET", "/v1/customers/cus_1"}} {
		if _, ok := v.Operation(bad[0], bad[1]); ok {
			t.Errorf("%s %s should not route", bad[0], bad[1])
		}
		err := v.ValidateResponse(bad[0], bad[1], 200, jsonHeader, []byte(`{}`))
		if !errors.Is(err, schema.ErrUnknownOperation) {
			t.Errorf("%s %s: want ErrUnknownOperation, got %v", bad[0], bad[1], err)
		}
	}
}

func TestValidBodiesPass(t *testing.T) {
	v := mustDefault(t)
	pi := canceledPI(t)
	if err := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", 200, jsonHeader, marshal(t, pi)); err != nil {
		t.Errorf("canceled PI rejected: %v", err)
	}
	// Expanded latest_charge with a full charge is allowed (the suite asks for it).
	exp := canceledPI(t)
	exp["latest_charge"] = fixtureObject(t, "charge")
	if err := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", 200, jsonHeader, marshal(t, exp)); err != nil {
		t.Errorf("PI with expanded latest_charge rejected: %v", err)
	}
	minimalErr := []byte(`{"error":{"message":"No such payment_intent: 'pi_x'","type":"invalid_request_error","code":"resource_missing","param":"intent"}}`)
	if err := v.ValidateResponse("POST", "/v1/payment_intents/pi_x/cancel", 404, jsonHeader, minimalErr); err != nil {
		t.Errorf("404 error body rejected: %v", err)
	}
	embeddedPI := map[string]any{"error": map[string]any{"type": "invalid_request_error", "code": "payment_intent_unexpected_state", "message": "m", "payment_intent": pi}}
	if err := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", 400, jsonHeader, marshal(t, embeddedPI)); err != nil {
		t.Errorf("400 with embedded PI rejected: %v", err)
	}
	if err := v.ValidateResponse("GET", "/v1/charges/ch_1", 200, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, marshal(t, fixtureObject(t, "charge"))); err != nil {
		t.Errorf("charge rejected: %v", err)
	}
	if err := v.ValidateResponse("GET", "/v1/refunds/re_1", 200, jsonHeader, marshal(t, fixtureObject(t, "refund"))); err != nil {
		t.Errorf("refund rejected: %v", err)
	}
}

func TestInvalidBodiesFailWithPointer(t *testing.T) {
	v := mustDefault(t)
	mutate := func(f func(m map[string]any)) []byte {
		pi := canceledPI(t)
		f(pi)
		return marshal(t, pi)
	}
	cases := []struct {
		name        string
		status      int
		header      http.Header
		body        []byte
		wantPointer string
	}{
		{"status misspelled", 200, jsonHeader, mutate(func(m map[string]any) { m["status"] = "cancelled" }), "/status"},
		{"amount as string", 200, jsonHeader, mutate(func(m map[string]any) { m["amount"] = "1099" }), "/amount"},
		{"amount null", 200, jsonHeader, mutate(func(m map[string]any) { m["amount"] = nil }), "/amount"},
		{"canceled_at as string", 200, jsonHeader, mutate(func(m map[string]any) { m["canceled_at"] = "2024-01-01" }), "/canceled_at"},
		{"missing id", 200, jsonHeader, mutate(func(m map[string]any) { delete(m, "id") }), ""},
		{"unknown cancellation_reason", 200, jsonHeader, mutate(func(m map[string]any) { m["cancellation_reason"] = "bogus" }), "/cancellation_reason"},
		{"metadata value not a string", 200, jsonHeader, mutate(func(m map[string]any) { m["metadata"] = map[string]any{"k": 1} }), "/metadata/k"},
		{"unrequested expansion of customer without an id", 200, jsonHeader, mutate(func(m map[string]any) { m["customer"] = map[string]any{"object": "customer"} }), "/customer"},
		{"stub latest_charge", 200, jsonHeader, mutate(func(m map[string]any) { m["latest_charge"] = map[string]any{"id": "ch_1"} }), "/latest_charge"},
		{"livemode null", 200, jsonHeader, mutate(func(m map[string]any) { m["livemode"] = nil }), "/livemode"},
		{"error body with 200", 200, jsonHeader, []byte(`{"error":{"type":"invalid_request_error","message":"x"}}`), ""},
		{"PI body with 400", 400, jsonHeader, mutate(func(map[string]any) {}), ""},
		{"error without type", 400, jsonHeader, []byte(`{"error":{"message":"x"}}`), "/error"},
		{"error code null", 400, jsonHeader, []byte(`{"error":{"type":"invalid_request_error","message":"x","code":null}}`), "/error/code"},
		{"error type outside enum", 401, jsonHeader, []byte(`{"error":{"type":"authentication_error","message":"x"}}`), "/error/type"},
		{"not JSON", 500, jsonHeader, []byte(`<html>oops</html>`), ""},
		{"truncated JSON", 200, jsonHeader, []byte(`{"id":"pi_1","object":"payment_in`), ""},
		{"valid body followed by trailing data", 200, jsonHeader, append(mutate(func(map[string]any) {}), []byte(` {"id":"pi_2"}`)...), ""},
		{"wrong content type", 200, http.Header{"Content-Type": {"text/html"}}, mutate(func(map[string]any) {}), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", c.status, c.header, c.body)
			var se *schema.Error
			if !errors.As(err, &se) {
				t.Fatalf("want *schema.Error, got %v", err)
			}
			if c.wantPointer != "" {
				found := false
				for _, is := range se.Issues {
					if is.Pointer == c.wantPointer || strings.HasPrefix(is.Pointer, c.wantPointer+"/") {
						found = true
					}
				}
				if !found {
					t.Errorf("no issue at %s in:\n%v", c.wantPointer, se)
				}
			}
			if len(se.Error()) > 4000 {
				t.Errorf("message is %d bytes; it should name pointers and reasons, not dump schemas", len(se.Error()))
			}
		})
	}
}

func TestAlwaysSent(t *testing.T) {
	pi := canceledPI(t)
	if issues := schema.CheckAlwaysSent(marshal(t, pi)); len(issues) != 0 {
		t.Errorf("fixture PI reported missing fields: %v", issues)
	}
	delete(pi, "canceled_at")
	delete(pi, "amount_capturable")
	pi["latest_charge"] = map[string]any{"id": "ch_1", "object": "charge"}
	issues := schema.CheckAlwaysSent(marshal(t, map[string]any{"error": map[string]any{"type": "invalid_request_error", "payment_intent": pi}}))
	want := map[string]bool{"/error/message": false, "/error/payment_intent/canceled_at": false, "/error/payment_intent/amount_capturable": false, "/error/payment_intent/latest_charge/amount_refunded": false}
	for _, is := range issues {
		if _, ok := want[is.Pointer]; ok {
			want[is.Pointer] = true
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("missing field at %s not reported; got %v", p, issues)
		}
	}
	// Objects inside lists are named by their index.
	second := canceledPI(t)
	delete(second, "canceled_at")
	list := map[string]any{"object": "list", "url": "/v1/payment_intents", "has_more": false, "data": []any{canceledPI(t), second}}
	issues = schema.CheckAlwaysSent(marshal(t, list))
	if len(issues) != 1 || issues[0].Pointer != "/data/1/canceled_at" {
		t.Errorf("list: %v, want one issue at /data/1/canceled_at", issues)
	}
	// A null is presence: Stripe sends null for empty nullable fields.
	pi = canceledPI(t)
	pi["cancellation_reason"] = nil
	if issues := schema.CheckAlwaysSent(marshal(t, pi)); len(issues) != 0 {
		t.Errorf("null counted as missing: %v", issues)
	}
}

// The session validates the body it already decoded (numbers as json.Number): both entry points must agree.
func TestValidateResponseValueAgrees(t *testing.T) {
	v := mustDefault(t)
	for _, body := range [][]byte{
		marshal(t, canceledPI(t)),
		[]byte(`{"id":"pi_1","object":"payment_intent","created":1,"livemode":false,"status":"cancelled"}`),
		[]byte(`{"id":"pi_1","object":"payment_intent","created":"1","livemode":false,"status":"canceled"}`),
	} {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		var value any
		if err := dec.Decode(&value); err != nil {
			t.Fatal(err)
		}
		a := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", 200, jsonHeader, body)
		b := v.ValidateResponseValue("POST", "/v1/payment_intents/pi_1/cancel", 200, jsonHeader, value)
		if (a == nil) != (b == nil) {
			t.Errorf("%s: bytes say %v, decoded value says %v", body, a, b)
		}
	}
}

// A broken expanded object is reported inside the object, not also as "value must be a string" from the id form
// of the expandable field.
func TestExpandableFailuresAreExplainedInsideTheObject(t *testing.T) {
	v := mustDefault(t)
	pi := canceledPI(t)
	ch := fixtureObject(t, "charge")
	ch["amount"] = "x"
	pi["latest_charge"] = ch
	pi["customer"] = map[string]any{"object": "customer"}
	err := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", 200, jsonHeader, marshal(t, pi))
	var se *schema.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *schema.Error", err)
	}
	var got []string
	for _, is := range se.Issues {
		got = append(got, is.Pointer)
	}
	if strings.Join(got, " ") != "/customer/id /latest_charge/amount" {
		t.Errorf("issues at %v, want /customer/id and /latest_charge/amount only:\n%v", got, err)
	}
}
