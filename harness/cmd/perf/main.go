// Command perf reproduces every performance figure of the suite (issue 6) in one run and prints them as a Markdown
// table: the date, the commit and the machine, then one row per figure with its goal.
//
// Usage (from the repository root; needs only Go, ginkgo comes from `go tool ginkgo`):
//
//	go run ./harness/cmd/perf [-out perf.md] [-count 10] [-benchtime 300ms] [-runs 5] [-procs 8] [-delay 100ms] [-sections ...]
//
// It takes about 55 s on 2 cores with the defaults (the schema rounds take 25 s of it, the rate-limited run 13 s).
//
// Sections:
//
//	schema   harness/schema's benchmarks, side by side: validator set-up against loading Stripe's full spec3.json,
//	         validating a canceled PaymentIntent against json.Unmarshal of the same bytes, and route lookup against
//	         validation. -count rounds, each one run of the package's test binary (`go test -c`) with every
//	         benchmark once (what `go test -run '^$' -bench ... -benchmem -count 1` runs); a ratio is the median of
//	         the per-round ratios, so both sides of a ratio always ran within a second or two of each other.
//	harness  the suite binary (built once with `go test -c`), run serially against the embedded reference, -runs
//	         times: the process's wall time, and from each Ginkgo JSON report the requests the specs sent (their
//	         "conformance.perf" entries), per spec and for the 5 specs that send the most.
//	memory   one more serial run with GODEBUG=gctrace=1: the process's peak RSS (rusage) and Go heap figures.
//	latency  `ginkgo run --procs P` on the same binary with CONFORMANCE_REFERENCE_DELAY: the wall time against the
//	         bound requests x delay / procs, and where any excess goes; then the whole command a user runs,
//	         `go tool ginkgo run -p --procs P ./suites/...` from the repository root (warm build cache), with the
//	         delay and without, and the steps before a suite process starts (the tool lookup, ginkgo's compile
//	         step with and without vet), each timed alone.
//	ratelimited  `ginkgo run --procs P` with rate_limit 25 against the reference behind an account-wide 25/s limit
//	         answering 429 rate_limit like Stripe's test mode (ratelimited.go): the 429s, failed specs, and the wall
//	         time against requests / 25.
//
// -out writes the Markdown to a file as well: `go run ./harness/cmd/perf -out docs/performance.md` regenerates the
// figures the README links to.
//
// Every child runs in its own process group with a deadline; the temporary directory is removed at the end (unless
// -keep). The suite runs with a default configuration (an empty config file, CONFORMANCE_* variables cleared) so
// that a local ginkgo.yaml or a staging target cannot change the figures.
//
// Exit status: 0 when every section was measured, 1 with -strict when a goal was missed, 2 when a section could
// not be measured (its error is in the output) or on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

const usage = `usage: go run ./harness/cmd/perf [flags]

Reproduces the suite's performance figures and prints them as Markdown (see the package documentation).

Flags:
`

var allSections = []string{"schema", "harness", "memory", "latency", "ratelimited"}

type options struct {
	out       string
	count     int
	benchtime string
	runs      int
	procs     int
	delay     time.Duration
	sections  map[string]bool
	keep      bool
	strict    bool
	timeout   time.Duration
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "perf:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()

	p, err := newPerf(ctx, opts, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "perf:", err)
		return 2
	}
	defer p.cleanup()

	secs := p.measure(ctx)
	md := render(p.meta(ctx, args), secs)
	if _, err := io.WriteString(stdout, md); err != nil {
		fmt.Fprintln(stderr, "perf:", err)
		return 2
	}
	if opts.out != "" && opts.out != "-" {
		if err := os.WriteFile(opts.out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(stderr, "perf: writing -out:", err)
			return 2
		}
		fmt.Fprintf(stderr, "perf: wrote %s\n", opts.out)
	}
	failed, missed := false, false
	for _, s := range secs {
		if s.err != nil {
			failed = true
		}
		for _, r := range s.rows {
			if r.met != nil && !*r.met {
				missed = true
			}
		}
	}
	switch {
	case failed:
		fmt.Fprintln(stderr, "perf: some figures could not be measured (see the errors above and in the table)")
		return 2
	case missed && opts.strict:
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("perf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "out", "", "also write the Markdown to this file (it is always printed on stdout)")
	fs.IntVar(&o.count, "count", 10, "benchmark rounds (each runs every schema benchmark once)")
	fs.StringVar(&o.benchtime, "benchtime", "300ms", "-test.benchtime of each schema benchmark in a round (short, so that the two sides of a ratio run close together)")
	fs.IntVar(&o.runs, "runs", 5, "serial suite runs for the harness figures (the median run is shown)")
	fs.IntVar(&o.procs, "procs", 8, "parallel processes for the latency-bound run")
	fs.DurationVar(&o.delay, "delay", 100*time.Millisecond, "CONFORMANCE_REFERENCE_DELAY for the latency-bound run")
	secs := fs.String("sections", strings.Join(allSections, ","), "comma-separated sections to measure: "+strings.Join(allSections, ", "))
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (reports, profiles, outputs) and print its path")
	fs.BoolVar(&o.strict, "strict", false, "exit with status 1 when a goal is missed")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "overall deadline")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	switch {
	case o.count < 1:
		return o, errors.New("-count must be at least 1")
	case o.runs < 1:
		return o, errors.New("-runs must be at least 1")
	case o.procs < 1:
		return o, errors.New("-procs must be at least 1")
	case o.delay <= 0:
		return o, errors.New("-delay must be positive")
	case o.timeout <= 0:
		return o, errors.New("-timeout must be positive")
	}
	o.sections = map[string]bool{}
	for _, s := range strings.Split(*secs, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allSections, s) {
			return o, fmt.Errorf("unknown section %q (known: %s)", s, strings.Join(allSections, ", "))
		}
		o.sections[s] = true
	}
	if len(o.sections) == 0 {
		return o, errors.New("-sections selects nothing")
	}
	return o, nil
}

// runner holds the state of one invocation.
type runner struct {
	opts   options
	root   string // module root (children run from here)
	work   string // temporary directory
	goBin  string
	log    io.Writer
	suite  string // built suite binary ("" until built)
	config string // empty config file: defaults only
	// serialRSS are the peak RSS figures of the harness section's runs (bytes), shown next to the memory figure.
	serialRSS []int64
}

func newPerf(ctx context.Context, opts options, log io.Writer) (*runner, error) {
	goBin, err := findGo()
	if err != nil {
		return nil, err
	}
	gomod, err := commandOutput(ctx, "", 30*time.Second, goBin, "env", "GOMOD")
	if err != nil {
		return nil, err
	}
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("run from inside the module (go env GOMOD is empty): cd to the repository root")
	}
	root := filepath.Dir(gomod)
	if _, err := os.Stat(filepath.Join(root, "suites", "cancel")); err != nil {
		return nil, fmt.Errorf("%s does not look like the conformance suite's module (no suites/cancel)", root)
	}
	work, err := os.MkdirTemp("", "conformance-perf-")
	if err != nil {
		return nil, err
	}
	p := &runner{opts: opts, root: root, work: work, goBin: goBin, log: log, config: filepath.Join(work, "conformance.yaml")}
	if err := os.WriteFile(p.config, []byte("# empty: the defaults of harness/config apply\n"), 0o644); err != nil {
		p.cleanup()
		return nil, err
	}
	return p, nil
}

// findGo returns the go command on PATH.
func findGo() (string, error) {
	p, err := execLookPath("go")
	if err != nil {
		return "", errors.New("the go command is not on PATH")
	}
	return p, nil
}

func (p *runner) cleanup() {
	if p.opts.keep {
		fmt.Fprintf(p.log, "perf: kept %s\n", p.work)
		return
	}
	if err := os.RemoveAll(p.work); err != nil {
		fmt.Fprintf(p.log, "perf: removing %s: %v\n", p.work, err)
	}
}

func (p *runner) progress(format string, a ...any) {
	fmt.Fprintf(p.log, "perf: "+format+"\n", a...)
}

// suiteEnv is the environment of a suite process: the caller's, without CONFORMANCE_* and GODEBUG's gctrace,
// with the empty config file and a report directory in the work directory, plus extra.
func (p *runner) suiteEnv(name string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CONFORMANCE_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "CONFORMANCE_CONFIG="+p.config, "CONFORMANCE_REPORT_DIR="+filepath.Join(p.work, "report-"+name))
	return append(env, extra...)
}

// measure runs the selected sections in order; the suite binary is built once, before the first that needs it.
func (p *runner) measure(ctx context.Context) []section {
	var out []section
	if p.opts.sections["schema"] {
		out = append(out, p.schemaSection(ctx))
	}
	var needSuite []string
	for _, s := range []string{"harness", "memory", "latency", "ratelimited"} {
		if p.opts.sections[s] {
			needSuite = append(needSuite, s)
		}
	}
	if len(needSuite) == 0 {
		return out
	}
	if ctx.Err() != nil {
		for _, s := range needSuite {
			out = append(out, section{key: s, title: sectionTitles[s], err: fmt.Errorf("not run: %w", context.Cause(ctx))})
		}
		return out
	}
	if err := p.buildSuite(ctx); err != nil {
		for _, s := range needSuite {
			out = append(out, section{key: s, title: sectionTitles[s], err: fmt.Errorf("building the suite: %w", err)})
		}
		return out
	}
	for _, s := range needSuite {
		if ctx.Err() != nil {
			out = append(out, section{key: s, title: sectionTitles[s], err: fmt.Errorf("not run: %w", context.Cause(ctx))})
			continue
		}
		switch s {
		case "harness":
			out = append(out, p.harnessSection(ctx))
		case "memory":
			out = append(out, p.memorySection(ctx))
		case "latency":
			out = append(out, p.latencySection(ctx))
		case "ratelimited":
			out = append(out, p.rateLimitedSection(ctx))
		}
	}
	return out
}

var sectionTitles = map[string]string{
	"schema":      "Schema layer (benchmarks)",
	"harness":     "Serial run against the embedded reference",
	"memory":      "Memory of one suite process",
	"latency":     "Latency-bound run (parallel, delayed reference)",
	"ratelimited": "Rate-limited run (parallel, one 25/s budget for the account)",
}

func (p *runner) buildSuite(ctx context.Context) error {
	p.progress("building the suite binary (go test -c ./suites/cancel)")
	bin := filepath.Join(p.work, "suite.test")
	c := child{name: "build", args: []string{p.goBin, "test", "-c", "-o", bin, "./suites/cancel"}, dir: p.root, env: os.Environ(), timeout: 5 * time.Minute}
	if _, err := c.run(ctx, p.work); err != nil {
		return err
	}
	p.suite = bin
	return nil
}
