package cancel

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/framework"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/matchers"
)

// The reach column: one check per starting status. Every other spec that starts from a status the target cannot be
// brought into is reported blocked (not run, not applicable), so one unreachable status is one failure here rather
// than a failure in every column of its row.
var _ = Describe("The status drivers", func() {
	var s *framework.Session
	BeforeEach(func() { s = f.NewSession() })

	for _, status := range labels.Statuses {
		if status == "any" {
			continue
		}
		r := drivers.Recipes[status]
		It(fmt.Sprintf("bring a fresh PaymentIntent into %s with Stripe's test-mode recipe (%s)", status, r.Source),
			At("reach."+status, status, "create", "reach"), func(ctx SpecContext) {
				in, p := drivers.Attempt(ctx, s, status, nil)
				if p != nil {
					Fail(p.Why + matchers.ExchangeBlock(p.Resp.Exchange))
				}
				Expect(in.ID).NotTo(BeEmpty())
			})
	}
})
