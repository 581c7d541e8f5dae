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

// Every response any spec receives is validated by the session (framework.Session.Do) against the pinned Stripe
// document, plus the fields Stripe always sends; a violation fails the spec that received it. The specs below make
// that clause a column of its own: they collect every kind of response around a cancel and assert nothing else.
var _ = Describe("Every cancel response conforms to Stripe's OpenAPI schema:", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	for _, status := range cancelable {
		It(fmt.Sprintf("the canceled intent returned by a cancel from %s, and by a later GET, conform to the payment_intent schema and carry every field Stripe always sends", status),
			L(status, "cancel", "schema"), timeout(), func(ctx SpecContext) {
				in := drivers.Reach(ctx, s, status, nil)
				Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"cancellation_reason": {"requested_by_customer"}})).To(HaveStatus(200))
				Expect(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)).To(HaveStatus(200))
			})
	}

	It("the payment_intent_unexpected_state error for a refused cancel conforms to the error schema, including error.payment_intent when it is sent",
		L("succeeded", "cancel", "schema"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "succeeded", nil)
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)).To(HaveStatus(400))
		})

	It("the expanded latest_charge of a cancel from requires_capture conforms to the charge schema",
		L("requires_capture", "cancel", "schema"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"expand[]": {"latest_charge"}})
			Expect(r).To(HaveStatus(200))
			Expect(r).To(HaveJSON("latest_charge.object", "charge"))
		})

	It("the answers to a cancel of an unknown intent, a cancel without an API key and a cancel with an invalid reason conform to the schema (the error schema for an error status)",
		L("any", "cancel", "schema"), timeout(), func(ctx SpecContext) {
			// Which status each answer has is the errors and reason columns' business; here every answer, whatever
			// its status, is validated by the session against the schema the document declares for that status.
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			s.Post(ctx, "/v1/payment_intents/pi_conformanceMissing/cancel", nil)
			s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil, framework.WithAuth(""))
			s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"cancellation_reason": {"bogus"}})
		})

	It("every answer around a cancel (create, cancel, refused cancel, unknown intent, missing key) carries a Request-Id header, as Stripe's do",
		L("any", "cancel", "schema"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			Expect(in.Created).To(HaveHeader("Request-Id"))
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)).To(HaveHeader("Request-Id"))
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)).To(HaveHeader("Request-Id"))
			Expect(s.Post(ctx, "/v1/payment_intents/pi_conformanceMissing/cancel", nil)).To(HaveHeader("Request-Id"))
			Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil, framework.WithAuth(""))).To(HaveHeader("Request-Id"))
		})
})
