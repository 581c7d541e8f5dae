package mutants

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// errorDefects break the errors clause: bad requests get Stripe's errors.
//
// It is long because it is a table: one small entry per defect.
func errorDefects() []Mutant {
	return []Mutant{
		{
			// A malformed-looking id is treated as a validation error instead of a lookup miss.
			Name: "unknown-id-400", Kind: Defect, Checks: []string{"errors"},
			Description: "a cancel of an unknown intent is answered 400 instead of 404 resource_missing",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok && st == http.StatusNotFound && e["code"] == "resource_missing" {
					st = http.StatusBadRequest
				}
				return st, body
			})),
		},
		{
			// The generic 404 renderer does not know which parameter named the object.
			Name: "not-found-without-param", Kind: Defect, Checks: []string{"errors"},
			Description: "the 404 for an unknown intent does not name param intent",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok && st == http.StatusNotFound {
					delete(e, "param")
				}
				return st, body
			})),
		},
		{
			// A lazily-provisioning ("upsert") store creates what it does not find.
			Name: "unknown-id-upsert", Kind: Defect, Checks: []string{"errors"},
			Description: "a cancel of an unknown intent answers 200 with a freshly created canceled intent under that id",
			New: Steps(On("cancel", func(c *Call, next func() *Result) *Result {
				if c.Found || !strings.HasPrefix(c.ID, "pi_") {
					return next()
				}
				created := c.Internal(http.MethodPost, "/v1/payment_intents", url.Values{
					"amount": {"2000"}, "currency": {"usd"}, "payment_method_types[]": {"card"}})
				v, _ := created.JSON()
				id, _ := v.(map[string]any)["id"].(string)
				if id == "" {
					return next()
				}
				res := c.Internal(http.MethodPost, "/v1/payment_intents/"+id+"/cancel", nil)
				res.Body = bytes.ReplaceAll(res.Body, []byte(id), []byte(c.ID))
				return res
			})),
		},
		{
			// A "development mode" default key.
			Name: "no-key-served", Kind: Defect, Checks: []string{"errors"},
			Description: "requests without an API key are served (as a default account)",
			New: Steps(func(c *Call, next func() *Result) *Result {
				if strings.TrimSpace(c.R.Header.Get("Authorization")) == "" {
					c.R.Header.Set("Authorization", "Bearer sk_test_mutant_default_account")
				}
				return next()
			}),
		},
		{
			// Only the presence of a key is checked.
			Name: "malformed-key-served", Kind: Defect, Checks: []string{"errors"},
			Description: "requests with a malformed API key are served",
			New: Steps(func(c *Call, next func() *Result) *Result {
				h := c.R.Header.Get("Authorization")
				if key, ok := strings.CutPrefix(h, "Bearer "); ok && !strings.HasPrefix(key, "sk_test_") {
					c.R.Header.Set("Authorization", "Bearer sk_test_mutant_any_key")
				}
				return next()
			}),
		},
		{
			// Parameters are bound to a struct and extra ones are ignored.
			Name: "unknown-param-accepted", Kind: Defect, Checks: []string{"errors"},
			Description: "unknown cancel parameters are silently ignored instead of 400 parameter_unknown",
			New: Steps(Before("cancel", func(c *Call) *Result {
				f := cloneForm(c.Form)
				for k := range f {
					if k != "cancellation_reason" && !strings.HasPrefix(k, "expand") {
						f.Del(k)
					}
				}
				if len(f) != len(c.Form) {
					c.SetForm(f)
				}
				return nil
			})),
		},
		{
			// The Checkout restriction is not implemented.
			Name: "checkout-cancel-allowed", Kind: Defect, Checks: []string{"errors"},
			Description: "the PaymentIntent of an open Checkout Session can be canceled directly",
			New: Steps(On("cancel", func(c *Call, next func() *Result) *Result {
				cs := c.Intent.CheckoutSession
				if !c.Found || cs == "" {
					return next()
				}
				c.Update(func(pi *reference.PaymentIntent) { pi.CheckoutSession = "" })
				defer c.Update(func(pi *reference.PaymentIntent) { pi.CheckoutSession = cs })
				return next()
			})),
		},
	}
}

// idempotencyDefects break the idempotency clause: Idempotency-Key replays.
func idempotencyDefects() []Mutant {
	return []Mutant{
		{
			// A proxy in front of the API strips unknown headers.
			Name: "idempotency-ignored", Kind: Defect, Checks: []string{"idempotency"},
			Description: "Idempotency-Key is ignored: a replayed cancel is executed again (and refused with 400)",
			New: Steps(func(c *Call, next func() *Result) *Result {
				c.R.Header.Del("Idempotency-Key")
				return next()
			}),
		},
		{
			// Replays are keyed on the key alone, without comparing the parameters.
			Name: "idempotency-mismatch-accepted", Kind: Defect, Checks: []string{"idempotency"},
			Description: "a request reusing an Idempotency-Key with different parameters gets the stored response instead of 400 idempotency_error",
			New: PerRun(func(*reference.Server) []Step {
				var mu sync.Mutex
				first := map[string]string{}
				return []Step{func(c *Call, next func() *Result) *Result {
					key := c.R.Header.Get("Idempotency-Key")
					if c.R.Method != http.MethodPost || key == "" {
						return next()
					}
					body := c.Form.Encode()
					mu.Lock()
					orig, seen := first[key]
					if !seen {
						first[key] = body
					}
					mu.Unlock()
					if seen && orig != body {
						c.SetBody(orig)
					}
					return next()
				}}
			}),
		},
	}
}

// raceDefects break the races clause: concurrent cancels.
func raceDefects() []Mutant {
	return []Mutant{
		{
			// Check-then-act without a row lock: each cancel reads the intent, calls the processor (80 ms), then writes.
			Name: "concurrent-cancels-all-win", Kind: Defect, Checks: []string{"races"},
			Description: "no row lock: concurrent cancels of one intent all read it cancelable and all answer 200",
			New:         Steps(UnlockedRace(80*time.Millisecond, false, "cancel")),
		},
		{
			// cancel and capture are served by different services, each serializing only its own operation.
			Name: "cancel-capture-race", Kind: Defect, Checks: []string{"races"},
			Description: "cancel and capture lock different rows: racing on one requires_capture intent, both answer 200",
			New:         Steps(UnlockedRace(80*time.Millisecond, true, "cancel", "capture")),
		},
	}
}

// headerDefects break the schema clause through response headers.
func headerDefects() []Mutant {
	return []Mutant{
		{
			// A gateway in front of the API drops the upstream's Request-Id and sets none.
			Name: "request-id-missing", Kind: Defect, Checks: []string{"schema"},
			Description: "responses carry no Request-Id header",
			New: Steps(func(_ *Call, next func() *Result) *Result {
				res := next()
				res.Header.Del("Request-Id")
				return res
			}),
		},
	}
}
