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
		L("requires_payment_method", "cancel", "idempotency"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			key := "conf-" + f.RunID + "-replay-" + in.ID
			params := client.Params{"cancellation_reason": {"duplicate"}}
			first := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", params, framework.WithIdempotencyKey(key))
			Expect(first).To(HaveStatus(200))
			Expect(first).To(HaveJSON("status", "canceled"))

			second := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", params, framework.WithIdempotencyKey(key))
			Expect(second).To(HaveStatus(200), "a replay returns the stored response, not payment_intent_unexpected_state")
			Expect(second).To(HaveSameBodyAs(first), "a replay returns the stored body")
			if v := second.Header.Get("Idempotent-Replayed"); v != "" {
				Expect(v).To(Equal("true"), "Idempotent-Replayed, when sent, marks the replay")
			}
		})

	It("refuses the same Idempotency-Key with different parameters with 400 idempotency_error",
		L("requires_payment_method", "cancel", "idempotency"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			key := "conf-" + f.RunID + "-mismatch-" + in.ID
			first := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"cancellation_reason": {"duplicate"}}, framework.WithIdempotencyKey(key))
			Expect(first).To(HaveStatus(200))

			second := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"cancellation_reason": {"fraudulent"}}, framework.WithIdempotencyKey(key))
			Expect(second).To(BeStripeError(400, "idempotency_error", ""))

			after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
			Expect(after).To(HaveJSON("cancellation_reason", "duplicate"), "the refused request must not change the intent")
		})
})
