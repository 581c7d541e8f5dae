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
// document, plus the fields Stripe always sends. Outside this column a violation does not fail the spec that
// received it: the reports group every violation of the run by operation and object type into schema checks of
// their own, and the run fails. The specs below fail on a violation themselves, so a run filtered to this column
// still gets a schema verdict: they collect every kind of response around a cancel and assert little else.
var _ = Describe("Every cancel response conforms to Stripe's OpenAPI schema:", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	for _, status := range cancelable {
		It(fmt.Sprintf("the canceled intent returned by a cancel from %s, and by a later GET, conform to the payment_intent schema and carry every field Stripe always sends", status),
			At("schema.canceled-intent.from-"+status, status, "cancel", "schema"), func(ctx SpecContext) {
				in := drivers.Reach(ctx, s, status, nil)
				s.MustCancelIntent(ctx, in.ID, status, client.Params{"cancellation_reason": {"requested_by_customer"}})
				s.MustRetrieveIntent(ctx, in.ID)
			})
	}

	It("the payment_intent_unexpected_state error for a refused cancel conforms to the error schema, including error.payment_intent when it is sent",
		At("schema.refusal", "succeeded", "cancel", "schema"), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "succeeded", nil)
			if r := s.CancelIntent(ctx, in.ID, nil); r.Status < 400 || r.Status > 499 {
				// The rejection column judges an accepted cancel; here there is no refusal to validate.
				framework.Blocked("succeeded", "have a cancel of a succeeded intent refused", "the target did not refuse it", r)
			}
		})

	It("the expanded latest_charge of a cancel from requires_capture conforms to the charge schema",
		At("schema.expanded-charge", "requires_capture", "cancel", "schema"), func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_capture", nil)
			r := s.MustCancelIntent(ctx, in.ID, "requires_capture", client.Params{"expand[]": {"latest_charge"}})
			if _, expanded := r.Get("latest_charge").(map[string]any); !expanded {
				// The refund column judges an ignored expand[]; here there is no expanded charge to validate.
				framework.Blocked("requires_capture", "have latest_charge expanded", "the cancel answer does not expand latest_charge", r)
			}
		})

	It("the answers to a cancel of an unknown intent, a cancel without an API key and a cancel with an invalid reason conform to the schema (the error schema for an error status)",
		At("schema.error-answers", "any", "cancel", "schema"), Long, func(ctx SpecContext) {
			// Which status each answer has is the errors and reason columns' business; here every answer, whatever
			// its status, is validated by the session against the schema the document declares for that status.
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			s.CancelIntent(ctx, "pi_conformanceMissing", nil)
			s.CancelIntent(ctx, in.ID, nil, framework.WithAuth(""))
			s.CancelIntent(ctx, in.ID, client.Params{"cancellation_reason": {"bogus"}})
		})

	// Stripe's recorded 401 answers for a missing or invalid key carry no request id (evidence notes, 2016-2020), so
	// the unauthenticated answer is not held to it.
	It("every authenticated answer around a cancel (create, cancel, refused cancel, unknown intent) carries a Request-Id header, as Stripe's do",
		At("schema.request-id", "any", "cancel", "schema"), Long, func(ctx SpecContext) {
			in := drivers.Reach(ctx, s, "requires_payment_method", nil)
			Expect(in.Created).To(HaveHeader("Request-Id"))
			Expect(s.CancelIntent(ctx, in.ID, nil)).To(HaveHeader("Request-Id"))
			Expect(s.CancelIntent(ctx, in.ID, nil)).To(HaveHeader("Request-Id"))
			Expect(s.CancelIntent(ctx, "pi_conformanceMissing", nil)).To(HaveHeader("Request-Id"))
		})
})
