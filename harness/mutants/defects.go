package mutants

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// Status names, for brevity.
const (
	rpm        = reference.StatusRequiresPaymentMethod
	rconf      = reference.StatusRequiresConfirmation
	raction    = reference.StatusRequiresAction
	rcapture   = reference.StatusRequiresCapture
	processing = reference.StatusProcessing
	succeeded  = reference.StatusSucceeded
	canceled   = reference.StatusCanceled

	unexpectedState = "payment_intent_unexpected_state"
)

// validReasons are the cancellation reasons a client may send.
var validReasons = []string{"abandoned", "duplicate", "fraudulent", "requested_by_customer"}

// Defects returns the realistic defects. Each entry's Checks name the clauses (check labels) whose specs must fail.
func Defects() []Mutant {
	ds := []Mutant{
		// ---- rejection: cancel from a final status ----
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

		// ---- cancel: the canceled intent ----
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

		// ---- processing ----
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

		// ---- reason ----
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

		// ---- post-cancel: operations on a canceled intent ----
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

		// ---- rejection and post-cancel: the state error itself ----
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

		// ---- refund: releasing the authorization ----
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

		// ---- errors: bad requests ----
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

		// ---- idempotency ----
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

		// ---- races ----
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

		// ---- headers ----
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

	// One defect per cancelable status: the guard forgets it.
	for _, st := range reference.DefaultCancelableStatuses {
		ds = append(ds, Mutant{
			Name: "refuse-cancel-" + st, Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel from " + st + " is refused with payment_intent_unexpected_state (the status guard omits it)",
			Options:     CancelableWithout(st),
		})
	}
	return ds
}

// reopen returns an update that takes a canceled intent back to status, as if it had never been canceled.
func reopen(status string) func(pi *reference.PaymentIntent) {
	return func(pi *reference.PaymentIntent) {
		st := status
		if st == rconf && pi.PaymentMethod == "" {
			st = rpm
		}
		pi.Status, pi.CanceledAt, pi.CancellationReason = st, 0, ""
	}
}

func onlyMetadata(f url.Values) bool {
	if len(f) == 0 {
		return false
	}
	for k := range f {
		if !strings.HasPrefix(k, "metadata[") {
			return false
		}
	}
	return true
}

func deleteRefunds(c *Call, rs []reference.Refund) {
	for _, r := range rs {
		_ = c.Ref.DeleteRefund(r.ID)
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = slices.Clone(v)
	}
	return out
}
