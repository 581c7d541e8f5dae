package cancel

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

var _ = Describe("Idempotent cancel", func() {
	var s *framework.Session
	BeforeEach(func() {
		s = f.NewSession()
		f.Require("idempotency")
	})

	It("replays the first 200 and its body when a cancel is repeated with the same Idempotency-Key, instead of refusing a second cancel",
		At("idempotency.replay", "requires_payment_method", "cancel", "idempotency"), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			key := framework.WithIdempotencyKey("conf-" + f.RunID + "-replay-" + in.ID)
			params := client.Params{"cancellation_reason": {"duplicate"}}
			first := s.MustCancelIntent(ctx, in.ID, "requires_payment_method", params, key)

			second := s.CancelIntent(ctx, in.ID, params, key)
			Expect(second).To(HaveStatus(200), "a replay returns the stored response, not payment_intent_unexpected_state")
			Expect(second).To(HaveSameBodyAs(first), "a replay returns the stored body")
			if v := second.Header.Get("Idempotent-Replayed"); v != "" {
				Expect(v).To(Equal("true"), "Idempotent-Replayed, when sent, marks the replay")
			}
		})

	It("refuses the same Idempotency-Key with different parameters with 400 idempotency_error",
		At("idempotency.mismatch", "requires_payment_method", "cancel", "idempotency"), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			key := framework.WithIdempotencyKey("conf-" + f.RunID + "-mismatch-" + in.ID)
			s.MustCancelIntent(ctx, in.ID, "requires_payment_method", client.Params{"cancellation_reason": {"duplicate"}}, key)
			before := s.MustRetrieveIntent(ctx, in.ID)

			second := s.CancelIntent(ctx, in.ID, client.Params{"cancellation_reason": {"fraudulent"}}, key)
			Expect(second).To(BeStripeError(400, "idempotency_error", ""))

			after := s.RetrieveIntent(ctx, in.ID, nil)
			expectKept(after, before, "the refused request", "cancellation_reason", "status", "canceled_at")
		})
})
