package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pi-conformance/suite/harness/report"
)

// chk is one check of a synthetic results.json: written directly, so that it can carry what the report package may
// not write yet (blocked, skip_kind, explicit ids).
type chk struct {
	id, text string
	out      report.Outcome
	skipKind string
}

var baseMeta = report.Meta{RunID: "r", TargetHost: "t.example:443", Profile: "stripe-test", StripeVersion: "2025-03-31.basil", SpecVersion: "v1", SuiteVersion: "v1.0.0"}

// baseline is the baseline's checks; later runs are variations of it.
var baseline = []chk{
	{"cancel-rc", "cancels from requires_capture", report.Passed, ""},
	{"reason-echo", "echoes the reason", report.Passed, ""},
	{"known-bug", "refuses from succeeded", report.Failed, ""},
	{"races-five", "five concurrent cancels", report.Passed, ""},
	{"idem-off", "replays with the same key", report.Disabled, ""},
}

// writeSynthetic writes dir/name/results.json and returns its path.
func writeSynthetic(t *testing.T, dir, name string, m report.Meta, checks []chk) string {
	t.Helper()
	f := resultsFile{SchemaVersion: report.SchemaVersion, Meta: m,
		Matrix: report.Matrix{Rows: []string{"requires_capture"}, Columns: []string{"cancel"}}}
	f.Checks = []check{}
	for _, c := range checks {
		f.Checks = append(f.Checks, check{ID: c.id, Text: c.text, Status: "requires_capture", Check: "cancel", Outcome: c.out, SkipKind: c.skipKind})
		f.Totals.Add(c.out)
	}
	if t := f.Totals; t.All() > 0 {
		index := float64(t.Applicable()) / float64(t.All())
		f.ConformanceIndex = &index
		if t.Applicable() > 0 {
			score := float64(t.Count(report.Passed)) / float64(t.Applicable())
			f.Score = &score
		}
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name, report.ResultsFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// with returns the baseline with check id's outcome (and skip kind) replaced; outcome "" drops the check.
func with(id string, out report.Outcome, skipKind string) []chk {
	var cs []chk
	for _, c := range baseline {
		if c.id == id {
			if out == report.NoOutcome {
				continue
			}
			c.out, c.skipKind = out, skipKind
		}
		cs = append(cs, c)
	}
	return cs
}

// gateRun writes the baseline and a later run and runs compat -gate with extra flags; it returns the exit status,
// the Markdown and stderr.
func gateRun(t *testing.T, later []chk, laterMeta report.Meta, flags ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	a := writeSynthetic(t, dir, "base", baseMeta, baseline)
	b := writeSynthetic(t, dir, "new", laterMeta, later)
	return runCompat(append(append([]string{"-gate"}, flags...), a, b)...)
}

func wantIn(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

func TestGateRegressions(t *testing.T) {
	for name, tc := range map[string]struct {
		later []chk
		want  string
	}{
		"passed→failed":   {with("cancel-rc", report.Failed, ""), "passed → failed: it passed in the baseline"},
		"passed→errored":  {with("cancel-rc", report.Errored, ""), "passed → errored: it passed in the baseline"},
		"passed→disabled": {with("cancel-rc", report.Disabled, ""), "passed → disabled: it passed in the baseline"},
		"passed→skipped":  {with("cancel-rc", report.Skipped, ""), "passed → skipped: it passed in the baseline"},
		"passed→blocked":  {with("cancel-rc", report.Blocked, ""), "passed → blocked: it passed in the baseline"},
		"passed→missing":  {with("cancel-rc", report.NoOutcome, ""), "passed → missing: it passed in the baseline"},
		// A skip_kind on anything but a skip is no excuse.
		"passed→failed, timing kind": {with("cancel-rc", report.Failed, skipKindTiming), "passed → failed"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := gateRun(t, tc.later, baseMeta)
			if code != exitRegression {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
			}
			wantIn(t, "output", out, "## Gate: ❌ FAILED", "❌ **regression**: `cancel-rc` cancels from requires_capture — "+tc.want)
			wantIn(t, "stderr", errOut, "compat: gate failed:", "run 2 (new): regression cancel-rc (\"cancels from requires_capture\"): "+tc.want)
		})
	}
}

func TestGatePassesWhatIsNoRegression(t *testing.T) {
	later := with("known-bug", report.Passed, "") // a fix
	later = append(later, chk{"new-check", "a new check", report.Passed, ""})
	code, out, errOut := gateRun(t, later, baseMeta)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	wantIn(t, "output", out, "## Gate: ✅ PASSED", "- new: `new-check` a new check (passed)")
}

func TestGateTimingSkipIsNoRegression(t *testing.T) {
	code, out, errOut := gateRun(t, with("races-five", report.Skipped, skipKindTiming), baseMeta)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (a timing skip is not a regression, nor is the index it lowers)\n%s\n%s", code, out, errOut)
	}
	wantIn(t, "output", out, "✔ **timing-skip**: `races-five` five concurrent cancels — skipped by the suite for timing reasons", "⏭ skipped (timing)")
}

func TestGateHiddenFailure(t *testing.T) {
	for _, to := range []report.Outcome{report.Disabled, report.Skipped, report.Blocked, report.NoOutcome} {
		code, out, _ := gateRun(t, with("known-bug", to, ""), baseMeta)
		if code != exitRegression || !strings.Contains(out, "❌ **hidden-failure**: `known-bug` refuses from succeeded — failed → ") {
			t.Errorf("failed → %q: exit %d\n%s", to, code, out)
		}
	}
}

func TestGateMetaChanges(t *testing.T) {
	for _, tc := range []struct {
		kind, flag, want string
		edit             func(*report.Meta)
	}{
		{kindProfile, "-allow-profile-change", "profile changed: stripe-test → stripe-mock", func(m *report.Meta) { m.Profile = "stripe-mock" }},
		{kindStripeVersion, "-allow-stripe-version-change", "Stripe-Version changed: 2025-03-31.basil → 2024-06-20", func(m *report.Meta) { m.StripeVersion = "2024-06-20" }},
		{kindSpecVersion, "-allow-spec-change", "pinned spec version changed: v1 → v2", func(m *report.Meta) { m.SpecVersion = "v2" }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			m := baseMeta
			tc.edit(&m)
			code, out, _ := gateRun(t, baseline, m)
			if code != exitRegression {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			wantIn(t, "output", out, "- ❌ **"+tc.kind+"** — "+tc.want+" (the runs are not comparable; allow it with "+tc.flag+")")
			code, out, _ = gateRun(t, baseline, m, tc.flag)
			if code != exitOK {
				t.Fatalf("with %s: exit %d, want 0\n%s", tc.flag, code, out)
			}
			wantIn(t, "output", out, "- ✔ **"+tc.kind+"** — "+tc.want+" (allowed by "+tc.flag+")")
		})
	}
}

func TestGateIndexDrop(t *testing.T) {
	// No check of the baseline changes, but a new check arrives disabled: fewer of the checks apply.
	later := append(with("cancel-rc", report.Passed, ""), chk{"new-off", "a new disabled check", report.Disabled, ""})
	code, out, _ := gateRun(t, later, baseMeta)
	if code != exitRegression {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	wantIn(t, "output", out, "❌ **index-dropped** — conformance index dropped: 80.0 % (4/5) → 66.7 % (4/6): fewer of the checks apply")
	// Accepting the new check by id does not hide the drop: it is not a regression of the baseline.
	if code, out, _ := gateRun(t, later, baseMeta, "-accept", "new-off"); code != exitRegression {
		t.Errorf("-accept of an appearing check: exit %d\n%s", code, out)
	}
	// An accepted passed → disabled check counts as in the baseline.
	code, out, _ = gateRun(t, with("cancel-rc", report.Disabled, ""), baseMeta, "-accept", "cancel-rc")
	if code != exitOK {
		t.Errorf("-accept cancel-rc: exit %d\n%s", code, out)
	}
	wantIn(t, "output", out, "✔ **known-failure**: `cancel-rc` cancels from requires_capture — passed → disabled; excused: accepted with -accept")
}

func TestExpiryIsTheLastValidDay(t *testing.T) {
	list, err := readExpectations(writeExpect(t, "expectations:\n"+entry("x", "2026-03-31")))
	if err != nil {
		t.Fatal(err)
	}
	e := &list[0]
	for now, want := range map[string]bool{"2026-03-31T23:59:59Z": false, "2026-04-01T00:00:00Z": true, "2026-03-01T12:00:00Z": false} {
		at, _ := time.Parse(time.RFC3339, now)
		if got := e.expired(at); got != want {
			t.Errorf("expires 2026-03-31, at %s: expired = %v, want %v", now, got, want)
		}
	}
	if (&Expectation{ID: "y", Source: acceptSource}).expired(time.Now()) {
		t.Error("an -accept expectation expired")
	}
}

func writeExpect(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "expect.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const future, past = "2999-12-31", "2000-01-01"

func entry(id, expires string) string {
	return "  - id: " + id + "\n    reason: PSP-1 " + id + "\n    expires: " + expires + "\n"
}

func TestGateExpectations(t *testing.T) {
	regressed := with("cancel-rc", report.Failed, "")
	t.Run("listed", func(t *testing.T) {
		code, out, _ := gateRun(t, regressed, baseMeta, "-expect", writeExpect(t, "expectations:\n"+entry("cancel-rc", future)))
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		wantIn(t, "output", out, "✔ **known-failure**: `cancel-rc` cancels from requires_capture — passed → failed; excused: PSP-1 cancel-rc (until 2999-12-31)")
	})
	t.Run("expired", func(t *testing.T) {
		code, out, errOut := gateRun(t, regressed, baseMeta, "-expect", writeExpect(t, "expectations:\n"+entry("cancel-rc", past)))
		if code != exitRegression {
			t.Fatalf("exit %d\n%s", code, out)
		}
		wantIn(t, "output", out, "❌ **expired**: `cancel-rc` cancels from requires_capture — passed → failed; its expectation expired on 2000-01-01 (PSP-1 cancel-rc): fix it or renew the entry")
		wantIn(t, "stderr", errOut, "expired cancel-rc")
	})
	t.Run("expired, failing in the baseline too", func(t *testing.T) {
		code, out, _ := gateRun(t, baseline, baseMeta, "-expect", writeExpect(t, "expectations:\n"+entry("known-bug", past)))
		if code != exitRegression {
			t.Fatalf("exit %d\n%s", code, out)
		}
		wantIn(t, "output", out, "❌ **expired**: `known-bug` refuses from succeeded — failed → failed; its expectation expired on 2000-01-01")
	})
	t.Run("now passing", func(t *testing.T) {
		file := writeExpect(t, "expectations:\n"+entry("known-bug", future))
		later := with("known-bug", report.Passed, "")
		code, out, _ := gateRun(t, later, baseMeta, "-expect", file)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		wantIn(t, "output", out, "- ⚠ known-bug ("+cell(file)+"): the check passes now: remove it from the expectations file")
		if code, out, _ := gateRun(t, later, baseMeta, "-expect", file, "-strict"); code != exitRegression || !strings.Contains(out, "- ❌ known-bug") {
			t.Errorf("-strict: exit %d\n%s", code, out)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		file := writeExpect(t, "expectations:\n"+entry("no-such-check", future))
		code, out, _ := gateRun(t, baseline, baseMeta, "-expect", file, "-accept", "typo-id")
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		wantIn(t, "output", out, "- ⚠ no-such-check ("+cell(file)+"): no run reports a check with this id", "- ⚠ typo-id (-accept): no run reports a check with this id")
		if code, _, errOut := gateRun(t, baseline, baseMeta, "-expect", file, "-strict"); code != exitRegression || !strings.Contains(errOut, "no-such-check") {
			t.Errorf("-strict: exit %d %s", code, errOut)
		}
	})
	t.Run("-accept does not outlive the file's expiry", func(t *testing.T) {
		code, out, _ := gateRun(t, regressed, baseMeta, "-accept", "cancel-rc", "-expect", writeExpect(t, "expectations:\n"+entry("cancel-rc", past)))
		if code != exitRegression {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
}

func TestExpectationsFileErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthetic(t, dir, "a", baseMeta, baseline)
	for name, tc := range map[string]struct{ body, want string }{
		"unknown key":  {"expectations:\n  - id: x\n    reason: r\n    expires: 2030-01-01\n    expiry: 2030-01-01\n", "field expiry not found"},
		"no reason":    {"expectations:\n  - id: x\n    expires: 2030-01-01\n", `entry 1 (id "x"): no reason`},
		"no id":        {"expectations:\n  - reason: r\n    expires: 2030-01-01\n", `entry 1 (id ""): no id`},
		"bad date":     {"expectations:\n  - id: x\n    reason: r\n    expires: next week\n", `expires "next week" is not a date`},
		"no date":      {"expectations:\n  - id: x\n    reason: r\n", `expires "" is not a date`},
		"listed twice": {"expectations:\n" + entry("x", future) + entry("x", future), `entry 2 (id "x"): listed twice`},
		"not YAML":     {"expectations: [", "not an expectations file"},
	} {
		code, out, errOut := runCompat("-gate", "-expect", writeExpect(t, tc.body), a, a)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", name, code, errOut, tc.want)
		}
	}
	// JSON is YAML too; an empty file lists nothing.
	for _, body := range []string{`{"expectations": [{"id": "known-bug", "reason": "r", "expires": "2999-01-01"}]}`, ""} {
		if code, out, errOut := runCompat("-gate", "-expect", writeExpect(t, body), a, a); code != exitOK {
			t.Errorf("%q: exit %d %s\n%s", body, code, errOut, out)
		}
	}
}

func TestUnknownOutcomeIsAnInputError(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthetic(t, dir, "a", baseMeta, baseline)
	b := writeSynthetic(t, dir, "b", baseMeta, baseline)
	data, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(strings.Replace(string(data), `"outcome":"passed"`, `"outcome":"flaky"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCompat(a, b)
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d\n%s", code, out)
	}
	wantIn(t, "stderr", errOut, `unknown outcome "flaky"`)
}

func TestBlockedAndRenamedInComparison(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthetic(t, dir, "a", baseMeta, baseline)
	later := with("cancel-rc", report.NoOutcome, "")
	later = append(later, chk{"cancel-from-requires-capture", "cancels from requires_capture", report.Blocked, ""})
	b := writeSynthetic(t, dir, "b", baseMeta, later)
	code, out, errOut := runCompat(a, b)
	if code != exitOK || errOut != "" {
		t.Fatalf("plain comparison: exit %d %s", code, errOut)
	}
	wantIn(t, "output", out,
		"| 🧱 blocked | 0 | 1 |",
		"## Run 2 (b): 1 check(s) missing, 1 new",
		"- missing: `cancel-rc` cancels from requires_capture (run 1: passed) — same text as the new `cancel-from-requires-capture`: was its id changed?",
		"- new: `cancel-from-requires-capture` cancels from requires_capture (blocked)",
		"| cancels from requires_capture | `cancel-from-requires-capture` | `requires_capture` | `cancel` | — | 🧱 blocked | ≠ |",
	)
	if strings.Contains(out, "## Gate") {
		t.Error("a plain comparison shows a gate verdict")
	}
}
