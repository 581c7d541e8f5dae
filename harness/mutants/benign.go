package mutants

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// Disturbances returns the benign disturbances that a correct suite must pass: each is something real Stripe (or a faithful
// implementation of the contract) may do.
//
// It is long because it is a table: one small entry per disturbance.
func Disturbances() []Mutant {
	return []Mutant{
		{
			// Whether Stripe clears next_action on cancel is UNCONFIRMED (contract §11.7): keeping it must not fail.
			Name: "next-action-kept", Kind: Benign,
			Description: "cancel from requires_action keeps next_action (the customer is still asked to authenticate)",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if c.Intent.NextAction != nil {
					na := *c.Intent.NextAction
					c.Update(func(pi *reference.PaymentIntent) { pi.NextAction = &na })
					c.Rerender(res)
				}
			})),
		},
		{
			// Whether Stripe copies the cancellation reason to the refund of a void is UNCONFIRMED (one recording,
			// 2019): a null reason must not fail.
			Name: "refund-reason-null", Kind: Benign,
			Description: "the refund created by cancel has reason null although cancellation_reason=requested_by_customer was sent",
			New: Steps(AfterCancel(func(c *Call, _ *Result) {
				for _, r := range c.NewRefunds() {
					_ = c.Ref.UpdateRefund(r.ID, func(re *reference.Refund) { re.Reason = "" })
				}
			})),
		},
		{
			// A remote target: every answer takes a while.
			Name: "latency-30ms", Kind: Benign,
			Description: "every response is delayed by 30 ms",
			New:         Steps(Delay(30 * time.Millisecond)),
		},
		{
			// Stripe's rate limiter answers before the request reaches the API, so the retry with the same
			// Idempotency-Key is safe. Retries are always served; POSTs without a key are never limited (a client
			// could not retry them safely, and the suite always sends a key).
			Name: "rate-limited-429", Kind: Benign,
			Description: "every 5th request gets 429 with Retry-After: 0 (every 50th: Retry-After: 1), before the reference sees it",
			New: PerRun(func(*reference.Server) []Step {
				var mu sync.Mutex
				n := 0
				limited := map[string]bool{}
				return []Step{func(c *Call, next func() *Result) *Result {
					key := c.R.Header.Get("Idempotency-Key")
					if c.R.Method == http.MethodPost && key == "" {
						return next()
					}
					if key == "" {
						key = c.R.Method + " " + c.R.URL.String()
					}
					mu.Lock()
					if limited[key] { // the client's retry
						delete(limited, key)
						mu.Unlock()
						return next()
					}
					n++
					limit, after := n%5 == 0, "0"
					if n%50 == 0 {
						after = "1"
					}
					if limit {
						limited[key] = true
					}
					mu.Unlock()
					if !limit {
						return next()
					}
					res := c.Error(&reference.Error{Type: "invalid_request_error", Code: "rate_limit", HTTPStatus: http.StatusTooManyRequests,
						Message: "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."})
					res.Header.Set("Retry-After", after)
					return res
				}}
			}),
		},
		{
			// Vendors add fields; the response schemas do not forbid unknown members. Metadata (user data) is left alone.
			Name: "extra-fields", Kind: Benign,
			Description: "every JSON object (except metadata) carries an unknown member x_vendor_extension",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				EachObject(body, func(key string, obj map[string]any) {
					if key != "metadata" {
						obj["x_vendor_extension"] = "v1"
					}
				})
				return st, body
			})),
		},
		{
			// Messages change over time; the contract fixes status, type, code and param only.
			Name: "reworded-errors", Kind: Benign,
			Description: "every error message is reworded (type, code and param unchanged)",
			New: Steps(EditJSON(func(_ *Call, st int, body any) (int, any) {
				if e, ok := ErrorObject(body); ok {
					kind, _ := e["code"].(string)
					if kind == "" {
						kind, _ = e["type"].(string)
					}
					e["message"] = "The request was declined by the vendor gateway (" + strings.ReplaceAll(kind, "_", " ") + ")."
				}
				return st, body
			})),
		},
		{
			// Another implementation's ids: longer, other alphabet, consistent.
			Name: "vendor-ids", Kind: Benign,
			Description: "intent and charge ids have another shape (pi_vendor_<40 chars>), mapped consistently in both directions",
			New: PerRun(func(ref *reference.Server) []Step {
				m := NewIDMapper("pi_", "ch_")
				ref.SetDeliveryHook(m.DeliveryHook()) // its webhook deliveries carry the same ids
				return []Step{m.Step()}
			}),
		},
		{
			// Go's transport asks for gzip and decompresses transparently.
			Name: "gzip", Kind: Benign,
			Description: "responses are gzip-compressed (Content-Encoding: gzip) when the request accepts it",
			New: Steps(func(c *Call, next func() *Result) *Result {
				res := next()
				if !strings.Contains(c.R.Header.Get("Accept-Encoding"), "gzip") {
					return res
				}
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				_, _ = zw.Write(res.Body)
				_ = zw.Close()
				res.Body = buf.Bytes()
				res.Header.Set("Content-Encoding", "gzip")
				res.Header.Add("Vary", "Accept-Encoding")
				return res
			}),
		},
		{
			// The contract accepts both outcomes for processing (§1.3).
			Name: "cancel-processing-allowed", Kind: Benign,
			Description: "cancel of a processing intent is allowed (Stripe allows it \"in rare cases\")",
			Options:     func(o *reference.Options) { o.AllowCancelProcessing = true },
			// The post-cancel clauses from processing, skipped where the cancel is refused, now run.
			Changes: map[string]string{"post-cancel.*.from-processing": "passed"},
		},
		{
			// The contract accepts both outcomes for a metadata-only update after cancel (§6.3).
			Name: "metadata-update-refused", Kind: Benign,
			Description: "a metadata-only update of a canceled intent is refused with 400 payment_intent_unexpected_state",
			New: Steps(Before("update", func(c *Call) *Result {
				if IfStatus(c, canceled) && onlyMetadata(c.Form) {
					return c.StateError("metadata", "This PaymentIntent's metadata could not be updated because it has a status of canceled. "+
						"You may only update the metadata of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.")
				}
				return nil
			})),
		},
	}
}
