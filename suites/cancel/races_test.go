package cancel

import (
	"fmt"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// concurrently runs fns at the same time and returns their responses in order. The requests must be sent with one
// framework.Racing(len(fns)), so that they take their rate-limit tokens together and leave at once. If no two of them
// were in flight at the same time, the race was not exercised and the spec is skipped with that reason rather than
// passed.
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
	if !overlapped(out) {
		framework.SkipTiming("the concurrent requests were not in flight at the same time, so the race was not exercised")
	}
	return out
}

// overlapped reports whether at least two of the exchanges were in flight at the same time.
func overlapped(rs []*framework.Resp) bool {
	for i, a := range rs {
		for _, b := range rs[i+1:] {
			if a == nil || b == nil || a.Exchange == nil || b.Exchange == nil {
				continue
			}
			aEnd := a.Exchange.Started.Add(a.Exchange.Duration)
			bEnd := b.Exchange.Started.Add(b.Exchange.Duration)
			if a.Exchange.Started.Before(bEnd) && b.Exchange.Started.Before(aEnd) {
				return true
			}
		}
	}
	return false
}

// summaries renders every exchange, for failure messages about a set of concurrent responses.
func summaries(rs []*framework.Resp) string {
	var b strings.Builder
	for i, r := range rs {
		if r != nil && r.Exchange != nil {
			fmt.Fprintf(&b, "\n#%d %s", i+1, r.Exchange.Summary(400))
		}
	}
	return b.String()
}

// expectLost judges the answer of a request that lost a race: Stripe's state error, or (documented, and recorded in
// several client libraries' issues) 429 lock_timeout when the object was locked by the winner past the client's
// retries. A 429 rate_limit is the suite's own fault, never accepted.
func expectLost(r *framework.Resp, id, currentStatus string) {
	GinkgoHelper()
	if r.Status == 429 && r.Str("error.code") == "lock_timeout" {
		Expect(r).To(BeStripeError(429, "", "lock_timeout"))
		return
	}
	expectUnexpectedState(r, id, currentStatus)
}

// refusedAsStarted: every answer refused the request as not allowed from the status the intent started in (and
// still has): the target does not allow the operation from that status at all, so there was no race.
func refusedAsStarted(rs []*framework.Resp, status string) bool {
	for _, r := range rs {
		if r == nil || r.Status != 400 || r.Str("error.code") != "payment_intent_unexpected_state" || r.Str("error.payment_intent.status") != status {
			return false
		}
	}
	return true
}

var _ = Describe("Under concurrency, the target", func() {
	var s *framework.Session
	BeforeEach(func() {
		s = f.NewSession()
		f.Require("races")
	})

	It("lets exactly one of five concurrent cancels of one intent succeed; the others get payment_intent_unexpected_state (or 429 lock_timeout)",
		At("races.five-cancels", "requires_payment_method", "cancel", "races"), Long, func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			const n = 5
			racing := framework.Racing(n)
			fns := make([]func() *framework.Resp, n)
			for i := range fns {
				fns[i] = func() *framework.Resp { return s.CancelIntent(ctx, in.ID, nil, racing) }
			}
			rs := concurrently(fns...)
			if refusedAsStarted(rs, "requires_payment_method") {
				framework.Blocked("requires_payment_method", "cancel a PaymentIntent in requires_payment_method",
					"the target refuses every cancel from this status (the cancel column judges it)", rs[0])
			}
			wins := 0
			for _, r := range rs {
				Expect(r).NotTo(BeNil())
				if r.Status == 200 {
					wins++
					Expect(r).To(HaveJSON("status", "canceled"))
					continue
				}
				expectLost(r, in.ID, "canceled")
			}
			Expect(wins).To(Equal(1), "exactly one cancel may win; the answers:%s", summaries(rs))
			Expect(s.RetrieveIntent(ctx, in.ID, nil)).To(HaveJSON("status", "canceled"))
		})

	It("lets exactly one of a cancel and a capture racing on a requires_capture intent win (the loser gets payment_intent_unexpected_state or 429 lock_timeout), and the final state matches the winner",
		At("races.cancel-vs-capture", "requires_capture", "capture", "races"), Long, func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			racing := framework.Racing(2)
			rs := concurrently(
				func() *framework.Resp { return s.CancelIntent(ctx, in.ID, nil, racing) },
				func() *framework.Resp { return s.CaptureIntent(ctx, in.ID, nil, racing) },
			)
			cancelR, captureR := rs[0], rs[1]
			Expect(cancelR).NotTo(BeNil())
			Expect(captureR).NotTo(BeNil())
			if refusedAsStarted([]*framework.Resp{cancelR}, "requires_capture") {
				framework.Blocked("requires_capture", "cancel a PaymentIntent in requires_capture",
					"the target refused the cancel as not allowed from requires_capture itself (the cancel column judges it)", cancelR)
			}
			wins := 0
			for _, r := range rs {
				if r.Status == 200 {
					wins++
				}
			}
			Expect(wins).To(Equal(1), "exactly one of cancel and capture wins:\ncancel: %s\ncapture: %s",
				cancelR.Exchange.Summary(400), captureR.Exchange.Summary(400))

			after := s.RetrieveIntent(ctx, in.ID, nil)
			Expect(after).To(HaveStatus(200))
			if cancelR.Status == 200 {
				expectLost(captureR, in.ID, "canceled")
				Expect(after).To(HaveJSON("status", "canceled"))
				Expect(after).To(HaveJSON("amount_received", 0))
			} else {
				expectLost(cancelR, in.ID, "succeeded")
				Expect(after).To(HaveJSON("status", "succeeded"))
				Expect(after).To(HaveJSON("amount_received", in.Amount))
			}
		})
})
