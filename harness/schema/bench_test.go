package schema_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stripe/stripe-mock/embedded"

	"github.com/pi-conformance/suite/fixtures/openapi"
	"github.com/pi-conformance/suite/harness/schema"
)

// Setting the validator up in a suite process (decode the pinned document, resolve refs, build routes: everything
// before the first validation) against loading Stripe's full spec3.json with kin-openapi's loader, the usual way.
// Report the ratio of the two ns/op figures from one run (see README, Performance).
func BenchmarkSetup(b *testing.B) {
	b.Run("pinned", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := schema.Load(openapi.Document); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full-spec3-kin-loader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			doc, err := openapi3.NewLoader().LoadFromData(embedded.OpenAPISpec)
			if err != nil || doc == nil {
				b.Fatal(err)
			}
		}
	})
}

// Validating one canceled PaymentIntent response (route lookup + decode + schema) against json.Unmarshal of the
// same bytes into map[string]any; and the route lookup alone.
func BenchmarkValidateCanceledPI(b *testing.B) {
	v := mustDefault(b)
	body := marshal(b, canceledPI(b))
	const path = "/v1/payment_intents/pi_1EUmyr2x6R10KRrhSZiPoQFD/cancel"
	if err := v.ValidateResponse("POST", path, 200, jsonHeader, body); err != nil {
		b.Fatal(err)
	}
	b.Run("validate", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := v.ValidateResponse("POST", path, 200, jsonHeader, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same intent with its latest_charge expanded: nested nullable and expandable fields, where kin-openapi's
	// cost grows with every level of anyOf (see simplify in compile.go).
	expanded := canceledPI(b)
	expanded["latest_charge"] = fixtureObject(b, "charge")
	expBody := marshal(b, expanded)
	const expPath = path + "?expand[]=latest_charge"
	if err := v.ValidateResponse("POST", expPath, 200, jsonHeader, expBody); err != nil {
		b.Fatal(err)
	}
	b.Run("validate-expanded-charge", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(expBody)))
		for b.Loop() {
			if err := v.ValidateResponse("POST", expPath, 200, jsonHeader, expBody); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-unmarshal-expanded-charge", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(expBody)))
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(expBody, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("route-lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := v.Operation("POST", path); !ok {
				b.Fatal("no route")
			}
		}
	})
}
