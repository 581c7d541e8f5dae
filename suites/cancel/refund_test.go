package cancel

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// authorized reaches requires_capture and returns the intent with its charge: the starting point of every release
// clause (a target that does not name the charge blocks the spec; the schema checks judge the create answer).
func authorized(ctx SpecContext, s *framework.Session) (drivers.Intent, string) {
	GinkgoHelper()
	in := drivers.Reach(ctx, s, "requires_capture", nil)
	chargeID := in.Created.Str("latest_charge")
	if chargeID == "" {
		framework.Blocked("requires_capture", "read the authorized intent's latest_charge", "the confirmed intent names no latest_charge", in.Created)
	}
	return in, chargeID
}

// refundsOf lists the refunds of an intent and requires a non-empty list (the release created them).
func refundsOf(ctx SpecContext, s *framework.Session, id string) (*framework.Resp, []any) {
	GinkgoHelper()
	list := s.ListRefunds(ctx, client.Params{"payment_intent": {id}, "limit": {"100"}})
	Expect(list).To(HaveStatus(200))
	Expect(list).To(HaveJSON("object", "list"))
	Expect(list).To(HaveJSON("data", And(BeAJSONList(), Not(BeEmpty()))), "cancel from requires_capture must refund the authorization")
	data, _ := list.Get("data").([]any)
	return list, data
}

var _ = Describe("Cancel from requires_capture releases the authorization", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	It("leaves amount_capturable 0 and the latest charge uncaptured and fully refunded (captured=false, refunded=true, amount_refunded = the authorized amount)",
		At("refund.charge-released", "requires_capture", "retrieve_charge", "refund"), func(ctx SpecContext) {
			in, chargeID := authorized(ctx, s)
			Expect(in.Created).To(HaveJSON("amount_capturable", in.Amount), "set-up: the authorization holds the full amount")

			r := s.MustCancelIntent(ctx, in.ID, "requires_capture", nil)
			Expect(r).To(HaveJSON("amount_capturable", 0))
			Expect(r).To(HaveJSON("amount_received", 0))
			Expect(r).To(HaveJSON("latest_charge", chargeID), "cancel keeps the same latest charge")

			ch := s.RetrieveCharge(ctx, chargeID, nil)
			Expect(ch).To(HaveStatus(200))
			Expect(ch).To(HaveJSON("payment_intent", in.ID))
			Expect(ch).To(HaveJSON("captured", false))
			Expect(ch).To(HaveJSON("refunded", true))
			Expect(ch).To(HaveJSON("amount_refunded", in.Amount))
			Expect(ch).To(HaveJSON("amount_captured", 0))
		})

	It("leaves the voided charge succeeded and paid (a released authorization is not a failed payment), as Stripe's recorded test-mode void shows (contract §4, S15)",
		At("refund.charge-still-succeeded", "requires_capture", "retrieve_charge", "refund"), func(ctx SpecContext) {
			in, chargeID := authorized(ctx, s)
			s.MustCancelIntent(ctx, in.ID, "requires_capture", nil)

			ch := s.RetrieveCharge(ctx, chargeID, nil)
			Expect(ch).To(HaveStatus(200))
			Expect(ch).To(HaveJSON("status", "succeeded"))
			Expect(ch).To(HaveJSON("paid", true))
		})

	It("creates succeeded refunds for the intent that add up to the authorized amount",
		At("refund.refunds-add-up", "requires_capture", "list_refunds", "refund"), func(ctx SpecContext) {
			f.Require("refund_objects")
			in, chargeID := authorized(ctx, s)
			s.MustCancelIntent(ctx, in.ID, "requires_capture", client.Params{"cancellation_reason": {"requested_by_customer"}})

			list, data := refundsOf(ctx, s, in.ID)
			var sum int64
			for i := range data {
				at := func(field string) string { return fmt.Sprintf("data.%d.%s", i, field) }
				Expect(list).To(HaveJSON(at("status"), "succeeded"))
				Expect(list).To(HaveJSON(at("payment_intent"), in.ID))
				Expect(list).To(HaveJSON(at("charge"), chargeID))
				Expect(list).To(HaveJSON(at("currency"), in.Currency))
				Expect(list).To(HaveJSON(at("amount"), BeNumerically(">", 0)))
				amount, _ := list.Int(at("amount"))
				sum += amount

				one := s.RetrieveRefund(ctx, list.Str(at("id")))
				Expect(one).To(HaveStatus(200))
				Expect(one).To(HaveJSON("amount", amount))
			}
			Expect(sum).To(Equal(in.Amount), "refunds must add up to the authorized amount\n%s", list.Exchange.Summary(BodyExcerpt))
		})

	// UNCONFIRMED (contract §4): one recording (2019) shows the refund of a void carrying reason=requested_by_customer
	// after a cancel with that reason; nothing shows whether Stripe always copies it. Both it and null are accepted;
	// any other reason is not.
	It("gives the refund reason requested_by_customer or null after a cancel with cancellation_reason=requested_by_customer, and never another reason (UNCONFIRMED which)",
		At("refund.refund-reason", "requires_capture", "list_refunds", "refund"), func(ctx SpecContext) {
			f.Require("refund_objects")
			in, _ := authorized(ctx, s)
			s.MustCancelIntent(ctx, in.ID, "requires_capture", client.Params{"cancellation_reason": {"requested_by_customer"}})
			list, data := refundsOf(ctx, s, in.ID)
			for i := range data {
				Expect(list).To(HaveJSON(fmt.Sprintf("data.%d.reason", i), Or(BeNil(), Equal("requested_by_customer"))))
			}
		})

	It("returns the full charge, uncaptured and refunded, when the cancel asks for expand[]=latest_charge",
		At("refund.expanded-charge", "requires_capture", "cancel", "refund"), func(ctx SpecContext) {
			in, chargeID := authorized(ctx, s)
			r := s.CancelIntent(ctx, in.ID, client.Params{"expand[]": {"latest_charge"}})
			if r.Status != 200 {
				// The cancel column judges a refused cancel; here the release cannot be observed.
				framework.Blocked("requires_capture", "cancel a PaymentIntent in requires_capture (with expand[]=latest_charge)", "the target refused the cancel", r)
			}
			Expect(r).To(HaveJSON("status", "canceled"))
			Expect(r).To(HaveJSON("latest_charge.object", "charge"), "latest_charge is expanded to a Charge object")
			Expect(r).To(HaveJSON("latest_charge.id", chargeID))
			Expect(r).To(HaveJSON("latest_charge.captured", false))
			Expect(r).To(HaveJSON("latest_charge.refunded", true))
			Expect(r).To(HaveJSON("latest_charge.amount_refunded", in.Amount))
		})

	It("does not refund anything when the intent was never authorized (cancel from requires_payment_method has no charge to release)",
		At("refund.none-without-charge", "requires_payment_method", "list_refunds", "refund"), func(ctx SpecContext) {
			f.Require("refund_objects")
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			r := s.MustCancelIntent(ctx, in.ID, "requires_payment_method", nil)
			Expect(r).To(HaveJSON("latest_charge", nil))
			list := s.ListRefunds(ctx, client.Params{"payment_intent": {in.ID}})
			Expect(list).To(HaveStatus(200))
			Expect(list).To(HaveJSON("data", And(BeAJSONList(), BeEmpty())), "no refund for an intent that never had a charge")
		})
})
