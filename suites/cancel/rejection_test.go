package cancel

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// expectUnexpectedState asserts Stripe's state error; error.payment_intent is optional (the spec does not require
// it), but when present it must show the intent's current status. Its schema is validated with the whole body.
func expectUnexpectedState(r *framework.Resp, id, currentStatus string) {
	GinkgoHelper()
	Expect(r).To(BeStripeError(400, "invalid_request_error", "payment_intent_unexpected_state"))
	if r.Get("error.payment_intent") != nil {
		Expect(r).To(HaveJSON("error.payment_intent.id", id), "error.payment_intent names the intent")
		Expect(r).To(HaveJSON("error.payment_intent.status", currentStatus), "error.payment_intent shows the current status")
	}
}

var _ = Describe("Cancel", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	DescribeTable("from a final status",
		func(ctx SpecContext, status string) {
			in := drivers.Reach(ctx, s, status, nil)
			before := s.MustRetrieveIntent(ctx, in.ID)

			r := s.CancelIntent(ctx, in.ID, nil)
			expectUnexpectedState(r, in.ID, status)

			after := s.RetrieveIntent(ctx, in.ID, nil)
			Expect(after).To(HaveStatus(200))
			expectKept(after, before, "the refused cancel", "status", "canceled_at", "cancellation_reason", "amount", "amount_received", "amount_capturable", "latest_charge")
		},
		func(status string) string {
			return fmt.Sprintf("is refused for an intent in %s with 400 invalid_request_error code payment_intent_unexpected_state, and leaves it %s", status, status)
		},
		statusEntries("rejection.from", []string{"succeeded", "canceled"}, "cancel", "rejection"),
	)
})
