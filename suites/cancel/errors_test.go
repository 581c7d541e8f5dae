package cancel

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

var _ = Describe("Cancel refuses bad requests with Stripe's errors:", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	It("a cancel of an unknown intent gets 404 resource_missing naming param intent",
		L("any", "cancel", "errors"), timeout(), func(ctx SpecContext) {
			r := s.Post(ctx, "/v1/payment_intents/pi_conformanceDoesNotExist"+f.RunID[len(f.RunID)-6:]+"/cancel", nil)
			Expect(r).To(BeStripeError(404, "invalid_request_error", "resource_missing"))
			Expect(r).To(HaveJSON("error.param", "intent"))
		})

	It("a cancel without an API key gets 401 invalid_request_error and changes nothing",
		L("requires_payment_method", "cancel", "errors"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil, framework.WithAuth(""))
			Expect(r).To(BeStripeError(401, "invalid_request_error", ""))
			Expect(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)).To(HaveJSON("status", "requires_payment_method"))
		})

	It("a cancel with a malformed API key gets 401 invalid_request_error and changes nothing",
		L("requires_payment_method", "cancel", "errors"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil, framework.WithAuth("not-a-stripe-key"))
			Expect(r).To(BeStripeError(401, "invalid_request_error", ""))
			Expect(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)).To(HaveJSON("status", "requires_payment_method"))
		})

	It("a cancel with an unknown parameter gets 400 parameter_unknown naming it, and changes nothing",
		L("requires_payment_method", "cancel", "errors"), timeout(), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", client.Params{"conformance_unknown": {"1"}})
			Expect(r).To(BeStripeError(400, "invalid_request_error", "parameter_unknown"))
			Expect(r).To(HaveJSON("error.param", "conformance_unknown"))
			Expect(s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)).To(HaveJSON("status", "requires_payment_method"))
		})

	It("a cancel of the PaymentIntent of a Checkout Session (expire the session instead) gets 400 invalid_request_error and leaves it unchanged",
		L("requires_payment_method", "checkout_session", "errors"), timeout(), func(ctx SpecContext) {
			f.Require("checkout_sessions")
			cs := s.Post(ctx, "/v1/checkout/sessions", client.Params{
				"mode":                                          {"payment"},
				"success_url":                                   {"https://example.com/success"},
				"line_items[0][quantity]":                       {"1"},
				"line_items[0][price_data][currency]":           {drivers.Currency},
				"line_items[0][price_data][unit_amount]":        {"2000"},
				"line_items[0][price_data][product_data][name]": {"Conformance"},
				"payment_intent_data[metadata][" + framework.RunMetadataKey + "]": {f.RunID},
				"metadata[" + framework.RunMetadataKey + "]":                      {f.RunID},
			})
			Expect(cs).To(HaveStatus(200))
			DeferCleanup(func(ctx SpecContext) { s.Post(ctx, "/v1/checkout/sessions/"+cs.ID()+"/expire", nil) })
			pi := cs.Str("payment_intent")
			Expect(pi).NotTo(BeEmpty(), "setup: the session's PaymentIntent exists\n%s", cs.Exchange.Summary(BodyExcerpt))
			s.Track(pi)
			before := s.Get(ctx, "/v1/payment_intents/"+pi, nil)
			Expect(before).To(HaveStatus(200))

			r := s.Post(ctx, "/v1/payment_intents/"+pi+"/cancel", nil)
			// The error code for this refusal is UNCONFIRMED (contract §7): status and type are asserted.
			Expect(r).To(BeStripeError(400, "invalid_request_error", ""))
			Expect(s.Get(ctx, "/v1/payment_intents/"+pi, nil)).To(HaveJSON("status", before.Get("status")))
		})
})
