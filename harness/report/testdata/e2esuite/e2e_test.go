// Package e2esuite is a small Ginkgo suite that the report package's end-to-end test compiles and runs: its specs
// reach every outcome the way the conformance suite does (framework.Errored, framework.Disabled, failed assertions
// with attached exchanges, panics, timeouts), and its ReportAfterSuite writes the reports with report.WriteAll.
//
// E2E_REPORT_DIR is where the reports go; E2E_FIXED=1 makes every spec pass (the vendor fixed everything).
package e2esuite

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/report"
)

const plantedKey = "sk_test_DISTINCTIVE123456"

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Report e2e (synthetic) suite")
}

var fixed = os.Getenv("E2E_FIXED") == "1"

func L(status, op, check string) Labels {
	return Label(labels.Status(status), labels.Op(op), labels.Check(check))
}

// attach mirrors framework.Session: on failure, the exchanges are attached as JSON.
func attach(ex ...client.Exchange) {
	DeferCleanup(func() {
		if !CurrentSpecReport().Failed() {
			return
		}
		b, err := json.Marshal(ex)
		Expect(err).NotTo(HaveOccurred())
		AddReportEntry(labels.EntryExchanges, string(b), ReportEntryVisibilityNever)
	})
}

func exchange(status int, body string) client.Exchange {
	return client.Exchange{
		Method: "POST", URL: "http://127.0.0.1:12111/v1/payment_intents/pi_e2e/cancel",
		RequestHeader: http.Header{"Authorization": {"Bearer " + plantedKey}, "Stripe-Version": {"2026-08-26.dahlia"}},
		RequestBody:   "cancellation_reason=duplicate", Status: status, ResponseBody: body,
		Started: time.Now(), Duration: 5 * time.Millisecond, Attempts: 1,
	}
}

var _ = Describe("Cancel (e2e) [PaymentIntent]", func() {
	It("cancels from requires_payment_method", L("requires_payment_method", "cancel", "cancel"), func() {})

	It("cancels from requires_payment_method (and a later GET agrees) .* [x] a|b", L("requires_payment_method", "cancel", "cancel"), func() {
		body := `{"error":{"message":"No such key: ` + plantedKey + `"}}`
		attach(exchange(400, body))
		if !fixed {
			Expect(400).To(Equal(200), "cancel answered 400 for key "+plantedKey)
		}
	})

	It("a", L("requires_capture", "cancel", "refund"), func() {
		if !fixed {
			AddReportEntry(labels.EntryOutcome, "errored", ReportEntryVisibilityNever)
			Fail(labels.PrefixErrored + "the target could not be reached or did not answer: connection refused")
		}
	})
	It("a|b", L("requires_capture", "cancel", "refund"), func() {})

	It("refuses from succeeded (panics)", L("succeeded", "cancel", "rejection"), func() {
		if !fixed {
			panic("boom " + plantedKey)
		}
	})

	It("refuses from canceled (times out)", L("canceled", "cancel", "rejection"), SpecTimeout(200*time.Millisecond), func(ctx SpecContext) {
		if !fixed {
			<-ctx.Done()
		}
	})

	It("cancels a processing intent", L("processing", "cancel", "cancel"), func() {
		AddReportEntry(labels.EntryDisabled, "processing", ReportEntryVisibilityNever)
		Skip(fmt.Sprintf("%sprofile %q does not support %q", labels.PrefixDisabled, "stripe-mock", "processing"))
	})

	It("skips by itself", L("any", "cancel", "errors"), func() { Skip("not applicable") })

	PIt("is pending", L("any", "cancel", "schema"), func() {})

	DescribeTable("answers bad input",
		func(code int) {
			if !fixed && code == 404 {
				Expect(code).To(Equal(400))
			}
		},
		Entry("with 400 (param=x)", L("any", "cancel", "errors"), 400),
		Entry("with 404 (param=x)", L("any", "cancel", "errors"), 404),
	)
})

var _ = ReportAfterSuite("e2e report", func(r Report) {
	dir := os.Getenv("E2E_REPORT_DIR")
	if dir == "" {
		return
	}
	meta := report.RunMeta{RunID: "e2e", TargetHost: "127.0.0.1:12111", Profile: "reference", SuiteVersion: "devel",
		Started: r.StartTime, Finished: r.EndTime}
	if err := report.WriteAll(dir, meta, r); err != nil {
		Fail(err.Error())
	}
})
