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
	{op: "increment_authorization", what: "increment_authorization", path: "/increment_authorization", params: client.Params{"amount": {"3000"}}, capability: "increment_authorization"},
	{op: "cancel", what: "a second cancel (with a fresh idempotency key)", path: "/cancel", code: "payment_intent_unexpected_state"},
}

func afterCancelEntries() []TableEntry {
	var out []TableEntry
	for _, status := range cancelable {
		for _, op := range afterCancelOps {
			out = append(out, Entry(nil, L(status, op.op, "post-cancel"), timeout(), status, op))
		}
	}
	return out
}

var _ = Describe("After a cancel", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	DescribeTable("every state-changing operation fails:",
		func(ctx SpecContext, status string, op afterCancelOp) {
			if op.capability != "" {
				f.Require(op.capability)
			}
			in := drivers.Reach(ctx, s, status, nil)
			c := s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)
			Expect(c).To(HaveStatus(200))
			Expect(c).To(HaveJSON("status", "canceled"))

			r := s.Post(ctx, "/v1/payment_intents/"+in.ID+op.path, op.params)
			if op.code != "" {
				expectUnexpectedState(r, in.ID, "canceled")
			} else {
				Expect(r).To(BeClientError("invalid_request_error"))
			}

			after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
			Expect(after).To(HaveStatus(200))
			Expect(after).To(HaveJSON("status", "canceled"))
			Expect(after).To(HaveJSON("amount", in.Amount))
			Expect(after).To(HaveJSON("amount_capturable", 0))
			Expect(after).To(HaveJSON("amount_received", 0))
		},
		func(status string, op afterCancelOp) string {
			if op.code != "" {
				return fmt.Sprintf("from %s, %s fails with 400 %s and the intent stays canceled", status, op.what, op.code)
			}
			return fmt.Sprintf("from %s, %s fails with a 4xx Stripe error and the intent stays canceled", status, op.what)
		},
		afterCancelEntries(),
	)

	for _, status := range cancelable {
		It(fmt.Sprintf("from %s, a metadata-only update is either accepted or refused with payment_intent_unexpected_state (UNCONFIRMED which), and never changes the status", status),
			L(status, "update", "post-cancel"), timeout(), func(ctx SpecContext) {
				in := drivers.Reach(ctx, s, status, nil)
				Expect(s.Post(ctx, "/v1/payment_intents/"+in.ID+"/cancel", nil)).To(HaveStatus(200))

				r := s.Post(ctx, "/v1/payment_intents/"+in.ID, client.Params{"metadata[conformance_note]": {"after-cancel"}})
				after := s.Get(ctx, "/v1/payment_intents/"+in.ID, nil)
				Expect(after).To(HaveStatus(200))
				Expect(after).To(HaveJSON("status", "canceled"))
				if r.Status == 200 {
					Expect(r).To(HaveJSON("status", "canceled"))
					Expect(after).To(HaveJSON("metadata.conformance_note", "after-cancel"), "an accepted update must persist")
				} else {
					expectUnexpectedState(r, in.ID, "canceled")
					Expect(after.Get("metadata.conformance_note")).To(BeNil(), "a refused update must not persist")
				}
			})
	}
})
