package cancel

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// expectCanceled holds a response (the cancel answer or a later GET) to the canceled-intent clauses.
func expectCanceled(r *framework.Resp, in drivers.Intent, reason any, from, to time.Time) {
	GinkgoHelper()
	Expect(r).To(HaveStatus(200))
	Expect(r).To(HaveJSON("id", in.ID))
	Expect(r).To(HaveJSON("object", "payment_intent"))
	Expect(r).To(HaveJSON("status", "canceled"))
	Expect(r).To(HaveJSON("canceled_at", BeUnixTimeWithin(from, to, cfg.ClockSkew.Duration)), "canceled_at is the time of the cancel")
	Expect(r).To(HaveJSON("cancellation_reason", reason))
	Expect(r).To(HaveJSON("amount", in.Amount))
	Expect(r).To(HaveJSON("currency", in.Currency))
	Expect(r).To(HaveJSON("amount_capturable", 0))
}

// expectKept asserts that r shows the same value as before for every field (a field absent from both is left to
// the schema checks).
func expectKept(r, before *framework.Resp, what string, fields ...string) {
	GinkgoHelper()
	for _, field := range fields {
		Expect(r).To(HaveJSONLike(field, before), "%s must not change %s", what, field)
	}
}

// expectReason holds a cancel answer (or a later GET) to the reason clause alone: the intent is canceled and carries
// the reason sent. The other canceled-intent fields are the cancel column's.
func expectReason(r *framework.Resp, id, reason string) {
	GinkgoHelper()
	Expect(r).To(HaveStatus(200))
	Expect(r).To(HaveJSON("id", id))
	Expect(r).To(HaveJSON("status", "canceled"))
	Expect(r).To(HaveJSON("cancellation_reason", reason))
}

// timedCancel cancels and returns the answer with the request window, for canceled_at.
func timedCancel(ctx SpecContext, s *framework.Session, id string, params client.Params, opts ...framework.Option) (*framework.Resp, time.Time, time.Time) {
	GinkgoHelper()
	from := time.Now()
	r := s.CancelIntent(ctx, id, params, opts...)
	return r, from, time.Now()
}

var _ = Describe("Cancel a PaymentIntent", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	DescribeTable("from a cancelable status",
		func(ctx SpecContext, status string) {
			in := drivers.Reach(ctx, s, status, nil)
			r, from, to := timedCancel(ctx, s, in.ID, nil)
			expectCanceled(r, in, nil, from, to)
			// The cancel keeps what it does not own: metadata and amount_received stay as the intent had them.
			expectKept(r, in.Created, "the cancel", "metadata", "amount_received")
			// Whether next_action is cleared is UNCONFIRMED (contract §11.7): it is not asserted.

			again := s.RetrieveIntent(ctx, in.ID, nil)
			expectCanceled(again, in, nil, from, to)
			Expect(again).To(HaveJSON("canceled_at", r.Get("canceled_at")), "the persisted canceled_at is the one the cancel returned")
		},
		EntryDescription("succeeds for an intent in %s: 200, status canceled, canceled_at within the request window, a null cancellation_reason, unchanged amount, currency, metadata and amount_received, amount_capturable 0, and a later GET shows the same"),
		statusEntries("cancel.from", cancelable, "cancel", "cancel"),
	)

	It("accepts a cancel sent with no body and no Content-Type, as Stripe does", At("cancel.no-body", "requires_payment_method", "cancel", "cancel"), func(ctx SpecContext) {
		in := drivers.Reach(ctx, s, "requires_payment_method", nil)
		r, from, to := timedCancel(ctx, s, in.ID, nil, framework.WithRawBody([]byte{}, ""))
		expectCanceled(r, in, nil, from, to)
	})

	Describe("cancellation_reason", func() {
		DescribeTable("with a valid value",
			func(ctx SpecContext, status, reason string) {
				in := drivers.Reach(ctx, s, status, nil)
				r := s.CancelIntent(ctx, in.ID, client.Params{"cancellation_reason": {reason}})
				if r.Status == 400 && r.Str("error.code") == "payment_intent_unexpected_state" {
					// A refusal for the intent's status, whatever the reason: the cancel column judges it.
					framework.Blocked(status, "cancel a PaymentIntent in "+status, "the target refuses to cancel from this status at all", r)
				}
				expectReason(r, in.ID, reason)
				expectReason(s.RetrieveIntent(ctx, in.ID, nil), in.ID, reason)
			},
			EntryDescription("from %s, accepts cancellation_reason=%s and echoes it on the intent and on a later GET"),
			reasonEntries(),
		)

		// Only a value outside every enum is used: whether Stripe refuses its own values (automatic, expired...) when
		// a client sends them is not established by the contract notes.
		It("refuses cancellation_reason=bogus (not a reason at all) with 400 invalid_request_error naming param cancellation_reason, and leaves the intent unchanged",
			At("reason.refuses-bogus", "requires_payment_method", "cancel", "reason"), func(ctx SpecContext) {
				in := drivers.Reach(ctx, s, "requires_payment_method", nil)
				r := s.CancelIntent(ctx, in.ID, client.Params{"cancellation_reason": {"bogus"}})
				// The error code for an invalid enum value is UNCONFIRMED (contract §2): only status, type and param are asserted.
				Expect(r).To(BeStripeError(400, "invalid_request_error", ""))
				Expect(r).To(HaveJSON("error.param", "cancellation_reason"))

				after := s.RetrieveIntent(ctx, in.ID, nil)
				Expect(after).To(HaveStatus(200))
				Expect(after).To(HaveJSON("status", "requires_payment_method"))
				Expect(after).To(HaveJSON("canceled_at", nil))
				Expect(after).To(HaveJSON("cancellation_reason", nil))
			})
	})

	Describe("from processing", func() {
		It("either cancels a processing intent (then every canceled-intent clause holds) or refuses with 400 invalid_request_error and leaves it processing (the refusal's code is UNCONFIRMED); Stripe allows this only in rare cases, so both outcomes conform",
			At("cancel.processing-either", "processing", "cancel", "cancel"), func(ctx SpecContext) {
				in := drivers.Reach(ctx, s, "processing", nil)
				r, from, to := timedCancel(ctx, s, in.ID, nil)
				if r.Status == 200 {
					By("the target allowed the cancel: the intent must be canceled, persisted, and refuse further operations")
					expectCanceled(r, in, nil, from, to)
					expectCanceled(s.RetrieveIntent(ctx, in.ID, nil), in, nil, from, to)
					expectUnexpectedState(s.CancelIntent(ctx, in.ID, nil), in.ID, "canceled")
					Expect(s.ConfirmIntent(ctx, in.ID, nil)).To(BeClientError("invalid_request_error"))
					return
				}
				By("the target refused the cancel: it must say why, and the intent must still be processing")
				expectProcessingRefusal(r, in.ID)
				after := s.RetrieveIntent(ctx, in.ID, nil)
				Expect(after).To(HaveStatus(200))
				Expect(after).To(HaveJSON("status", "processing"))
				Expect(after).To(HaveJSON("canceled_at", nil))
			})

		It("gives the same answer to a cancel of every processing intent (the choice to allow it must be consistent)",
			At("cancel.processing-consistent", "processing", "cancel", "cancel"), Long, func(ctx SpecContext) {
				first := drivers.Reach(ctx, s, "processing", nil)
				second := drivers.Reach(ctx, s, "processing", nil)
				r1 := s.CancelIntent(ctx, first.ID, nil)
				r2 := s.CancelIntent(ctx, second.ID, nil)
				for _, r := range []*framework.Resp{r1, r2} {
					if settledBeforeCancel(r) {
						framework.SkipTiming("a debit settled before its cancel arrived (its refusal shows it succeeded), so the two answers are not comparable")
					}
				}
				Expect(r2.Status).To(Equal(r1.Status), "two processing intents got different answers:\nfirst: %s\nsecond: %s",
					r1.Exchange.Summary(400), r2.Exchange.Summary(400))
				Expect(r2.Str("status")).To(Equal(r1.Str("status")))
			})
	})
})

// settledBeforeCancel: a refusal whose own error.payment_intent shows the debit succeeded (it settled before the
// cancel arrived). The refusal itself, not a later read, decides: a later read cannot tell when it settled.
func settledBeforeCancel(r *framework.Resp) bool {
	return r.Status != 200 && r.Str("error.payment_intent.status") == "succeeded"
}

// expectProcessingRefusal judges a refused cancel of a processing intent. Its shape comes first: a 400
// invalid_request_error; its code is UNCONFIRMED (no recorded refusal exists), so any code is accepted and reported.
// Only when the refusal's own error.payment_intent shows the debit had settled is the clause not exercised.
func expectProcessingRefusal(r *framework.Resp, id string) {
	GinkgoHelper()
	Expect(r).To(BeStripeError(400, "invalid_request_error", ""))
	AddReportEntry("processing refusal code", Show(r.Get("error.code")), ReportEntryVisibilityFailureOrVerbose) // Show bounds what the target sent
	if r.Get("error.payment_intent") == nil {
		return
	}
	Expect(r).To(HaveJSON("error.payment_intent.id", id), "error.payment_intent names the intent")
	if settledBeforeCancel(r) {
		framework.SkipTiming("the debit settled before the cancel arrived (the refusal shows it succeeded), so cancel from processing was not exercised")
	}
	Expect(r).To(HaveJSON("error.payment_intent.status", "processing"), "the refusal shows the intent still processing")
}
