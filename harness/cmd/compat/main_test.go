package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/report"
)

type spec struct {
	text, status, column string
	state                types.SpecState
	msg                  string
}

// writeRun writes a results.json for the given checks into dir/name and returns its path.
func writeRun(t *testing.T, dir, name, suiteVersion string, checks ...spec) string {
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
		spec{"X cancels from requires_capture", "requires_capture", "cancel", pass, ""},
		spec{"Y refuses from succeeded", "succeeded", "rejection", fail, "expected 400"},
		spec{"Z echoes the reason", "requires_payment_method", "reason", pass, ""},
		spec{"W replays with the same key", "requires_payment_method", "idempotency", skip, labels.PrefixDisabled + "no idempotency"},
		spec{"V | races", "requires_payment_method", "races", pass, ""},
		spec{"T gone later", "any", "errors", pass, ""},
	)
	b = writeRun(t, dir, "B", "v1.0.0",
		spec{"X cancels from requires_capture", "requires_capture", "cancel", fail, "expected 200"},
		spec{"Y refuses from succeeded", "succeeded", "rejection", pass, ""},
		spec{"Z echoes the reason", "requires_payment_method", "reason", pass, ""},
		spec{"W replays with the same key", "requires_payment_method", "idempotency", pass, ""},
		spec{"V | races", "requires_payment_method", "races", fail, labels.PrefixErrored + "connection refused"},
		spec{"U new check", "any", "errors", pass, ""},
	)
	c = writeRun(t, dir, "C", "v1.1.0",
		spec{"X cancels from requires_capture", "requires_capture", "cancel", pass, ""},
		spec{"Y refuses from succeeded", "succeeded", "rejection", pass, ""},
		spec{"Z echoes the reason", "requires_payment_method", "reason", fail, "wrong reason"},
		spec{"W replays with the same key", "requires_payment_method", "idempotency", skip, labels.PrefixDisabled + "no idempotency"},
		spec{"V | races", "requires_payment_method", "races", pass, ""},
		spec{"T gone later", "any", "errors", pass, ""},
	)
	return a, b, c
}

func runCompat(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestComparisonSideBySide(t *testing.T) {
	a, b, c := fixtures(t)
	code, out, errOut := runCompat(a, b, c)
	if code != exitOK || errOut != "" {
		t.Fatalf("a plain comparison judges nothing: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	x, t1, u := report.CheckID("X cancels from requires_capture"), report.CheckID("T gone later"), report.CheckID("U new check")
	wantIn(t, "output", out,
		"# Conformance comparison of 3 runs",
		"(use -gate to judge builds of one target)",
		"| | Run 1: A | Run 2: B | Run 3: C |",
		"| **Score** | **80.0 %** (4/5) | **66.7 %** (4/6) | **80.0 %** (4/5) |",
		"| **Conformance index** | **83.3 %** (5/6) | **100.0 %** (6/6) | **83.3 %** (5/6) |",
		"| 💥 errored | 0 | 1 | 0 |",
		"| X cancels from requires_capture | `"+x+"` | `requires_capture` | `cancel` | ✅ passed | ❌ failed | ✅ passed | ≠ |",
		"| W replays with the same key | `"+report.CheckID("W replays with the same key")+"` | `requires_payment_method` | `idempotency` | 🚫 disabled | ✅ passed | 🚫 disabled | ≠ |",
		"| T gone later | `"+t1+"` | `any` | `errors` | ✅ passed | — | ✅ passed | ≠ |",
		"## Run 2 (B): 1 check(s) missing, 1 new",
		"- missing: `"+t1+"` T gone later (run 1: passed)",
		"- new: `"+u+"` U new check (passed)",
		"the runs used different suite versions (v1.0.0 / v1.0.0 / v1.1.0)",
		"run 2 did not report 1 check(s) of run 1",
		"## Checks (7 of 7 differ)",
	)
	if !regexp.MustCompile("(?m)^\\| `requires_capture` \\|[^\n]* \\*\\*✅ ❌ ✅\\*\\* \\|").MatchString(out) {
		t.Errorf("the matrix does not mark the differing cell:\n%s", out)
	}
	if strings.Contains(out, "| `requires_confirmation` |") || strings.Contains(out, "## Gate") {
		t.Errorf("a matrix row without any check, or a gate verdict, is listed:\n%s", out)
	}
}

func TestGateOnRealReports(t *testing.T) {
	a, b, c := fixtures(t)
	code, out, errOut := runCompat("-gate", a, b, c)
	if code != exitRegression {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	wantIn(t, "stderr", errOut, "compat: gate failed: 4 problem(s) against "+a)
	wantIn(t, "output", out,
		"## Gate: ❌ FAILED (4 problem(s))",
		"### Run 2 (B): 3 problem(s)",
		"❌ **regression**: `"+report.CheckID("X cancels from requires_capture")+"` X cancels from requires_capture — passed → failed",
		"❌ **regression**: `"+report.CheckID("V | races")+"` V \\| races — passed → errored",
		"❌ **regression**: `"+report.CheckID("T gone later")+"` T gone later — passed → missing",
		"### Run 3 (C): 1 problem(s)",
		"| X cancels from requires_capture | `"+report.CheckID("X cancels from requires_capture")+"` | `requires_capture` | `cancel` | ✅ passed | ❌ failed | ✅ passed | 🔻 **gate** (run 2) |",
		"| Y refuses from succeeded | `"+report.CheckID("Y refuses from succeeded")+"` | `succeeded` | `rejection` | ❌ failed | ✅ passed | ✅ passed | ≠ |",
		"❌ **regression**: `"+report.CheckID("Z echoes the reason")+"` Z echoes the reason — passed → failed",
	)
	if code, out, errOut := runCompat("-gate", a, a); code != exitOK || errOut != "" || !strings.Contains(out, "## Gate: ✅ PASSED") {
		t.Errorf("a run against itself: exit %d %s\n%s", code, errOut, out)
	}
}

func TestOnlyDiffAndJSON(t *testing.T) {
	a, b, _ := fixtures(t)
	code, out, _ := runCompat("-only-diff", a, b)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "| Z echoes the reason |") || !strings.Contains(out, "## Checks that differ (6 of 7 differ)") {
		t.Errorf("-only-diff lists an unchanged check:\n%s", out)
	}

	// Flags after the files, and a directory instead of a file.
	code, out, errOut := runCompat(a, filepath.Dir(b), "-json", "-only-diff", "-gate")
	if code != exitRegression {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var cmp Comparison
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, out)
	}
	if cmp.Mode != "gate" || len(cmp.Runs) != 2 || cmp.Differing != 6 || len(cmp.Checks) != 6 || cmp.Gate == nil || cmp.Gate.Passed || cmp.Gate.Problems != 3 {
		t.Errorf("comparison: %s, %d runs, %d differing, %d rows, gate %+v", cmp.Mode, len(cmp.Runs), cmp.Differing, len(cmp.Checks), cmp.Gate)
	}
	if len(cmp.Runs[1].Missing) != 1 || len(cmp.Runs[1].Appeared) != 1 || cmp.Runs[0].Label != "A" || *cmp.Runs[0].Score != 0.8 || cmp.Runs[1].Counts[report.Errored] != 1 {
		t.Errorf("runs: %+v", cmp.Runs)
	}
	x := report.CheckID("X cancels from requires_capture")
	var fx *Finding
	for i, f := range cmp.Gate.Runs[0].Findings {
		if f.ID == x {
			fx = &cmp.Gate.Runs[0].Findings[i]
		}
	}
	if fx == nil || fx.Kind != kindRegression || !fx.Fails || fx.From != report.Passed || fx.To != report.Failed || fx.Text != "X cancels from requires_capture" {
		t.Errorf("finding for X: %+v in %+v", fx, cmp.Gate.Runs[0].Findings)
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
		"no files":        {},
		"one file":        {a},
		"missing file":    {a, filepath.Join(t.TempDir(), "nope", "results.json")},
		"bad JSON":        {a, bad},
		"not results":     {a, notResults},
		"unknown flag":    {"-frobnicate", a, a},
		"md and json":     {"-md", "-json", a, a},
		"empty dir arg":   {a, t.TempDir()},
		"expect, no gate": {"-expect", "x.yaml", a, a},
		"accept, no gate": {"-accept", "x", a, a},
		"missing expect":  {"-gate", "-expect", filepath.Join(t.TempDir(), "none.yaml"), a, a},
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
