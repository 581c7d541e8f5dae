package mutants

import (
	"net/http"
)

// Defects that used to fail nearly every spec: a field missing from one kind of response, a required field missing
// from a nested object, a starting status the target cannot reach. Each must fail its own clause (the schema
// column, or the reach check of one row) and nothing else.

func attributionDefects() []Mutant {
	return []Mutant{
		{
			// The create handler renders the intent with an older template.
			Name: "create-omits-confirmation_method", Kind: Defect, Checks: []string{"schema"},
			Description: "PaymentIntent create responses omit confirmation_method (a field Stripe always sends); every other response is right",
			New: Steps(On("create", EditJSON(func(_ *Call, status int, body any) (int, any) {
				if status == http.StatusOK {
					EachIntent(body, func(pi map[string]any) { delete(pi, "confirmation_method") })
				}
				return status, body
			}))),
		},
		{
			// Every intent rendering drops a field no clause reads.
			Name: "intents-omit-payment_method_types", Kind: Defect, Checks: []string{"schema"},
			Description: "every PaymentIntent (created, read, canceled, embedded in errors) omits payment_method_types",
			New: Steps(EditJSON(func(_ *Call, status int, body any) (int, any) {
				EachIntent(body, func(pi map[string]any) { delete(pi, "payment_method_types") })
				return status, body
			})),
		},
		{
			// The charge serializer forgets a field the document requires.
			Name: "charges-omit-billing_details", Kind: Defect, Checks: []string{"schema"},
			Description: "every Charge (retrieved, or expanded as latest_charge) omits the required billing_details",
			New: Steps(EditJSON(func(_ *Call, status int, body any) (int, any) {
				EachObject(body, func(_ string, obj map[string]any) {
					if obj["object"] == "charge" {
						delete(obj, "billing_details")
					}
				})
				return status, body
			})),
		},
		{
			// No 3-D Secure on the target's test cards: the authentication-required card simply succeeds.
			Name: "requires_action-unreachable", Kind: Defect, Checks: []string{"reach"}, Statuses: []string{"requires_action"},
			Description: "pm_card_authenticationRequired is charged without authentication (the target cannot produce requires_action)",
			New: Steps(Before("create", func(c *Call) *Result {
				if c.Form.Get("payment_method") == "pm_card_authenticationRequired" {
					f := c.Form
					f.Set("payment_method", "pm_card_visa")
					c.SetForm(f)
				}
				return nil
			})),
		},
	}
}
