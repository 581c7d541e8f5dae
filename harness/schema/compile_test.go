package schema_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pi-conformance/suite/fixtures/openapi"
	"github.com/pi-conformance/suite/harness/schema"
)

// The validator compiles the document itself instead of using kin-openapi's loader. Both must judge every body
// alike: this differential test validates the same bodies with the loader's schemas.
func TestCompiledSchemasAgreeWithKinLoader(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatal(err)
	}
	v := mustDefault(t)
	pi := func(f func(m map[string]any)) any { m := canceledPI(t); f(m); return m }
	charge := fixtureObject(t, "charge")
	bodies := map[string]any{
		"canceled PI":            pi(func(map[string]any) {}),
		"expanded latest_charge": pi(func(m map[string]any) { m["latest_charge"] = charge }),
		"stub latest_charge":     pi(func(m map[string]any) { m["latest_charge"] = map[string]any{"id": "ch_1"} }),
		"status misspelled":      pi(func(m map[string]any) { m["status"] = "cancelled" }),
		"amount string":          pi(func(m map[string]any) { m["amount"] = "1" }),
		"amount null":            pi(func(m map[string]any) { m["amount"] = nil }),
		"customer object":        pi(func(m map[string]any) { m["customer"] = map[string]any{"id": "cus_1", "object": "customer"} }),
		"customer bad object":    pi(func(m map[string]any) { m["customer"] = map[string]any{"object": "customer"} }),
		"metadata number":        pi(func(m map[string]any) { m["metadata"] = map[string]any{"k": 1} }),
		"missing id":             pi(func(m map[string]any) { delete(m, "id") }),
		"reason bogus":           pi(func(m map[string]any) { m["cancellation_reason"] = "bogus" }),
		"long id":                pi(func(m map[string]any) { m["id"] = strings.Repeat("x", 5001) }),
		"methods not array":      pi(func(m map[string]any) { m["payment_method_types"] = "card" }),
		"charge fixture":         charge,
	}
	comp := doc.Components.Schemas["payment_intent"].Value
	for name, body := range bodies {
		b, _ := json.Marshal(body)
		var value any
		_ = json.Unmarshal(b, &value)
		kinErr := comp.VisitJSON(value, openapi3.MultiErrors())
		ours := v.ValidateResponse("POST", "/v1/payment_intents/pi_1/cancel", 200, http.Header{"Content-Type": {"application/json"}}, b)
		if (kinErr == nil) != (ours == nil) {
			t.Errorf("%s: kin loader says %v, compiled says %v", name, kinErr, ours)
		}
	}
}

func TestCompilerRefusesWhatItCannotValidate(t *testing.T) {
	bad := map[string]string{
		"unknown keyword": `{"openapi":"3.0.0","info":{"version":"x"},"paths":{"/a":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"type":"object","patternProperties":{}}}}}}}}}}`,
		"external ref":    `{"openapi":"3.0.0","info":{"version":"x"},"paths":{"/a":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"other.json#/x"}}}}}}}}}`,
		"dangling ref":    `{"openapi":"3.0.0","info":{"version":"x"},"paths":{"/a":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/nope"}}}}}}}}}`,
		"openapi 3.1":     `{"openapi":"3.1.0","info":{"version":"x"},"paths":{"/a":{}}}`,
		"not json":        `{`,
		"no paths":        `{"openapi":"3.0.0","info":{"version":"x"},"paths":{}}`,
	}
	for name, doc := range bad {
		if _, err := schema.Load([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
