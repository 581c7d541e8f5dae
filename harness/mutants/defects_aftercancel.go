package mutants

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/pi-conformance/suite/harness/reference"
)

// postCancelDefects break the post-cancel clause: operations on a canceled intent fail and change nothing.
//
// It is long because it is a table: one small entry per defect.
func postCancelDefects() []Mutant {
	return []Mutant{
		{
			// capture only checks that a charge exists.
			Name: "capture-after-cancel", Kind: Defect, Checks: []string{"post-cancel"}, CrossCutting: "a capture that races a cancel and arrives after it succeeds too (when it arrives after)",
			Description: "capture of a canceled intent succeeds and marks it succeeded",
			New: Steps(Before("capture", func(c *Call) *Result {
				if !IfStatus(c, canceled) {
					return nil
				}
				c.Update(func(pi *reference.PaymentIntent) {
					pi.Status, pi.AmountReceived, pi.AmountCapturable = succeeded, pi.Amount, 0
				})
				return c.IntentResult()
			})),
		},
		{
			// confirm re-opens any intent that has a payment method.
			Name: "confirm-after-cancel", Kind: Defect, Checks: []string{"post-cancel"},
			Description: "confirm of a canceled intent re-opens it and confirms the payment",
			New: Steps(Before("confirm", func(c *Call) *Result {
				if IfStatus(c, canceled) {
					c.Update(reopen(rconf))
				}
				return nil
			})),
		},
		{
			// The status guard only runs when the payment method changes (Stripe's message for that case names
			// payment_method, which is where the implementer put the check).
			Name: "confirm-without-pm-after-cancel", Kind: Defect, Checks: []string{"post-cancel"},
			Description: "confirm without parameters re-opens and charges a canceled intent that still has its payment method (the guard only runs when payment_method changes)",
			New: Steps(Before("confirm", func(c *Call) *Result {
				if IfStatus(c, canceled) && !c.Form.Has("payment_method") && !c.Form.Has("payment_method_data[type]") && c.Intent.PaymentMethod != "" {
					c.Update(reopen(rconf))
				}
				return nil
			})),
		},
		{
			// The update endpoint has no status guard for amount.
			Name: "amount-update-after-cancel", Kind: Defect, Checks: []string{"post-cancel"},
			Description: "an amount update on a canceled intent is accepted",
			New: Steps(Before("update", func(c *Call) *Result {
				n, err := strconv.ParseInt(c.Form.Get("amount"), 10, 64)
				if !IfStatus(c, canceled) || err != nil {
					return nil
				}
				c.Update(func(pi *reference.PaymentIntent) { pi.Amount = n })
				return c.IntentResult()
			})),
		},
		{
			// increment_authorization only checks incremental support on the card.
			Name: "increment-after-cancel", Kind: Defect, Checks: []string{"post-cancel"},
			Description: "increment_authorization on a canceled intent raises amount and amount_capturable",
			New: Steps(Before("increment_authorization", func(c *Call) *Result {
				n, err := strconv.ParseInt(c.Form.Get("amount"), 10, 64)
				if !IfStatus(c, canceled) || err != nil {
					return nil
				}
				c.Update(func(pi *reference.PaymentIntent) { pi.Amount, pi.AmountCapturable = n, n })
				return c.IntentResult()
			})),
		},
		{
			// Any update resets the status machine as for an editable intent.
			Name: "metadata-update-reopens", Kind: Defect, Checks: []string{"post-cancel"},
			Description: "a metadata-only update on a canceled intent re-opens it (status back to requires_payment_method or requires_confirmation)",
			New: Steps(Before("update", func(c *Call) *Result {
				if IfStatus(c, canceled) && onlyMetadata(c.Form) {
					c.Update(reopen(rpm))
				}
				return nil
			})),
		},
		{
			// Capture errors of a newer API layer use 422 for semantic errors.
			Name: "state-error-422-after-cancel", Kind: Defect, Checks: []string{"post-cancel"}, CrossCutting: "a race loser gets the same wrong status as every operation refused after a cancel",
			Description: "state errors of capture/confirm/update on a canceled intent are answered 422 instead of 400",
			New: Steps(EditJSON(func(c *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok && e["code"] == unexpectedState && c.Op != "cancel" {
					st = http.StatusUnprocessableEntity
				}
				return st, body
			})),
		},
	}
}

// stateErrorDefects break the rejection and post-cancel clauses through the payment_intent_unexpected_state
// error itself.
func stateErrorDefects() []Mutant {
	return []Mutant{
		{
			// The implementer invented an error code instead of Stripe's.
			Name: "wrong-error-code", Kind: Defect, Checks: []string{"rejection", "post-cancel"}, CrossCutting: "the state error is the answer of every refused cancel and of every race loser",
			Description: "state errors carry code invalid_state instead of payment_intent_unexpected_state",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok && e["code"] == unexpectedState {
					e["code"] = "invalid_state"
					e["doc_url"] = "https://example.com/errors/invalid-state"
				}
				return st, body
			})),
		},
		{
			// A REST-purist "conflict with the resource state".
			Name: "state-error-409", Kind: Defect, Checks: []string{"rejection", "post-cancel"}, CrossCutting: "the state error is the answer of every refused cancel and of every race loser",
			Description: "state errors are answered HTTP 409 Conflict instead of 400",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok && e["code"] == unexpectedState {
					st = http.StatusConflict
				}
				return st, body
			})),
		},
		{
			// The error embeds the intent from a cache filled when it was created.
			Name: "stale-error-intent", Kind: Defect, Checks: []string{"rejection", "post-cancel"}, CrossCutting: "the state error is the answer of every refused cancel and of every race loser",
			Description: "state errors embed a stale error.payment_intent (as it was when created), not its current status",
			New: PerRun(func(*reference.Server) []Step {
				var mu sync.Mutex
				cache := map[string][]byte{}
				return []Step{func(c *Call, next func() *Result) *Result {
					res := next()
					v, ok := res.JSON()
					if !ok {
						return res
					}
					if c.Op == "create" && res.Status == http.StatusOK {
						if id, _ := v.(map[string]any)["id"].(string); id != "" {
							mu.Lock()
							cache[id] = res.Body
							mu.Unlock()
						}
						return res
					}
					e, ok := ErrorObject(v)
					if !ok {
						return res
					}
					pi, _ := e["payment_intent"].(map[string]any)
					id, _ := pi["id"].(string)
					mu.Lock()
					stale, hit := cache[id]
					mu.Unlock()
					if hit {
						var old any
						if json.Unmarshal(stale, &old) == nil {
							e["payment_intent"] = old
							res.SetJSON(v)
						}
					}
					return res
				}}
			}),
		},
		{
			// Errors are rendered flat.
			Name: "no-error-envelope", Kind: Defect, Checks: []string{"errors", "rejection"}, CrossCutting: "every refusal of every clause is an error envelope",
			Description: "error bodies lack the \"error\" envelope ({\"type\": …, \"code\": …} at the top level)",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok && st >= 400 {
					return st, e
				}
				return st, body
			})),
		},
	}
}

// refundDefects break the refund clause: a cancel from requires_capture releases the authorization.
//
// It is long because it is a table: one small entry per defect.
func refundDefects() []Mutant {
	return []Mutant{
		{
			// The void call to the processor is never made.
			Name: "no-release", Kind: Defect, Checks: []string{"refund"},
			Description: "cancel from requires_capture does not release the authorization: the charge is not refunded and no refund exists",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if c.Intent.Status == rcapture {
					c.RestoreCharge()
					deleteRefunds(c, c.NewRefunds())
					c.Rerender(res)
				}
			})),
		},
		{
			// The charge is flagged refunded, but the refund object is never written.
			Name: "refund-object-missing", Kind: Defect, Checks: []string{"refund"},
			Description: "cancel from requires_capture marks the charge refunded but creates no refund object",
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				if c.Intent.Status == rcapture {
					deleteRefunds(c, c.NewRefunds())
				}
			})),
		},
		{
			// Integer division bug in the release amount.
			Name: "partial-release", Kind: Defect, Checks: []string{"refund"},
			Description: "cancel from requires_capture releases only half of the authorization",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if c.Intent.Status != rcapture || !c.HasCharge {
					return
				}
				half := c.Charge.Amount / 2
				for _, r := range c.NewRefunds() {
					_ = c.Ref.UpdateRefund(r.ID, func(re *reference.Refund) { re.Amount = half })
				}
				_ = c.Ref.UpdateCharge(c.Charge.ID, func(ch *reference.Charge) { ch.AmountRefunded, ch.Refunded = half, false })
				c.Rerender(res)
			})),
		},
		{
			// The release is asynchronous and stays pending.
			Name: "refund-pending", Kind: Defect, Checks: []string{"refund"},
			Description: "the refund created by cancel stays pending instead of succeeded",
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				for _, r := range c.NewRefunds() {
					_ = c.Ref.UpdateRefund(r.ID, func(re *reference.Refund) { re.Status = "pending" })
				}
			})),
		},
		{
			// "void" implemented as capture then refund: money moved twice.
			Name: "void-as-capture-refund", Kind: Defect, Checks: []string{"refund"}, CrossCutting: "the capture books amount_received, which the cancel clause holds unchanged",
			Description: "cancel from requires_capture captures then refunds (charge captured=true, amount_received = amount) instead of voiding",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if c.Intent.Status != rcapture || !c.HasCharge {
					return
				}
				_ = c.Ref.UpdateCharge(c.Charge.ID, func(ch *reference.Charge) { ch.Captured, ch.AmountCaptured = true, ch.Amount })
				c.Update(func(pi *reference.PaymentIntent) { pi.AmountReceived = pi.Amount })
				c.Rerender(res)
			})),
		},
		{
			// The release path gives the refund a reason of its own. (A null reason is accepted: whether Stripe copies
			// the cancellation reason is UNCONFIRMED; see the benign refund-reason-null.)
			Name: "refund-reason-wrong", Kind: Defect, Checks: []string{"refund"},
			Description: "the refund created by cancel has reason duplicate although cancellation_reason=requested_by_customer was sent",
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				for _, r := range c.NewRefunds() {
					_ = c.Ref.UpdateRefund(r.ID, func(re *reference.Refund) { re.Reason = "duplicate" })
				}
			})),
		},
		{
			// The void is modelled as a failed charge.
			Name: "voided-charge-failed", Kind: Defect, Checks: []string{"refund"},
			Description: "cancel from requires_capture marks the charge failed and unpaid (Stripe keeps status succeeded, paid true)",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if c.Intent.Status == rcapture && c.HasCharge {
					_ = c.Ref.UpdateCharge(c.Charge.ID, func(ch *reference.Charge) { ch.Status, ch.Paid = "failed", false })
					c.Rerender(res)
				}
			})),
		},
		{
			// expand is only implemented on GET.
			Name: "expand-ignored", Kind: Defect, Checks: []string{"refund"},
			Description: "expand[]=latest_charge is ignored on cancel (latest_charge stays an id)",
			New: Steps(Before("cancel", func(c *Call) *Result {
				f := cloneForm(c.Form)
				for k := range f {
					if strings.HasPrefix(k, "expand") {
						f.Del(k)
					}
				}
				if len(f) != len(c.Form) {
					c.SetForm(f)
				}
				return nil
			})),
		},
	}
}
