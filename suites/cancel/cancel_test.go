package cancel

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// canceledAtWithin checks canceled_at is a unix-seconds integer inside [from, to], widened by the configured skew.
func canceledAtWithin(from, to time.Time) func(any) string {
	return func(v any) string {
		ts, ok := AsInt(v)
		if !ok {
			return "it is not an integer (unix seconds)"
		}
		skew := cfg.ClockSkew.Duration
		// Whole seconds: the window's start rounds down and its end rounds up, so a target that rounds either way fits.
		lo := from.Add(-skew).Unix()
		hi := (to.Add(skew).UnixNano() + int64(time.Second) - 1) / int64(time.Second)
		if ts < lo || ts > hi {
			return fmt.Sprintf("it is outside the request window [%d, %d] (±%s clock skew allowed)", lo, hi, skew)
		}
		return ""
	}
}

// expectCanceled holds a response (the cancel answer or a later GET) to the canceled-intent clauses.
func expectCanceled(r *framework.Resp, in drivers.Intent, reason any, from, to time.Time) {
	GinkgoHelper()
	Expect(r).To(HaveStatus(200))
	Expect(r).To(HaveJSON("id", in.ID))
	Expect(r).To(HaveJSON("object", "payment_intent"))
	Expect(r).To(HaveJSON("status", "canceled"))
	Expect(r).To(HaveJSONSatisfying("canceled_at", "set to the time of the cancel", canceledAtWithin(from, to)))
	Expect(r).To(HaveJSON("cancellation_reason", reason))
	Expect(r).To(HaveJSON("amount", in.Amount))
	Expect(r).To(HaveJSON("currency", in.Currency))
	Expect(r).To(HaveJSON("amount_capturable", 0))
}

var _ = Describe("Cancel a PaymentIntent", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	cancel := func(ctx SpecContext, id string, params client.Params) (*framework.Resp, time.Time, time.Time) {
		GinkgoHelper()
		from := time.Now()
		r := s.Post(ctx, "/v1/payment_intents/"+id+"/cancel", params)
		return r, from, time.Now()
	}

	DescribeTable("from a cancelable status",
		func(ctx SpecContext, status string) {
			in := drivers.Reach(ctx, s, status, nil)
			r, from, to := cancel(ctx, in.ID, nil)
			expectCanceled(r, in, nil, from, to)
			// Whether next_action is cleared is UNCONFIRMED (contract §11.7): it is not asserted.

			again := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
			expectCanceled(again, in, nil, from, to)
			Expect(again).To(HaveJSON("canceled_at", r.Get("canceled_at")), "the persisted canceled_at is the one the cancel returned")
		},
		EntryDescription("succeeds for an intent in %s: 200, status canceled, canceled_at within the request window, a null cancellation_reason, unchanged amount and currency, amount_capturable 0, and a later GET shows the same"),
		statusEntries(cancelable, "cancel", "cancel"),
	)

	It("accepts a cancel sent with no body and no Content-Type, as Stripe does", L("requires_payment_method", "cancel", "cancel"), timeout(), func(ctx SpecContext) {
		in := drivers.Reach(ctx, s, "requires_payment_method", nil)
		from := time.Now()
		r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil, framework.WithRawBody([]byte{}, ""))
		expectCanceled(r, in, nil, from, time.Now())
	})

	Describe("cancellation_reason", func() {
		DescribeTable("with a valid value",
			func(ctx SpecContext, status, reason string) {
				in := drivers.Reach(ctx, s, status, nil)
				r, from, to := cancel(ctx, in.ID, client.Params{"cancellation_reason": {reason}})
				expectCanceled(r, in, reason, from, to)
				expectCanceled(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil), in, reason, from, to)
			},
			EntryDescription("from %s, accepts cancellation_reason=%s and echoes it on the intent and on a later GET"),
			reasonEntries(),
		)

		// Only a value outside every enum is used: whether Stripe refuses its own values (automatic, expired...) when
		// a client sends them is not established by the contract notes.
		for _, bad := range []struct{ value, why string }{
			{"bogus", "not a reason at all"},
		} {
			It(fmt.Sprintf("refuses cancellation_reason=%s (%s) with 400 invalid_request_error naming param cancellation_reason, and leaves the intent unchanged", bad.value, bad.why),
				L("requires_payment_method", "cancel", "reason"), timeout(), func(ctx SpecContext) {
					in := drivers.Reach(ctx, s, "requires_payment_method", nil)
					r, _, _ := cancel(ctx, in.ID, client.Params{"cancellation_reason": {bad.value}})
					// The error code for an invalid enum value is UNCONFIRMED (contract §2): only status, type and param are asserted.
					Expect(r).To(BeStripeError(400, "invalid_request_error", ""))
					Expect(r).To(HaveJSON("error.param", "cancellation_reason"))

					after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
					Expect(after).To(HaveStatus(200))
					Expect(after).To(HaveJSON("status", "requires_payment_method"))
					Expect(after).To(HaveJSON("canceled_at", nil))
					Expect(after).To(HaveJSON("cancellation_reason", nil))
				})
		}
	})

	Describe("from processing", func() {
		It("either cancels a processing intent (then every canceled-intent clause holds) or refuses with 400 payment_intent_unexpected_state and leaves it processing; Stripe allows this only in rare cases, so both outcomes conform",
			L("processing", "cancel", "cancel"), timeout(), func(ctx SpecContext) {
				in := drivers.Reach(ctx, s, "processing", nil)
				r, from, to := cancel(ctx, in.ID, nil)
				switch r.Status {
				case 200:
					By("the target allowed the cancel: the intent must be canceled, persisted, and refuse further operations")
					expectCanceled(r, in, nil, from, to)
					expectCanceled(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil), in, nil, from, to)
					again := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)
					Expect(again).To(BeStripeError(400, "invalid_request_error", "payment_intent_unexpected_state"))
					confirm := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/confirm", nil)
					Expect(confirm).To(BeClientError("invalid_request_error"))
				default:
					By("the target refused the cancel: it must say why, and the intent must still be processing")
					after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
					Expect(after).To(HaveStatus(200))
					if after.Str("status") == "succeeded" {
						// How long a debit stays processing is UNCONFIRMED (contract §11.10).
						Skip("the debit settled before the cancel arrived, so cancel from processing was not exercised")
					}
					expectUnexpectedState(r, in.ID, "processing")
					Expect(after).To(HaveJSON("status", "processing"))
					Expect(after).To(HaveJSON("canceled_at", nil))
				}
			})

		It("gives the same answer to a cancel of every processing intent (the choice to allow it must be consistent)",
			L("processing", "cancel", "cancel"), timeout(), func(ctx SpecContext) {
				first := drivers.Reach(ctx, s, "processing", nil)
				second := drivers.Reach(ctx, s, "processing", nil)
				r1 := s.Post(ctx, "/v1/payment_intents/"+first.ID+"/cancel", nil)
				r2 := s.Post(ctx, "/v1/payment_intents/"+second.ID+"/cancel", nil)
				for _, id := range []string{first.ID, second.ID} {
					if s.Get(ctx, "/v1/payment_intents/"+id, nil).Str("status") == "succeeded" {
						Skip("a debit settled before its cancel arrived, so the two answers are not comparable")
					}
				}
				Expect(r2.Status).To(Equal(r1.Status), "two processing intents got different answers:\nfirst: %s\nsecond: %s",
					r1.Exchange.Summary(400), r2.Exchange.Summary(400))
				Expect(r2.Str("status")).To(Equal(r1.Str("status")))
			})
	})
})
