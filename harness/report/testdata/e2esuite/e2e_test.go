// Package e2esuite is a small Ginkgo suite that the report package's end-to-end test compiles and runs: its specs
// reach every outcome the way the conformance suite does (framework.Errored, framework.Disabled, a blocked starting
// point, failed assertions with attached exchanges, panics, timeouts, a schema violation in a passing spec), and its
// ReportAfterSuite writes the reports with report.WriteAll and fails the run with the results' GateFailures.
//
// E2E_REPORT_DIR is where the reports go; E2E_FIXED=1 makes every spec pass (the vendor fixed everything).
package e2esuite

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

func L(status, op, check, id string) Labels {
	return Label(labels.Status(status), labels.Op(op), labels.Check(check), labels.ID(id))
}

// seen records the responses a spec had validated, as the suite's schema middleware does.
func seen(s ...labels.SchemaSeen) {
	AddReportEntry(labels.EntrySchema, s, ReportEntryVisibilityNever)
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
	It("cancels from requires_payment_method", L("requires_payment_method", "cancel", "cancel", "cancel.rpm"), func() {
		cancel := labels.SchemaSeen{Operation: "cancel_payment_intent", Object: "payment_intent", Responses: 1}
		if !fixed {
			cancel.Violating, cancel.Violations = 1, "/canceled_at: expected integer, got string (key "+plantedKey+")"
		}
		seen(labels.SchemaSeen{Operation: "create_payment_intent", Object: "payment_intent", Responses: 1}, cancel)
	})

	It("cancels from requires_action", L("requires_action", "cancel", "cancel", "cancel.ra"), func() {
		if !fixed {
			AddReportEntry(labels.EntryBlocked, labels.Blocked{Status: "requires_action", Step: "reach requires_action", Reason: "confirm answered 402"}, ReportEntryVisibilityNever)
			Skip(labels.PrefixBlocked + "requires_action could not be reached")
		}
	})

	It("cancels from requires_payment_method (and a later GET agrees) .* [x] a|b", L("requires_payment_method", "cancel", "cancel", "cancel.rpm-get"), func() {
		body := `{"error":{"message":"No such key: ` + plantedKey + `"}}`
		attach(exchange(400, body))
		if !fixed {
			Expect(400).To(Equal(200), "cancel answered 400 for key "+plantedKey)
		}
	})

	It("a", L("requires_capture", "cancel", "refund", "refund.a"), func() {
		if !fixed {
			AddReportEntry(labels.EntryOutcome, "errored", ReportEntryVisibilityNever)
			Fail(labels.PrefixErrored + "the target could not be reached or did not answer: connection refused")
		}
	})
	It("a|b", L("requires_capture", "cancel", "refund", "refund.a-or-b"), func() {
		seen(labels.SchemaSeen{Operation: "create_payment_intent", Object: "payment_intent", Responses: 2})
	})

	It("refuses from succeeded (panics)", L("succeeded", "cancel", "rejection", "rejection.succeeded"), func() {
		if !fixed {
			panic("boom " + plantedKey)
		}
	})

	It("refuses from canceled (times out)", L("canceled", "cancel", "rejection", "rejection.canceled"), SpecTimeout(200*time.Millisecond), func(ctx SpecContext) {
		if !fixed {
			<-ctx.Done()
		}
	})

	It("cancels a processing intent", L("processing", "cancel", "cancel", "cancel.processing"), func() {
		AddReportEntry(labels.EntryDisabled, "processing", ReportEntryVisibilityNever)
		Skip(fmt.Sprintf("%sprofile %q does not support %q", labels.PrefixDisabled, "stripe-mock", "processing"))
	})

	It("skips by itself", L("any", "cancel", "errors", "errors.skip"), func() {
		AddReportEntry(labels.EntrySkipKind, "timing", ReportEntryVisibilityNever)
		Skip("the requests did not overlap")
	})

	PIt("is pending", L("any", "cancel", "schema", "schema.pending"), func() {})

	DescribeTable("answers bad input",
		func(code int) {
			if !fixed && code == 404 {
				Expect(code).To(Equal(400))
			}
		},
		Entry("with 400 (param=x)", L("any", "cancel", "errors", "errors.400"), 400),
		Entry("with 404 (param=x)", L("any", "cancel", "errors", "errors.404"), 404),
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
	// What the conformance suite does after writing the files: blocked checks and schema violations fail the run
	// although Ginkgo counts neither as a failure. (Read back, which also shows GateFailures works on a loaded file.)
	res, err := report.Load(filepath.Join(dir, report.ResultsFile))
	if err != nil {
		Fail(err.Error())
	}
	if gate := res.GateFailures(); len(gate) > 0 {
		Fail("the run fails: " + strings.Join(gate, "; "))
	}
})
