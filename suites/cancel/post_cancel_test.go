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

// A state-changing operation attempted on a canceled intent.
type afterCancelOp struct {
	slug   string // id part
	op     framework.IntentOp
	what   string // for the spec name
	params client.Params
	// code is the error.code asserted; "" accepts any 4xx invalid_request_error (the contract marks the code UNCONFIRMED).
	code string
}

var afterCancelOps = []afterCancelOp{
	{slug: "confirm-with-pm", op: framework.OpConfirm, what: "confirm with a payment method", params: client.Params{"payment_method": {drivers.PMVisa}}},
	{slug: "confirm", op: framework.OpConfirm, what: "confirm without parameters"},
	{slug: "capture", op: framework.OpCapture, what: "capture", code: "payment_intent_unexpected_state"},
	{slug: "amount-update", op: framework.OpUpdate, what: "an amount update", params: client.Params{"amount": {"3000"}}, code: "payment_intent_unexpected_state"},
	// Refusing an increment after cancel needs no support for increments: it is for every target.
	{slug: "increment", op: framework.OpIncrement, what: "increment_authorization", params: client.Params{"amount": {"3000"}}},
	{slug: "second-cancel", op: framework.OpCancel, what: "a second cancel (with a fresh idempotency key)", code: "payment_intent_unexpected_state"},
}

// afterCancelStatuses are the statuses a cancel may succeed from: the four cancelable ones, and processing where
// the target allows it (the contract accepts both; where the target refuses, these clauses do not apply).
var afterCancelStatuses = append(append([]string(nil), cancelable...), "processing")

func afterCancelEntries() []TableEntry {
	var out []TableEntry
	for _, status := range afterCancelStatuses {
		for _, op := range afterCancelOps {
			out = append(out, Entry(nil, At("post-cancel."+op.slug+".from-"+status, status, string(op.op), "post-cancel"), status, op))
		}
	}
	return out
}

// reachAndCancel brings a fresh intent to status and cancels it: the starting point of the post-cancel clauses. A
// cancel the target refuses, or that a later read does not show, blocks the spec (the cancel column judges the
// cancel itself); from processing a refusal is conformant, and then these clauses do not apply. It returns the
// intent as stored after the cancel: what every refused operation must leave unchanged.
func reachAndCancel(ctx SpecContext, s *framework.Session, status string) (drivers.Intent, *framework.Resp) {
	GinkgoHelper()
	in := drivers.Reach(ctx, s, status, nil)
	if status == "processing" {
		c := s.CancelIntent(ctx, in.ID, nil)
		if c.Status != 200 {
			Skip("the target refuses to cancel a processing intent (conformant); operations after a cancel do not apply")
		}
	} else {
		s.MustCancelIntent(ctx, in.ID, status, nil)
	}
	stored := s.MustRetrieveIntent(ctx, in.ID)
	if stored.Str("status") != "canceled" {
		framework.Blocked(status, "cancel a PaymentIntent in "+status, "the accepted cancel is not stored: a later read does not show status canceled", stored)
	}
	return in, stored
}

// unchangedByRefusal are the fields a refused operation on a canceled intent must leave as the cancel set them.
var unchangedByRefusal = []string{"status", "canceled_at", "cancellation_reason", "amount", "currency", "amount_capturable",
	"amount_received", "latest_charge", "metadata", "payment_method"}

var _ = Describe("After a cancel", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	DescribeTable("every state-changing operation fails:",
		func(ctx SpecContext, status string, op afterCancelOp) {
			in, c := reachAndCancel(ctx, s, status)

			r := s.Apply(ctx, op.op, in.ID, op.params)
			if op.code != "" {
				expectUnexpectedState(r, in.ID, "canceled")
			} else {
				Expect(r).To(BeClientError("invalid_request_error"))
			}

			after := s.RetrieveIntent(ctx, in.ID, nil)
			Expect(after).To(HaveStatus(200))
			expectKept(after, c, "the refused operation (as the cancel left it)", unchangedByRefusal...)
		},
		func(status string, op afterCancelOp) string {
			if op.code != "" {
				return fmt.Sprintf("from %s, %s fails with 400 %s and the intent stays as the cancel left it", status, op.what, op.code)
			}
			return fmt.Sprintf("from %s, %s fails with a 4xx Stripe error and the intent stays as the cancel left it (payment_method included)", status, op.what)
		},
		afterCancelEntries(),
	)

	for _, status := range afterCancelStatuses {
		It(fmt.Sprintf("from %s, a metadata-only update is either accepted or refused with a 4xx Stripe error (UNCONFIRMED which), and never changes the status", status),
			At("post-cancel.metadata-update.from-"+status, status, "update", "post-cancel"), func(ctx SpecContext) {
				in, _ := reachAndCancel(ctx, s, status)

				r := s.UpdateIntent(ctx, in.ID, client.Params{"metadata[conformance_note]": {"after-cancel"}})
				after := s.RetrieveIntent(ctx, in.ID, nil)
				Expect(after).To(HaveStatus(200))
				Expect(after).To(HaveJSON("status", "canceled"))
				if r.Status == 200 {
					Expect(r).To(HaveJSON("status", "canceled"))
					Expect(after).To(HaveJSON("metadata.conformance_note", "after-cancel"), "an accepted update must persist")
				} else {
					// The refusal's code is UNCONFIRMED (contract §6.3): any 4xx Stripe error.
					Expect(r).To(BeClientError("invalid_request_error"))
					Expect(after).NotTo(HaveJSON("metadata.conformance_note", "after-cancel"), "a refused update must not persist")
				}
			})
	}
})
