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
	op         string // label op:*
	what       string // for the spec name
	path       string // suffix after /v1/payment_intents/{id}
	params     client.Params
	capability string
	// code is the error.code asserted; "" accepts any 4xx invalid_request_error (the contract marks the code UNCONFIRMED).
	code string
}

var afterCancelOps = []afterCancelOp{
	{op: "confirm", what: "confirm with a payment method", path: "/confirm", params: client.Params{"payment_method": {drivers.PMVisa}}},
	{op: "confirm", what: "confirm without parameters", path: "/confirm"},
	{op: "capture", what: "capture", path: "/capture", code: "payment_intent_unexpected_state"},
	{op: "update", what: "an amount update", path: "", params: client.Params{"amount": {"3000"}}, code: "payment_intent_unexpected_state"},
	// The capability increment_authorization is about successful increments; refusing one after cancel is for every target.
	{op: "increment_authorization", what: "increment_authorization", path: "/increment_authorization", params: client.Params{"amount": {"3000"}}},
	{op: "cancel", what: "a second cancel (with a fresh idempotency key)", path: "/cancel", code: "payment_intent_unexpected_state"},
}

func afterCancelEntries() []TableEntry {
	var out []TableEntry
	for _, status := range afterCancelStatuses {
		for _, op := range afterCancelOps {
			out = append(out, Entry(nil, L(status, op.op, "post-cancel"), timeout(), status, op))
		}
	}
	return out
}

// afterCancelStatuses are the statuses a cancel may succeed from: the four cancelable ones, and processing where
// the target allows it (the contract accepts both; where the target refuses, these clauses do not apply).
var afterCancelStatuses = append(append([]string(nil), cancelable...), "processing")

// reachAndCancel brings a fresh intent to status and cancels it. From processing a refusal is conformant, and then
// the spec is skipped with that reason.
func reachAndCancel(ctx SpecContext, s *framework.Session, status string) (drivers.Intent, *framework.Resp) {
	GinkgoHelper()
	in := drivers.Reach(ctx, s, status, nil)
	c := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)
	if status == "processing" && c.Status != 200 {
		expectUnexpectedState(c, in.ID, "processing")
		Skip("the target refuses to cancel a processing intent (conformant); operations after a cancel do not apply")
	}
	Expect(c).To(HaveStatus(200))
	Expect(c).To(HaveJSON("status", "canceled"))
	return in, c
}

// unchangedByRefusal are the fields a refused operation on a canceled intent must leave as the cancel set them.
var unchangedByRefusal = []string{"status", "canceled_at", "cancellation_reason", "amount", "currency", "amount_capturable",
	"amount_received", "latest_charge", "metadata"}

var _ = Describe("After a cancel", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	DescribeTable("every state-changing operation fails:",
		func(ctx SpecContext, status string, op afterCancelOp) {
			if op.capability != "" {
				f.Require(op.capability)
			}
			in, c := reachAndCancel(ctx, s, status)

			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+op.path, op.params)
			if op.code != "" {
				expectUnexpectedState(r, in.ID, "canceled")
			} else {
				Expect(r).To(BeClientError("invalid_request_error"))
			}

			after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
			Expect(after).To(HaveStatus(200))
			Expect(after).To(HaveJSON("amount", in.Amount))
			Expect(after).To(HaveJSON("amount_capturable", 0))
			for _, field := range unchangedByRefusal {
				Expect(after).To(HaveJSON(field, c.Get(field)), "the refused operation must not change %s (as the cancel left it)", field)
			}
		},
		func(status string, op afterCancelOp) string {
			if op.code != "" {
				return fmt.Sprintf("from %s, %s fails with 400 %s and the intent stays canceled", status, op.what, op.code)
			}
			return fmt.Sprintf("from %s, %s fails with a 4xx Stripe error and the intent stays canceled", status, op.what)
		},
		afterCancelEntries(),
	)

	for _, status := range afterCancelStatuses {
		It(fmt.Sprintf("from %s, a metadata-only update is either accepted or refused with a 4xx Stripe error (UNCONFIRMED which), and never changes the status", status),
			L(status, "update", "post-cancel"), timeout(), func(ctx SpecContext) {
				in, _ := reachAndCancel(ctx, s, status)

				r := s.Post(ctx, "/v1/payment_intents/"+in.ID, client.Params{"metadata[conformance_note]": {"after-cancel"}})
				after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
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
