package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pi-conformance/suite/harness/perf"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtDur(850 * time.Microsecond), "850 µs"},
		{fmtDur(12345 * time.Microsecond), "12.3 ms"},
		{fmtDur(4130 * time.Millisecond), "4.13 s"},
		{fmtDur(-2 * time.Millisecond), "−2.0 ms"},
		{fmtNs(168), "168 ns"},
		{fmtNs(45125), "45 µs"},
		{fmtNs(math.NaN()), "n/a"},
		{fmtX(84.2), "84×"},
		{fmtX(1.634), "1.63×"},
		{fmtX(0.0042), "0.0042×"},
		{fmtX(math.NaN()), "n/a"},
		{fmtPct(0.596), "60%"},
		{fmtPct(0.0037), "0.37%"},
		{fmtCount(692361024), "692,361,024"},
		{fmtCount(-1234), "-1,234"},
		{fmtCount(131), "131"},
		{fmtCount(64984.5), "64984.5"},
		{fmtBytes(38 << 20), "38.0 MiB (39.8 MB)"},
		{mdCell("a|b\nc"), `a\|b c`},
		{clip("abcdef", 4), "abc…"},
		{clip("abc", 4), "abc"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.count != 10 || o.benchtime != "300ms" || o.runs != 5 || o.procs != 8 || o.delay != 100*time.Millisecond || len(o.sections) != len(allSections) {
		t.Errorf("defaults = %+v", o)
	}
	o, err = parseFlags([]string{"-sections", "schema, latency", "-procs", "4"}, &bytes.Buffer{})
	if err != nil || !o.sections["schema"] || !o.sections["latency"] || o.sections["harness"] || o.procs != 4 {
		t.Errorf("-sections schema,latency -procs 4 = %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{"-count", "0"}, {"-runs", "0"}, {"-procs", "0"}, {"-delay", "0s"}, {"-timeout", "-1s"},
		{"-sections", "bogus"}, {"-sections", ","}, {"stray"}, {"-nosuchflag"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
}

func TestJustify(t *testing.T) {
	known := perf.Spec{Text: "Concurrent cancels lets exactly one of several concurrent cancels of one intent succeed"}
	if got := justify(known, "/repo"); !strings.Contains(got, "5 concurrent cancels") {
		t.Errorf("justify(known) = %q", got)
	}
	unknown := perf.Spec{Text: "something new", Location: "new_test.go:12", Path: "/repo/suites/cancel/new_test.go"}
	got := justify(unknown, "/repo")
	if !strings.Contains(got, "no justification") || !strings.Contains(got, filepath.Join("suites", "cancel", "new_test.go")+":12") {
		t.Errorf("justify(unknown) = %q, want it to say there is none and where to read the spec", got)
	}
}

func TestExcessPartsAddUp(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	run := perf.Run{Start: t0, SetupEnd: ms(300), End: ms(4100), Specs: []perf.Spec{
		{Process: 1, End: ms(3900), RunTime: 3500 * time.Millisecond, Perf: &perf.SpecPerf{Requests: 30}},
		{Process: 2, End: ms(3700), RunTime: 3300 * time.Millisecond, Perf: &perf.SpecPerf{Requests: 33}},
	}}
	tot := run.Totals()
	bound := perf.Bound(tot.Requests, 100*time.Millisecond, 2)
	parts := excessParts(run, tot, bound, 2)
	var sum time.Duration
	for _, p := range parts {
		sum += p.d
	}
	if sum != run.Wall()-bound {
		t.Errorf("parts add up to %v, want wall − bound = %v", sum, run.Wall()-bound)
	}
	want := []time.Duration{300 * time.Millisecond, 3600*time.Millisecond - 3400*time.Millisecond, 3400*time.Millisecond - bound, 200 * time.Millisecond}
	for i, p := range parts {
		if p.d != want[i] {
			t.Errorf("part %d (%s) = %v, want %v", i, p.name, p.d, want[i])
		}
	}
	table := excessTable(run, tot, bound, 2, 100*time.Millisecond)
	if !strings.Contains(table, "Largest part of the excess: start-up") || !strings.Contains(table, "| 2 | 1 | 33 |") {
		t.Errorf("excessTable =\n%s", table)
	}
}

func TestRender(t *testing.T) {
	met, missed := true, false
	md := render(meta{date: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), commit: "abc1234", machine: "2 CPUs", command: "go run ./harness/cmd/perf"},
		[]section{
			{key: "schema", title: "Schema", rows: []row{{figure: "f1", measured: "m1", goal: "g1", met: &met}, {figure: "f2", measured: "m|2"}}, details: []string{"detail one"}},
			{key: "harness", title: "Harness", rows: []row{{figure: "wall / bound", measured: "1.6×", goal: "≤ 1.5×", met: &missed}}},
			{key: "latency", title: "Latency", err: errors.New("ginkgo exited with status 1\n    last line")},
		})
	for _, want := range []string{
		"- Date: 2026-11-30 12:00 UTC", "- Commit: abc1234", "- Machine: 2 CPUs", "`go run ./harness/cmd/perf`",
		"| **1** | **Schema** |", "| | f1 | m1 | g1 | yes |", `| | f2 | m\|2 |  |  |`,
		"| | wall / bound | 1.6× | ≤ 1.5× | **NO** |",
		"| **3** | **Latency** |", "**error**: ginkgo exited with status 1 (details below)",
		"## 1. Schema\n\ndetail one\n", "## 3. Latency\n\nNot measured:\n\n```\nginkgo exited with status 1\n    last line\n```",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the output lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "## 2. Harness") {
		t.Error("a section without details or error got a details heading")
	}
}

func TestChildTimeoutKillsTheProcessGroup(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process groups are a unix feature")
	}
	sh, err := execLookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	work := t.TempDir()
	pidFile := filepath.Join(work, "grandchild.pid")
	c := child{name: "sleeper", args: []string{sh, "-c", "sleep 30 & echo $! > " + pidFile + "; echo started; wait"}, dir: work, timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err = c.run(context.Background(), work)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("run took %v despite a 300ms timeout", took)
	}
	if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") || !strings.Contains(err.Error(), "started") {
		t.Errorf("err = %v, want the timeout named with the child's output", err)
	}
	data, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the grandchild %d survived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChildExitStatus(t *testing.T) {
	sh, err := execLookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	work := t.TempDir()
	c := child{name: "failing", args: []string{sh, "-c", "echo the reason >&2; exit 3"}, dir: work, timeout: 10 * time.Second}
	res, err := c.run(context.Background(), work)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 3 || !strings.Contains(err.Error(), "the reason") {
		t.Errorf("err = %v, want an exitError with status 3 and the child's stderr", err)
	}
	if res.state == nil || res.wall <= 0 {
		t.Errorf("result = %+v", res)
	}
}
