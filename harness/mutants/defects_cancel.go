package mutants

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// rejectionDefects break the rejection clause: a cancel from a final status (succeeded, canceled) must be refused.
func rejectionDefects() []Mutant {
	return []Mutant{
		{
			// The status guard was written from a list that includes succeeded ("cancel = void or refund").
			Name: "cancel-from-succeeded", Kind: Defect, Checks: []string{"rejection"}, CrossCutting: "a cancel that loses a race to a capture then succeeds from succeeded too (when it arrives after)",
			Description: "cancel is accepted from succeeded (the status guard treats a captured payment as cancelable)",
			Options:     CancelableWith(succeeded),
		},
		{
			// An idempotent-looking "cancel is a no-op on a canceled intent" shortcut: it answers 200 again.
			Name: "cancel-from-canceled", Kind: Defect, Checks: []string{"rejection", "post-cancel"}, CrossCutting: "a canceled intent that accepts cancel also lets five racing cancels all win",
			Description: "a second cancel of a canceled intent is accepted with 200 instead of payment_intent_unexpected_state",
			Options:     CancelableWith(canceled),
		},
		{
			// The handler stamps canceled_at before it validates the transition and does not roll it back.
			Name: "refused-cancel-writes-canceled-at", Kind: Defect, Checks: []string{"rejection"}, CrossCutting: "a refused cancel from processing writes canceled_at too",
			Description: "a refused cancel (from succeeded) still stamps canceled_at on the intent (written before the status check)",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if c.Found && c.Intent.CanceledAt == 0 && !slices.Contains(reference.DefaultCancelableStatuses, c.Intent.Status) {
					now := time.Now().Unix()
					c.Update(func(pi *reference.PaymentIntent) { pi.CanceledAt = now })
				}
				return nil
			})),
		},
	}
}

// cancelDefects break the cancel clause: the canceled intent (status, canceled_at, amounts, persistence).
//
// It is long because it is a table: one small entry per defect.
func cancelDefects() []Mutant {
	return []Mutant{
		{
			// The write happens in a transaction that is rolled back after the answer was rendered.
			Name: "cancel-not-persisted", Kind: Defect, Checks: []string{"cancel"}, CrossCutting: "every clause that reads the intent after a cancel reads what was not stored",
			Description: "cancel answers 200 with a canceled intent, but the write is lost: a later GET shows the old status",
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				c.Restore()
				c.RestoreCharge()
				deleteRefunds(c, c.NewRefunds())
			})),
		},
		{
			// amount_capturable is only zeroed by capture, not by cancel.
			Name: "amount-capturable-kept", Kind: Defect, Checks: []string{"cancel", "refund"}, CrossCutting: "amount_capturable is read by the cancel clause and by the release of the authorization",
			Description: "cancel from requires_capture leaves amount_capturable at the authorized amount",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if kept := c.Intent.AmountCapturable; kept > 0 {
					c.Update(func(pi *reference.PaymentIntent) { pi.AmountCapturable = kept })
					c.Rerender(res)
				}
			})),
		},
		{
			// "amount" is confused with the outstanding amount and zeroed on cancel.
			Name: "amount-zeroed", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel sets amount to 0 (the outstanding amount is stored in amount)",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				c.Update(func(pi *reference.PaymentIntent) { pi.Amount = 0 })
				c.Rerender(res)
			})),
		},
		{
			// The serializer drops keys whose value is null (omitempty), and canceled_at is never set.
			Name: "canceled-at-missing", Kind: Defect, Checks: []string{"cancel", "schema"}, CrossCutting: "a field the cancel clause reads is also a field Stripe always sends",
			Description: "canceled intents are rendered without the canceled_at key",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				EachIntent(body, func(pi map[string]any) {
					if pi["status"] == canceled {
						delete(pi, "canceled_at")
					}
				})
				return st, body
			})),
		},
		{
			// The timestamp column is written by a trigger that was never deployed.
			Name: "canceled-at-null", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel never sets canceled_at (it stays null)",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				c.Update(func(pi *reference.PaymentIntent) { pi.CanceledAt = 0 })
				c.Rerender(res)
			})),
		},
		{
			// stripe-mock answers every cancel with the fixture's canceled_at 1234567890.
			Name: "canceled-at-fixed", Kind: Defect, Checks: []string{"cancel"},
			Description: "canceled_at is a fixed fixture value (1234567890, as stripe-mock answers)",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				c.Update(func(pi *reference.PaymentIntent) { pi.CanceledAt = 1234567890 })
				c.Rerender(res)
			})),
		},
		{
			// A JavaScript backend stores Date.now().
			Name: "canceled-at-milliseconds", Kind: Defect, Checks: []string{"cancel"},
			Description: "canceled_at is in milliseconds instead of unix seconds",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if !IfStatus(c, canceled) { // not again on an idempotent replay
					c.Update(func(pi *reference.PaymentIntent) { pi.CanceledAt *= 1000 })
				}
				c.Rerender(res)
			})),
		},
		{
			// The serializer only knows British spelling.
			Name: "status-cancelled", Kind: Defect, Checks: []string{"cancel", "schema"}, CrossCutting: "every clause reads the status, and the schema knows its values",
			Description: "the canceled status is spelled \"cancelled\"",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				EachIntent(body, func(pi map[string]any) {
					if pi["status"] == canceled {
						pi["status"] = "cancelled"
					}
				})
				return st, body
			})),
		},
		{
			// Amounts are kept as decimals and rendered as strings.
			Name: "amount-as-string", Kind: Defect, Checks: []string{"schema"}, CrossCutting: "every clause that reads the amount reads a string, and the schema wants an integer",
			Description: "amounts are JSON strings (\"amount\": \"2000\")",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				EachIntent(body, func(pi map[string]any) {
					for _, k := range []string{"amount", "amount_capturable", "amount_received"} {
						if n, ok := pi[k].(json.Number); ok {
							pi[k] = n.String()
						}
					}
				})
				return st, body
			})),
		},
		{
			// omitempty on a field Stripe always sends (null when empty).
			Name: "latest-charge-omitted", Kind: Defect, Checks: []string{"schema", "refund"}, CrossCutting: "the release clause reads latest_charge, which Stripe always sends",
			Description: "latest_charge is omitted instead of null when the intent has no charge",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				EachIntent(body, func(pi map[string]any) {
					if v, ok := pi["latest_charge"]; ok && v == nil {
						delete(pi, "latest_charge")
					}
				})
				return st, body
			})),
		},
		{
			// A test-data flag leaks into responses.
			Name: "livemode-true", Kind: Defect, Aborts: true,
			Description: "every object says livemode: true (the suite must stop at once)",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				EachObject(body, func(_ string, obj map[string]any) {
					if _, ok := obj["livemode"]; ok {
						obj["livemode"] = true
					}
				})
				return st, body
			})),
		},
	}
}

// processingDefects break the cancel clause from processing: either outcome conforms, but the same every time.
func processingDefects() []Mutant {
	return []Mutant{
		{
			// The cancel of a processing debit is accepted, but the bank-side state machine wins the write.
			Name: "processing-cancel-not-persisted", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel of a processing intent answers 200 canceled, but a later GET still shows processing",
			Options:     func(o *reference.Options) { o.AllowCancelProcessing = true },
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				if c.Intent.Status == processing {
					c.Restore()
					c.RestoreCharge()
				}
			})),
		},
		{
			// Two service versions behind one load balancer disagree on whether processing is cancelable.
			Name: "processing-flip-flop", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel of a processing intent is allowed on every other request (two service versions behind a load balancer)",
			Options:     func(o *reference.Options) { o.AllowCancelProcessing = true },
			New: PerRun(func(*reference.Server) []Step {
				var mu sync.Mutex
				n := 0
				return []Step{Before("cancel", func(c *Call) *Result {
					if !IfStatus(c, processing) {
						return nil
					}
					mu.Lock()
					n++
					refuse := n%2 == 1
					mu.Unlock()
					if refuse {
						return c.StateError("", "You cannot cancel this PaymentIntent because it has a status of processing. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.")
					}
					return nil
				})}
			}),
		},
	}
}

// reasonDefects break the reason clause: valid cancellation reasons are echoed and kept, others refused.
func reasonDefects() []Mutant {
	return []Mutant{
		{
			// A PSP that requires a reason fills in a default.
			Name: "default-reason", Kind: Defect, Checks: []string{"cancel"},
			Description: "a cancel sent without cancellation_reason stores requested_by_customer instead of null",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if !c.Form.Has("cancellation_reason") {
					f := cloneForm(c.Form)
					f.Set("cancellation_reason", "requested_by_customer")
					c.SetForm(f)
				}
				return nil
			})),
		},
		{
			// The parameter is not wired through to the model.
			Name: "reason-dropped", Kind: Defect, Checks: []string{"reason"},
			Description: "cancellation_reason is ignored: the canceled intent shows null",
			// The request reaches the target whole (its idempotency fingerprint keeps the reason); the reason is
			// never written.
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				c.Update(func(pi *reference.PaymentIntent) { pi.CancellationReason = "" })
				c.Rerender(res)
			})),
		},
		{
			// The answer is rendered from the request, the column is never written.
			Name: "reason-not-persisted", Kind: Defect, Checks: []string{"reason"},
			Description: "the cancel answer echoes cancellation_reason, but it is not stored: a later GET shows null",
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				c.Update(func(pi *reference.PaymentIntent) { pi.CancellationReason = "" })
			})),
		},
		{
			// No enum validation; unknown values are silently dropped.
			Name: "invalid-reason-accepted", Kind: Defect, Checks: []string{"reason"},
			Description: "an invalid cancellation_reason (bogus, automatic) is accepted and the intent canceled",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if r := c.Form.Get("cancellation_reason"); c.Form.Has("cancellation_reason") && !slices.Contains(validReasons, r) {
					f := cloneForm(c.Form)
					f.Del("cancellation_reason")
					c.SetForm(f)
				}
				return nil
			})),
		},
		{
			// The cancel is executed before the parameters are validated; the 400 comes too late.
			Name: "invalid-reason-cancels-anyway", Kind: Defect, Checks: []string{"reason"},
			Description: "an invalid cancellation_reason is refused with 400, but the intent was canceled before the validation",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if r := c.Form.Get("cancellation_reason"); c.Form.Has("cancellation_reason") && !slices.Contains(validReasons, r) &&
					IfStatus(c, reference.DefaultCancelableStatuses...) {
					c.Internal(http.MethodPost, "/v1/payment_intents/"+c.ID+"/cancel", nil)
				}
				return nil
			})),
		},
	}
}
