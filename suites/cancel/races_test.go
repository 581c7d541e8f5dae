package cancel

import (
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// concurrently runs fns at the same time and returns their responses in order.
func concurrently(fns ...func() *framework.Resp) []*framework.Resp {
	out := make([]*framework.Resp, len(fns))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer GinkgoRecover() // runs first: the failure is recorded before wg.Wait returns
			<-start
			out[i] = fn()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

var _ = Describe("Concurrent cancels", func() {
	var s *framework.Session
	BeforeEach(func() {
		s = f.NewSession()
		f.Require("races")
	})

	It("lets exactly one of several concurrent cancels of one intent succeed; the others get payment_intent_unexpected_state",
		L("requires_payment_method", "cancel", "races"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			const n = 5
			fns := make([]func() *framework.Resp, n)
			for i := range fns {
				fns[i] = func() *framework.Resp { return s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil) }
			}
			rs := concurrently(fns...)
			wins := 0
			for _, r := range rs {
				Expect(r).NotTo(BeNil())
				if r.Status == 200 {
					wins++
					Expect(r).To(HaveJSON("status", "canceled"))
					continue
				}
				expectUnexpectedState(r, in.ID, "canceled")
			}
			Expect(wins).To(Equal(1), "exactly one cancel may win")
			Expect(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)).To(HaveJSON("status", "canceled"))
		})

	It("lets exactly one of a cancel and a capture racing on a requires_capture intent win, and the final state matches the winner",
		L("requires_capture", "capture", "races"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			rs := concurrently(
				func() *framework.Resp { return s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil) },
				func() *framework.Resp { return s.Post(ctx, "/v1/payment_intents/"+in.ID+"/capture", nil) },
			)
			cancelR, captureR := rs[0], rs[1]
			Expect(cancelR).NotTo(BeNil())
			Expect(captureR).NotTo(BeNil())
			Expect([]int{cancelR.Status, captureR.Status}).To(ConsistOf(200, 400), "exactly one of cancel and capture wins:\ncancel: %s\ncapture: %s",
				cancelR.Exchange.Summary(400), captureR.Exchange.Summary(400))

			after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
			Expect(after).To(HaveStatus(200))
			if cancelR.Status == 200 {
				expectUnexpectedState(captureR, in.ID, "canceled")
				Expect(after).To(HaveJSON("status", "canceled"))
				Expect(after).To(HaveJSON("amount_received", 0))
			} else {
				expectUnexpectedState(cancelR, in.ID, "succeeded")
				Expect(after).To(HaveJSON("status", "succeeded"))
				Expect(after).To(HaveJSON("amount_received", in.Amount))
			}
			Expect(after).To(HaveJSON("amount_capturable", 0))
		})
})
