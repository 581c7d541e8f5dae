package mutants

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// Mutants for the fidelity clauses: what real Stripe may do, which the suite must accept (benign), and the
// looser-than-Stripe behaviours it must catch (defects).

// fidelityDefects are the looser-than-Stripe behaviours. It is long because it is a table: one small entry per defect.
func fidelityDefects() []Mutant {
	return []Mutant{
		{
			// The refusal path attaches the payment method before it checks the status.
			Name: "confirm-after-cancel-attaches-pm", Kind: Defect, Checks: []string{"post-cancel"},
			Description: "confirm of a canceled intent is refused, but the payment method sent is attached anyway",
			New: Steps(Before("confirm", func(c *Call) *Result {
				if pm := c.Form.Get("payment_method"); pm != "" && IfStatus(c, canceled) {
					c.Update(func(pi *reference.PaymentIntent) { pi.PaymentMethod = pm })
				}
				return nil
			})),
		},
		{
			// Cancel rebuilds the intent and loses its metadata.
			Name: "cancel-clears-metadata", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel drops the intent's metadata",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				c.Update(func(pi *reference.PaymentIntent) { pi.Metadata = map[string]string{} })
				c.Rerender(res)
			})),
		},
		{
			// Cancel books the amount as received for an intent that was never authorized.
			Name: "cancel-sets-amount-received", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel of an intent that was never authorized reports amount_received = 1",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				// Not from requires_payment_method: the idempotency specs replay that cancel, and a replay returns the
				// reference's stored answer, which this edit does not reach.
				if IfStatus(c, rconf, raction) {
					c.Update(func(pi *reference.PaymentIntent) { pi.AmountReceived = 1 })
					c.Rerender(res)
				}
			})),
		},
		{
			// The refunds list renders an empty list as an empty object. It breaks the list's schema as well.
			Name: "refund-list-not-a-list", Kind: Defect, Checks: []string{"refund", "schema"}, CrossCutting: "a list that is not a list breaks the release clause and the list schema",
			Description: "GET /v1/refunds answers data: {} instead of [] when there is no refund",
			New: Steps(EditJSON(func(c *Call, status int, body any) (int, any) {
				if c.R.Method != http.MethodGet || c.R.URL.Path != "/v1/refunds" || status != http.StatusOK {
					return status, body
				}
				if m, ok := body.(map[string]any); ok {
					if d, ok := m["data"].([]any); ok && len(d) == 0 {
						m["data"] = map[string]any{}
					}
				}
				return status, body
			})),
		},
		{
			// The processing guard answers with a card error instead of an invalid request.
			Name: "processing-refusal-card-error", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel from processing is refused with 402 card_error instead of 400 invalid_request_error",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if IfStatus(c, processing) {
					return c.Error(&reference.Error{Type: "card_error", Code: "processing_error", Message: "The debit is being processed.",
						PaymentIntent: c.ID, HTTPStatus: http.StatusPaymentRequired})
				}
				return nil
			})),
		},
		{
			// A wrong refusal, and the debit settles right after it: the refusal's shape is judged, not the later state.
			Name: "processing-refusal-409-then-settles", Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel from processing is refused with 409 api_error, and the debit settles just after",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if !IfStatus(c, processing) {
					return nil
				}
				res := c.Error(&reference.Error{Type: "api_error", Message: "The debit is locked.", HTTPStatus: http.StatusConflict})
				_ = c.Ref.FinishProcessing(c.ID)
				return res
			})),
		},
		{
			// The lock of a busy intent answers the loser with the account's rate-limit error.
			Name: "race-loser-rate-limit", Kind: Defect, Checks: []string{"races"},
			Description: "a cancel or capture racing another on the same intent always gets 429 rate_limit",
			New:         PerRun(func(*reference.Server) []Step { return []Step{lockedLoser("rate_limit", 20*time.Millisecond)} }),
		},
	}
}

func fidelityDisturbances() []Mutant {
	return []Mutant{
		{
			// Recorded 401 answers for a missing or invalid key carry no request id.
			Name: "no-request-id-on-401", Kind: Benign,
			Description: "401 answers carry no Request-Id header",
			New: Steps(func(_ *Call, next func() *Result) *Result {
				res := next()
				if res.Status == http.StatusUnauthorized {
					res.Header.Del("Request-Id")
				}
				return res
			}),
		},
		{
			// Before API version 2022-08-01 Stripe created a Checkout Session's PaymentIntent with the session.
			Name: "checkout-eager-intent", Kind: Benign,
			Description: "a Checkout Session's PaymentIntent exists as soon as the session is created",
			Options:     func(o *reference.Options) { o.EagerCheckoutIntent = true },
		},
		{
			// Real Stripe: the intent appears only when a customer confirms the session, and no server-side helper can
			// do that, so the Checkout clause cannot be exercised: the spec must skip with that reason, not fail.
			Name: "checkout-lazy-no-helper", Kind: Benign,
			Description: "an open Checkout Session has payment_intent null and the target has no test helper to confirm it (as real Stripe)",
			Changes:     map[string]string{"errors.checkout-intent": "skipped"},
			New: Steps(func(c *Call, next func() *Result) *Result {
				if strings.HasPrefix(c.R.URL.Path, "/v1/test_helpers/checkout/") {
					return c.Error(&reference.Error{Type: "invalid_request_error", HTTPStatus: http.StatusNotFound,
						Message: "Unrecognized request URL (POST: " + c.R.URL.Path + ")."})
				}
				return next()
			}),
		},
		{
			// The code of a refused cancel from processing is UNCONFIRMED.
			Name: "processing-refusal-without-code", Kind: Benign,
			Description: "cancel from processing is refused with 400 invalid_request_error without a code",
			New: Steps(Before("cancel", func(c *Call) *Result {
				if IfStatus(c, processing) {
					return c.Error(&reference.Error{Type: "invalid_request_error", Message: "This PaymentIntent is processing.",
						PaymentIntent: c.ID, HTTPStatus: http.StatusBadRequest})
				}
				return nil
			})),
		},
		{
			// Stripe answers a write to an object another request is modifying with 429 lock_timeout.
			Name: "race-loser-lock-timeout", Kind: Benign,
			Description: "a cancel or capture racing another on the same intent always gets 429 lock_timeout, retries included",
			New:         PerRun(func(*reference.Server) []Step { return []Step{lockedLoser("lock_timeout", 20*time.Millisecond)} }),
		},
	}
}

// lockedLoser holds every cancel or capture of an intent for window; a call that arrives while another is in flight
// on the same intent, and every retry of it (same Idempotency-Key), is answered 429 with code.
func lockedLoser(code string, window time.Duration) Step {
	var (
		mu       sync.Mutex
		inflight = map[string]int{}
		losers   = map[string]bool{}
	)
	return func(c *Call, next func() *Result) *Result {
		if (c.Op != "cancel" && c.Op != "capture") || !c.Found {
			return next()
		}
		key := c.R.Header.Get("Idempotency-Key")
		mu.Lock()
		if (key != "" && losers[key]) || inflight[c.ID] > 0 {
			if key != "" {
				losers[key] = true
			}
			mu.Unlock()
			return c.Error(&reference.Error{Type: "invalid_request_error", Code: code,
				Message:    "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.",
				HTTPStatus: http.StatusTooManyRequests})
		}
		inflight[c.ID]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			inflight[c.ID]--
			mu.Unlock()
		}()
		c.Sleep(window)
		return next()
	}
}
