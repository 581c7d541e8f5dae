package report

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The end-to-end tests compile and run a real Ginkgo suite (testdata/e2esuite) whose ReportAfterSuite calls
// WriteAll, then re-run it with the --focus expression from rerun.txt and check that exactly the failed and errored
// specs run again — Ginkgo's own focus logic, not a re-implementation of it.

var (
	e2eOnce sync.Once
	e2eBin  string
	e2eErr  error
)

func goTool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles and runs a Ginkgo suite; skipped with -short")
	}
	g, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on the PATH")
	}
	return g
}

func e2eBinary(t *testing.T) string {
	t.Helper()
	g := goTool(t)
	e2eOnce.Do(func() {
		dir, err := os.MkdirTemp("", "report-e2e-")
		if err != nil {
			e2eErr = err
			return
		}
		e2eBin = filepath.Join(dir, "e2e.test")
		out, err := exec.Command(g, "test", "-c", "-o", e2eBin, "./testdata/e2esuite").CombinedOutput()
		if err != nil {
			e2eErr = errors.New(string(out) + err.Error())
		}
	})
	if e2eErr != nil {
		t.Fatalf("building the e2e suite: %v", e2eErr)
	}
	return e2eBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if e2eBin != "" {
		os.RemoveAll(filepath.Dir(e2eBin))
	}
	os.Exit(code)
}

// runE2E runs the compiled suite and returns its results; wantFail says whether the run must exit non-zero.
func runE2E(t *testing.T, dir string, fixed bool, args ...string) *Results {
	t.Helper()
	cmd := exec.Command(e2eBinary(t), append([]string{"-ginkgo.no-color"}, args...)...)
	cmd.Env = append(os.Environ(), "E2E_REPORT_DIR="+dir, "CONFORMANCE_API_KEY="+plantedSecret)
	if fixed {
		cmd.Env = append(cmd.Env, "E2E_FIXED=1")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if exit := (*exec.ExitError)(nil); err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the e2e suite: %v", err)
	}
	res, lerr := Load(filepath.Join(dir, ResultsFile))
	if lerr != nil {
		t.Fatalf("%v\nsuite output:\n%s", lerr, tail(out.String(), 4000))
	}
	// The ReportAfterSuite fails the run exactly when a check fails it (failed, errored, blocked, a schema violation).
	if gate := res.GateFailures(); (err != nil) != (len(gate) > 0) || res.Suite.Succeeded != (err == nil) {
		t.Errorf("suite exit %v, succeeded %v, gate failures %q", err, res.Suite.Succeeded, gate)
	}
	assertNoSecrets(t, dir)
	return res
}

func assertNoSecrets(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{ResultsFile, MarkdownFile, HTMLFile, RerunFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"DISTINCTIVE123456", plantedSecret} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains %q", name, s)
			}
		}
	}
}

var e2eWant = map[string]Outcome{
	"Cancel (e2e) [PaymentIntent] cancels from requires_payment_method":                                     Passed,
	"Cancel (e2e) [PaymentIntent] cancels from requires_action":                                             Blocked,
	"Every payment_intent response to cancel_payment_intent " + schemaClaim:                                 Failed,
	"Every payment_intent response to create_payment_intent " + schemaClaim:                                 Passed,
	"Cancel (e2e) [PaymentIntent] cancels from requires_payment_method (and a later GET agrees) .* [x] a|b": Failed,
	"Cancel (e2e) [PaymentIntent] a":                                                                        Errored,
	"Cancel (e2e) [PaymentIntent] a|b":                                                                      Passed,
	"Cancel (e2e) [PaymentIntent] refuses from succeeded (panics)":                                          Errored,
	"Cancel (e2e) [PaymentIntent] refuses from canceled (times out)":                                        Errored,
	"Cancel (e2e) [PaymentIntent] cancels a processing intent":                                              Disabled,
	"Cancel (e2e) [PaymentIntent] skips by itself":                                                          Skipped,
	"Cancel (e2e) [PaymentIntent] is pending":                                                               Skipped,
	"Cancel (e2e) [PaymentIntent] answers bad input with 400 (param=x)":                                     Passed,
	"Cancel (e2e) [PaymentIntent] answers bad input with 404 (param=x)":                                     Failed,
}

const schemaClaim = "conforms to the pinned OpenAPI document and carries the fields Stripe always sends"

// e2eViolating is the passing spec that received the response violating the schema: rerun.txt selects it.
const e2eViolating = "Cancel (e2e) [PaymentIntent] cancels from requires_payment_method"

func outcomes(res *Results) map[string]Outcome {
	out := map[string]Outcome{}
	for _, c := range res.Checks {
		out[c.Text] = c.Outcome
	}
	return out
}

func TestEndToEndWithGinkgo(t *testing.T) {
	base := t.TempDir()

	// Run 1: every outcome.
	first := runE2E(t, filepath.Join(base, "first"), false)
	got := outcomes(first)
	for text, want := range e2eWant {
		if got[text] != want {
			t.Errorf("%q: %s, want %s", text, got[text], want)
		}
	}
	if len(got) != len(e2eWant) {
		t.Errorf("%d checks, want %d: %v", len(got), len(e2eWant), got)
	}
	for _, c := range first.Checks {
		if c.Outcome == Failed && strings.Contains(c.Text, "later GET") {
			if c.Failure == nil || len(c.Failure.Exchanges) != 1 || !strings.Contains(c.Failure.Exchanges[0].Curl, "$CONFORMANCE_API_KEY") {
				t.Errorf("the failed check's exchange is missing or has no curl line: %+v", c.Failure)
			}
		}
	}
	if first.Matrix.Cell("requires_capture", "refund").Outcome != Errored || first.Matrix.Cell("any", "errors").Outcome != Failed ||
		first.Matrix.Cell("requires_action", "cancel").Outcome != Blocked || first.Matrix.Cell("any", "schema").Outcome != Failed {
		t.Error("matrix cells of the real run are wrong")
	}
	for _, c := range first.Checks {
		switch c.ID {
		case "cancel.ra":
			if c.Reason != "reach requires_action: confirm answered 402" || c.BlockedBy == nil || c.BlockedBy.Status != "requires_action" {
				t.Errorf("blocked check: %q %+v", c.Reason, c.BlockedBy)
			}
		case "errors.skip":
			if c.SkipKind != "timing" {
				t.Errorf("skip kind %q", c.SkipKind)
			}
		case "schema/cancel_payment_intent/payment_intent":
			if c.Schema == nil || c.Schema.Violating != 1 || len(c.Schema.ViolatingSpecs) != 1 || c.Schema.ViolatingSpecs[0] != "cancel.rpm" ||
				c.Failure == nil || !strings.Contains(c.Failure.Message, "/canceled_at: expected integer") {
				t.Errorf("schema check: %+v %+v", c.Schema, c.Failure)
			}
		}
	}

	// Run 2: --focus from rerun.txt selects exactly the failed and errored specs.
	b, err := os.ReadFile(filepath.Join(base, "first", RerunFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	focus := lines[len(lines)-1]
	again := runE2E(t, filepath.Join(base, "again"), false, "-ginkgo.focus="+focus)
	for _, c := range again.Checks {
		was := got[c.Text]
		selected := !c.Synthetic && (was.FailsRun() || c.Text == e2eViolating)
		switch {
		case (selected || c.Synthetic) && c.Outcome != was:
			t.Errorf("re-run of %q: %s, want %s again", c.Text, c.Outcome, was)
		case !selected && !c.Synthetic && (c.Outcome != Skipped || c.Reason != "" && c.Reason != "pending"):
			t.Errorf("%q (%s in run 1) was not filtered out by the focus: %s %q", c.Text, was, c.Outcome, c.Reason)
		}
	}
	if a, b := strings.Join(again.GateFailures(), "; "), strings.Join(first.GateFailures(), "; "); a != b || a == "" {
		t.Errorf("re-run fails with %q, run 1 with %q", a, b)
	}

	// Run 3: everything fixed; nothing to re-run.
	fixed := runE2E(t, filepath.Join(base, "fixed"), true)
	if fixed.Totals.Count(Failed)+fixed.Totals.Count(Errored)+fixed.Totals.Count(Blocked) != 0 || fixed.Rerun.Focus != "" || !fixed.Suite.Succeeded {
		t.Errorf("fixed run: %+v, focus %q", fixed.Totals, fixed.Rerun.Focus)
	}
}

// Under `ginkgo -p` the ReportAfterSuite gets the merged report of every process, with report-entry values
// JSON-decoded: the results must be the same as a serial run's.
func TestEndToEndParallel(t *testing.T) {
	g := goTool(t)
	dir := filepath.Join(t.TempDir(), "parallel")
	cmd := exec.Command(g, "tool", "ginkgo", "run", "-p", "--procs=3", "--no-color", "./testdata/e2esuite")
	cmd.Env = append(os.Environ(), "E2E_REPORT_DIR="+dir, "CONFORMANCE_API_KEY="+plantedSecret)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the parallel run passed although specs fail:\n%s", tail(string(out), 3000))
	}
	res, lerr := Load(filepath.Join(dir, ResultsFile))
	if lerr != nil {
		t.Fatalf("%v\n%s", lerr, tail(string(out), 3000))
	}
	got := outcomes(res)
	for text, want := range e2eWant {
		if got[text] != want {
			t.Errorf("%q: %s, want %s", text, got[text], want)
		}
	}
	var sawExchange bool
	for _, c := range res.Checks {
		if c.Failure != nil && len(c.Failure.Exchanges) > 0 {
			sawExchange = true
		}
	}
	if !sawExchange {
		t.Error("the exchanges attached in a parallel process did not reach the merged report")
	}
	assertNoSecrets(t, dir)
}
