// Package floorsuite is Ginkgo's own floor for the conformance suite: as many specs as the suite runs, built from
// the same nodes each of its specs is made of, and doing nothing else. Every spec of suites/cancel has a BeforeEach
// that opens a session (two DeferCleanup nodes, one with a NodeTimeout, and a report entry), and an It with labels,
// a SpecTimeout and a SpecContext. harness/cmd/perf builds and runs this suite to show how much of the suite's own
// time is Ginkgo's machinery rather than the suite's code.
//
// CONFORMANCE_FLOOR_SPECS sets the number of specs (default 75).
package floorsuite

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
)

func TestFloor(t *testing.T) {
	RunSpecs(t, "Ginkgo floor")
}

func specs() int {
	if n, err := strconv.Atoi(os.Getenv("CONFORMANCE_FLOOR_SPECS")); err == nil && n > 0 {
		return n
	}
	return 75
}

var _ = SynchronizedBeforeSuite(func() []byte { return nil }, func([]byte) {})

var _ = Describe("Ginkgo's floor", func() {
	BeforeEach(func() {
		DeferCleanup(func() { AddReportEntry("floor", `{"requests":0}`, ReportEntryVisibilityNever) })
		DeferCleanup(func(ctx SpecContext) {}, NodeTimeout(30*time.Second))
	})
	for i := range specs() {
		It(fmt.Sprintf("spec %d does nothing", i), Label("status:none", "op:none", "check:none"), SpecTimeout(time.Minute),
			func(ctx SpecContext) {})
	}
})
