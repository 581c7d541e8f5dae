package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/report"
)

type check struct {
	text, status, column string
	state                types.SpecState
	msg                  string
}

// writeRun writes a results.json for the given checks into dir/name and returns its path.
func writeRun(t *testing.T, dir, name, suiteVersion string, checks ...check) string {
	t.Helper()
	r := types.Report{SuiteDescription: "PaymentIntent cancel conformance", StartTime: time.Unix(1_700_000_000, 0)}
	for _, c := range checks {
		r.SpecReports = append(r.SpecReports, types.SpecReport{
			LeafNodeType:   types.NodeTypeIt,
			LeafNodeText:   c.text,
			LeafNodeLabels: []string{labels.Status(c.status), labels.Op("cancel"), labels.Check(c.column)},
			State:          c.state,
			Failure:        types.Failure{Message: c.msg},
		})
	}
	res := report.Build(report.RunMeta{RunID: name, TargetHost: name + ".example:443", Profile: "stripe-test", SuiteVersion: suiteVersion, SpecVersion: "v1"}, r, report.Options{})
	out := filepath.Join(dir, name)
	if err := res.WriteFiles(out); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, report.ResultsFile)
}

const (
	pass = types.SpecStatePassed
	fail = types.SpecStateFailed
	skip = types.SpecStateSkipped
)

func fixtures(t *testing.T) (a, b, c string) {
	dir := t.TempDir()
	a = writeRun(t, dir, "A", "v1.0.0",
		check{"X cancels from requires_capture", "requires_capture", "cancel", pass, ""},
		check{"Y refuses from succeeded", "succeeded", "rejection", fail, "expected 400"},
		check{"Z echoes the reason", "requires_payment_method", "reason", pass, ""},
		check{"W replays with the same key", "requires_payment_method", "idempotency", skip, labels.PrefixDisabled + "no idempotency"},
		check{"V | races", "requires_payment_method", "races", pass, ""},
		check{"T gone later", "any", "errors", pass, ""},
	)
	b = writeRun(t, dir, "B", "v1.0.0",
		check{"X cancels from requires_capture", "requires_capture", "cancel", fail, "expected 200"},
		check{"Y refuses from succeeded", "succeeded", "rejection", pass, ""},
		check{"Z echoes the reason", "requires_payment_method", "reason", pass, ""},
		check{"W replays with the same key", "requires_payment_method", "idempotency", pass, ""},
		check{"V | races", "requires_payment_method", "races", fail, labels.PrefixErrored + "connection refused"},
		check{"U new check", "any", "errors", pass, ""},
	)
	c = writeRun(t, dir, "C", "v1.1.0",
		check{"X cancels from requires_capture", "requires_capture", "cancel", pass, ""},
		check{"Y refuses from succeeded", "succeeded", "rejection", pass, ""},
		check{"Z echoes the reason", "requires_payment_method", "reason", fail, "wrong reason"},
		check{"W replays with the same key", "requires_payment_method", "idempotency", skip, labels.PrefixDisabled + "no idempotency"},
		check{"V | races", "requires_payment_method", "races", pass, ""},
		check{"T gone later", "any", "errors", pass, ""},
	)
	return a, b, c
}

func runCompat(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestRegressionsFailTheGate(t *testing.T) {
	a, b, c := fixtures(t)
	code, out, errOut := runCompat(a, b, c)
	if code != exitRegression {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "3 regression(s)") {
		t.Errorf("stderr: %q", errOut)
	}
	for _, want := range []string{
		"# Conformance comparison of 3 runs",
		"| | Run 1: A | Run 2: B | Run 3: C |",
		"| **Score** | **80.0 %** (4/5) | **66.7 %** (4/6) | **80.0 %** (4/5) |",
		"| **Conformance index** | **83.3 %** (5/6) | **100.0 %** (6/6) | **83.3 %** (5/6) |",
		"| Regressions vs run 1 | — | 🔻 **2** | 🔻 **1** |",
		"## Regressions (3)",
		"- run 2 (B): X cancels from requires_capture — passed → ❌ failed",
		"- run 2 (B): V \\| races — passed → 💥 errored",
		"- run 3 (C): Z echoes the reason — passed → ❌ failed",
		"| X cancels from requires_capture | `requires_capture` | `cancel` | ✅ passed | ❌ failed | ✅ passed | 🔻 **regression** (run 2) |",
		"| Y refuses from succeeded | `succeeded` | `rejection` | ❌ failed | ✅ passed | ✅ passed | 🔺 fixed |",
		"| W replays with the same key | `requires_payment_method` | `idempotency` | 🚫 disabled | ✅ passed | 🚫 disabled | ≠ |",
		"| T gone later | `any` | `errors` | ✅ passed | — | ✅ passed | ≠ |",
		"| U new check | `any` | `errors` | — | ✅ passed | — | ≠ |",
		"the runs used different suite versions (v1.0.0 / v1.0.0 / v1.1.0)",
		"run 2 did not report 1 check(s) of run 1",
		"## Checks (7 of 7 differ)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\n%s", want, out)
		}
	}
	if !strings.Contains(out, "| `requires_capture` | **✅ ❌ ✅** |") {
		t.Errorf("matrix does not mark the differing cell:\n%s", out)
	}
	if strings.Contains(out, "| `requires_confirmation` |") {
		t.Error("a matrix row without any check is listed")
	}
}

func TestNoRegressionPassesTheGate(t *testing.T) {
	a, _, _ := fixtures(t)
	code, out, errOut := runCompat(a, a)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	if !strings.Contains(out, "## Checks (0 of 6 differ)") || strings.Contains(out, "🔻") {
		t.Errorf("output:\n%s", out)
	}
	// Improvements and other changes are not regressions.
	dir := t.TempDir()
	before := writeRun(t, dir, "before", "v1", check{"X", "any", "errors", fail, "x"}, check{"Y", "any", "errors", pass, ""})
	after := writeRun(t, dir, "after", "v1", check{"X", "any", "errors", pass, ""}, check{"Y", "any", "errors", skip, "n/a"})
	if code, out, _ := runCompat(before, after); code != exitOK {
		t.Errorf("fixed + passed→skipped: exit %d\n%s", code, out)
	}
}

func TestOnlyDiffAndJSON(t *testing.T) {
	a, b, _ := fixtures(t)
	code, out, _ := runCompat("-only-diff", a, b)
	if code != exitRegression {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "| Z echoes the reason |") || !strings.Contains(out, "## Checks that differ (6 of 7 differ)") {
		t.Errorf("-only-diff lists an unchanged check:\n%s", out)
	}

	// Flags after the files, and a directory instead of a file.
	code, out, errOut := runCompat(a, filepath.Dir(b), "-json", "-only-diff")
	if code != exitRegression {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var cmp Comparison
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, out)
	}
	if len(cmp.Runs) != 2 || cmp.Regressions != 2 || cmp.Differing != 6 || len(cmp.Checks) != 6 {
		t.Errorf("comparison: %d runs, %d regressions, %d differing, %d rows", len(cmp.Runs), cmp.Regressions, cmp.Differing, len(cmp.Checks))
	}
	if cmp.Runs[1].Regressions != 2 || cmp.Runs[1].Absent != 1 || cmp.Runs[0].Label != "A" || *cmp.Runs[0].Score != 0.8 {
		t.Errorf("runs: %+v", cmp.Runs)
	}
	for _, r := range cmp.Checks {
		if r.Text == "X cancels from requires_capture" && (r.Change != "regression" || len(r.RegressedIn) != 1 || r.RegressedIn[0] != 2 || r.Outcomes[1] != report.Failed) {
			t.Errorf("row X: %+v", r)
		}
	}
	if got := cmp.Matrix.Cells["requires_capture"]["cancel"]; len(got) != 2 || got[0] != report.Passed || got[1] != report.Failed {
		t.Errorf("matrix cell: %v", got)
	}
}

func TestUsageAndInputErrors(t *testing.T) {
	a, _, _ := fixtures(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	notResults := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(notResults, []byte(`{"hello": "world"}`), 0o644)
	for name, args := range map[string][]string{
		"no files":      {},
		"one file":      {a},
		"missing file":  {a, filepath.Join(t.TempDir(), "nope", "results.json")},
		"bad JSON":      {a, bad},
		"not results":   {a, notResults},
		"unknown flag":  {"-frobnicate", a, a},
		"md and json":   {"-md", "-json", a, a},
		"empty dir arg": {a, t.TempDir()},
	} {
		code, out, errOut := runCompat(args...)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		if errOut == "" || out != "" {
			t.Errorf("%s: stdout %q stderr %q", name, out, errOut)
		}
	}
	if code, _, errOut := runCompat(a, filepath.Join(t.TempDir(), "missing.json")); !strings.Contains(errOut, "missing.json") || code != exitUsage {
		t.Errorf("the error does not name the file: %q", errOut)
	}
	if code, _, errOut := runCompat("-h"); code != exitOK || !strings.Contains(errOut, "usage:") {
		t.Errorf("-h: exit %d, %q", code, errOut)
	}
	// "--" ends the flags.
	if code, _, errOut := runCompat("--", a, a); code != exitOK {
		t.Errorf("-- a a: exit %d %s", code, errOut)
	}
}
