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

var _ = Describe("Cancel from requires_capture releases the authorization", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	It("leaves amount_capturable 0 and the latest charge uncaptured and fully refunded (captured=false, refunded=true, amount_refunded = the authorized amount)",
		L("requires_capture", "retrieve_charge", "refund"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			Expect(in.Created).To(HaveJSON("amount_capturable", in.Amount), "setup: the authorization holds the full amount")
			chargeID := in.Created.Str("latest_charge")
			Expect(chargeID).NotTo(BeEmpty(), "setup: a confirmed intent has a latest_charge")

			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)
			Expect(r).To(HaveStatus(200))
			Expect(r).To(HaveJSON("amount_capturable", 0))
			Expect(r).To(HaveJSON("amount_received", 0))
			Expect(r).To(HaveJSON("latest_charge", chargeID), "cancel keeps the same latest charge")

			ch := s.Get(ctx, "/v1/charges/"+chargeID, nil)
			Expect(ch).To(HaveStatus(200))
			Expect(ch).To(HaveJSON("payment_intent", in.ID))
			Expect(ch).To(HaveJSON("captured", false))
			Expect(ch).To(HaveJSON("refunded", true))
			Expect(ch).To(HaveJSON("amount_refunded", in.Amount))
			Expect(ch).To(HaveJSON("amount_captured", 0))
		})

	It("leaves the voided charge succeeded and paid (a released authorization is not a failed payment), as Stripe's recorded test-mode void shows (contract §4, S15)",
		L("requires_capture", "retrieve_charge", "refund"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			chargeID := in.Created.Str("latest_charge")
			Expect(chargeID).NotTo(BeEmpty(), "setup: a confirmed intent has a latest_charge")
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)).To(HaveStatus(200))

			ch := s.Get(ctx, "/v1/charges/"+chargeID, nil)
			Expect(ch).To(HaveStatus(200))
			Expect(ch).To(HaveJSON("status", "succeeded"))
			Expect(ch).To(HaveJSON("paid", true))
		})

	It("creates succeeded refunds for the intent that add up to the authorized amount",
		L("requires_capture", "list_refunds", "refund"), timeout(), func(ctx SpecContext) {
			f.Require("refund_objects")
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			chargeID := in.Created.Str("latest_charge")
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"cancellation_reason": {"requested_by_customer"}})).To(HaveStatus(200))

			list := s.Get(ctx, "/v1/refunds", client.Params{"payment_intent": {in.ID}, "limit": {"100"}})
			Expect(list).To(HaveStatus(200))
			Expect(list).To(HaveJSON("object", "list"))
			data, _ := list.Get("data").([]any)
			Expect(list).To(HaveJSONSatisfying("data", "not empty", func(any) string {
				if len(data) == 0 {
					return "no refund: cancel from requires_capture must refund the authorization"
				}
				return ""
			}))
			var sum int64
			for i := range data {
				at := func(field string) string { return fmt.Sprintf("data.%d.%s", i, field) }
				Expect(list).To(HaveJSON(at("status"), "succeeded"))
				Expect(list).To(HaveJSON(at("payment_intent"), in.ID))
				Expect(list).To(HaveJSON(at("charge"), chargeID))
				Expect(list).To(HaveJSON(at("currency"), in.Currency))
				amount, ok := list.Int(at("amount"))
				Expect(list).To(HaveJSONSatisfying(at("amount"), "an integer", func(any) string {
					if !ok {
						return "not an integer"
					}
					return ""
				}))
				sum += amount

				one := s.Get(ctx, "/v1/refunds/"+list.Str(at("id")), nil)
				Expect(one).To(HaveStatus(200))
				Expect(one).To(HaveJSON("amount", amount))
			}
			Expect(sum).To(Equal(in.Amount), "refunds must add up to the authorized amount\n%s", list.Exchange.Summary(BodyExcerpt))
		})

	It("copies cancellation_reason=requested_by_customer to the refund, as Stripe's recorded test-mode void shows (contract §4, S15)",
		L("requires_capture", "list_refunds", "refund"), timeout(), func(ctx SpecContext) {
			f.Require("refund_objects")
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"cancellation_reason": {"requested_by_customer"}})).To(HaveStatus(200))
			list := s.Get(ctx, "/v1/refunds", client.Params{"payment_intent": {in.ID}, "limit": {"100"}})
			Expect(list).To(HaveStatus(200))
			data, _ := list.Get("data").([]any)
			Expect(list).To(HaveJSONSatisfying("data", "not empty", func(any) string {
				if len(data) == 0 {
					return "no refund"
				}
				return ""
			}))
			for i := range data {
				Expect(list).To(HaveJSON(fmt.Sprintf("data.%d.reason", i), "requested_by_customer"))
			}
		})

	It("returns the full charge, uncaptured and refunded, when the cancel asks for expand[]=latest_charge",
		L("requires_capture", "cancel", "refund"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			chargeID := in.Created.Str("latest_charge")
			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"expand[]": {"latest_charge"}})
			Expect(r).To(HaveStatus(200))
			Expect(r).To(HaveJSON("status", "canceled"))
			Expect(r).To(HaveJSON("latest_charge.object", "charge"), "latest_charge is expanded to a Charge object")
			Expect(r).To(HaveJSON("latest_charge.id", chargeID))
			Expect(r).To(HaveJSON("latest_charge.captured", false))
			Expect(r).To(HaveJSON("latest_charge.refunded", true))
			Expect(r).To(HaveJSON("latest_charge.amount_refunded", in.Amount))
		})

	It("does not refund anything when the intent was never authorized (cancel from requires_payment_method has no charge to release)",
		L("requires_payment_method", "list_refunds", "refund"), timeout(), func(ctx SpecContext) {
			f.Require("refund_objects")
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)
			Expect(r).To(HaveStatus(200))
			Expect(r).To(HaveJSON("latest_charge", nil))
			list := s.Get(ctx, "/v1/refunds", client.Params{"payment_intent": {in.ID}})
			Expect(list).To(HaveStatus(200))
			Expect(list).To(HaveJSONSatisfying("data", "empty: no refund for an intent that never had a charge", func(v any) string {
				if d, _ := v.([]any); len(d) > 0 {
					return "a refund was created"
				}
				return ""
			}))
		})
})
