//go:build linux

package mutants

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The bad-input self-test: the suite against targets whose bodies are valid JSON of outsized size, depth or width
// (BadInputFaults), and against the reference as a baseline. Each run must end like any fault (clean failures that
// name the request: judge), and stay bounded:
//   - peak RSS of the suite process (the rusage maxrss of the child) <= maxSuiteRSS;
//   - all files the run writes (console output, Ginkgo JSON and JUnit, results.json, report.md, report.html,
//     rerun.txt) <= maxRunOutput together;
//   - no file contains the API key (the bodies echo it) or an unmasked client secret (runMutant's findSecret).
//
// It prints a table of peak RSS and output sizes per target. Environment:
//
//	BADINPUT_ONLY=name,name  run only these targets ("reference" is the baseline)
//	BADINPUT_TABLE_OUT=path  also write the markdown table there
//	BADINPUT_WORKDIR=dir     keep the suite binary, the reports and the outputs there (default: a temp dir)
//
// It is skipped with -short, when the go tool is not on PATH, and off Linux (the wrapper below uses Pdeathsig).

const (
	maxSuiteRSS  = 300 << 20 // bytes
	maxRunOutput = 25 << 20  // bytes, all files of one run
	// wrapEnv names the suite binary for TestBadInputWrapper.
	wrapEnv = "BADINPUT_WRAP_SUITE"
	// rssFile is written by the wrapper in the run's directory: the suite process's peak RSS in bytes.
	rssFile = "suite-maxrss.txt"
)

func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("bad-input self-test skipped with -short (it builds the suite and runs it against outsized bodies)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("bad-input self-test skipped: the go tool is not on PATH, so the suite cannot be built")
	}
	faults := BadInputFaults()
	if err := Validate(All()); err != nil {
		t.Fatal(err)
	}
	for _, m := range faults {
		if !slices.ContainsFunc(Faults(), func(f Mutant) bool { return f.Name == m.Name }) {
			t.Fatalf("bad-input fault %q is not in Faults(): the mutation self-test would not run it", m.Name)
		}
	}
	baseline := Mutant{Name: "reference", Kind: Benign, Description: "the reference target as it is (baseline)"}
	targets := append([]Mutant{baseline}, faults...)
	if only := os.Getenv("BADINPUT_ONLY"); only != "" {
		names := strings.Split(only, ",")
		targets = slices.DeleteFunc(targets, func(m Mutant) bool { return !slices.Contains(names, m.Name) })
		if len(targets) == 0 {
			t.Fatalf("BADINPUT_ONLY=%q matches no target", only)
		}
	}

	started := time.Now()
	root := moduleRoot(t)
	tmp := t.TempDir()
	if dir := os.Getenv("BADINPUT_WORKDIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp = dir
	}
	suite := filepath.Join(tmp, "suite.test")
	bctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	build := exec.CommandContext(bctx, goTool, "test", "-c", "-o", suite, "./suites/cancel")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the suite (go test -c ./suites/cancel in %s): %v\n%s", root, err, out)
	}

	// runMutant runs "bin"; here that is a script running this test binary as TestBadInputWrapper, which runs the
	// suite as its child and writes the child's peak RSS next to the reports.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(tmp, "suite-wrapper.sh")
	script := "#!/bin/sh\nexec " + shellWord(self) + " -test.run='^TestBadInputWrapper$' -test.timeout=0 -- \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(wrapEnv, suite)
	cfgs := map[bool]string{false: filepath.Join(tmp, "run.yaml"), true: filepath.Join(tmp, "fault.yaml")}
	for fault, body := range map[bool]string{false: runConfig, true: faultConfig} {
		if err := os.WriteFile(cfgs[fault], []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	rows := make([]badInputRow, 0, len(targets))
	for _, m := range targets { // one at a time: the runs are CPU-bound and the timings are judged (faultBound)
		r := runMutant(wrapper, tmp, cfgs[m.Kind == Fault], m)
		judge(r, nil)
		row := badInputRow{r: r, files: map[string]int64{}}
		row.rss, row.rssErr = readRSS(r.Dir)
		row.total = row.measure(r.Dir)
		rows = append(rows, row)
		t.Run(m.Name, func(t *testing.T) {
			for _, p := range r.Problems {
				t.Errorf("%s (%s): %s\n  report: %s", m.Name, m.Description, p, r.Dir)
			}
			if row.rssErr != nil {
				t.Errorf("%s: the peak RSS of the suite process is unknown: %v", m.Name, row.rssErr)
			} else if row.rss > maxSuiteRSS {
				t.Errorf("%s: the suite process peaked at %s RSS (bound %s)", m.Name, mib(row.rss), mib(maxSuiteRSS))
			}
			if row.total > maxRunOutput {
				t.Errorf("%s: the run wrote %s of files (bound %s): %s", m.Name, mib(row.total), mib(maxRunOutput), row.fileList())
			}
			if len(r.Problems) > 0 && r.Output != "" {
				t.Logf("suite output (tail):\n%s", tail(r.Output, 4000))
			}
		})
	}

	table := renderBadInputTable(rows, time.Since(started))
	t.Log("\n" + table)
	if err := os.WriteFile(filepath.Join(tmp, "badinput-table.md"), []byte(table), 0o644); err != nil {
		t.Error(err)
	}
	if out := os.Getenv("BADINPUT_TABLE_OUT"); out != "" {
		doc := generatedHeader("Bounded under bad input", "BADINPUT_TABLE_OUT="+out+" go test -count=1 -run 'TestBadInput$' ./harness/mutants/") + table
		if err := os.WriteFile(out, []byte(doc), 0o644); err != nil {
			t.Errorf("BADINPUT_TABLE_OUT: %v", err)
		}
	}
}

// TestBadInputWrapper is not a test of its own: TestBadInput runs this test binary as a wrapper around the suite
// binary (named by $BADINPUT_WRAP_SUITE; the suite's arguments follow "--"). It runs the suite with the same
// arguments, output and working directory, writes the suite process's peak RSS (rusage maxrss) to rssFile, and
// exits with the suite's exit code. The suite is killed if the wrapper dies (Pdeathsig), so a killed run leaves no
// process behind.
func TestBadInputWrapper(t *testing.T) {
	suite := os.Getenv(wrapEnv)
	if suite == "" {
		t.Skip("only run by TestBadInput, as a wrapper around the suite binary")
	}
	cmd := exec.Command(suite, flag.Args()...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, wrapEnv+"=") })
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		fmt.Fprintf(os.Stderr, "bad-input wrapper: running the suite: %v\n", err)
		os.Exit(125)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		_ = os.WriteFile(rssFile, []byte(strconv.FormatInt(ru.Maxrss*1024, 10)), 0o644) // Linux: maxrss in KiB
	}
	if code < 0 { // killed by a signal
		code = 128
	}
	os.Exit(code)
}

type badInputRow struct {
	r      *runResult
	rss    int64
	rssErr error
	total  int64
	files  map[string]int64 // by file name, summed over directories
}

func readRSS(dir string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, rssFile))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// measure sums the sizes of every file the run wrote (the wrapper's RSS note excepted).
func (row *badInputRow) measure(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == rssFile {
			return nil
		}
		if info, err := d.Info(); err == nil {
			total += info.Size()
			row.files[d.Name()] += info.Size()
		}
		return nil
	})
	return total
}

func (row *badInputRow) fileList() string {
	names := make([]string, 0, len(row.files))
	for n := range row.files {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + mib(row.files[n])
	}
	return strings.Join(parts, ", ")
}

// badInputColumns are the files shown in the table, in order.
var badInputColumns = []string{"output.txt", "ginkgo.json", "junit.xml", "results.json", "report.md", "report.html"}

func renderBadInputTable(rows []badInputRow, total time.Duration) string {
	var b strings.Builder
	b.WriteString("| target | verdict | specs failed | peak RSS | all files |")
	for _, c := range badInputColumns {
		b.WriteString(" " + c + " |")
	}
	b.WriteString(" run time |\n|---|---|---:|---:|---:|")
	b.WriteString(strings.Repeat("---:|", len(badInputColumns)))
	b.WriteString("---:|\n")
	for _, row := range rows {
		r := row.r
		rss := "?"
		if row.rssErr == nil {
			rss = mib(row.rss)
		}
		verdict := r.Verdict
		if len(r.Problems) > 0 && !strings.Contains(verdict, "BAD") && !strings.Contains(verdict, "BROKEN") {
			verdict += " (with problems)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %s | %s |", r.M.Name, verdict, len(r.Failing), rss, mib(row.total))
		for _, c := range badInputColumns {
			b.WriteString(" " + mib(row.files[c]) + " |")
		}
		fmt.Fprintf(&b, " %.1fs |\n", r.Elapsed.Seconds())
	}
	fmt.Fprintf(&b, "\nBounds: peak RSS <= %s per suite process, <= %s of files per run. Wall time %s.\n",
		mib(maxSuiteRSS), mib(maxRunOutput), total.Round(time.Second))
	return b.String()
}

func mib(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// shellWord quotes s for sh.
func shellWord(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
