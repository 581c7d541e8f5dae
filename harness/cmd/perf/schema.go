package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pi-conformance/suite/harness/perf"
)

// The benchmarks of harness/schema/bench_test.go this section compares.
const (
	benchPattern   = "^(BenchmarkSetup|BenchmarkValidateCanceledPI)$"
	benchPinned    = "BenchmarkSetup/pinned"
	benchFullSpec  = "BenchmarkSetup/full-spec3-kin-loader"
	benchValidate  = "BenchmarkValidateCanceledPI/validate"
	benchUnmarshal = "BenchmarkValidateCanceledPI/json-unmarshal"
	benchRoute     = "BenchmarkValidateCanceledPI/route-lookup"
	// The same intent with its latest_charge expanded (nested anyOfs): shown, no goal of its own.
	benchValidateExpanded  = "BenchmarkValidateCanceledPI/validate-expanded-charge"
	benchUnmarshalExpanded = "BenchmarkValidateCanceledPI/json-unmarshal-expanded-charge"
)

// Goals of the schema layer.
const (
	goalSetupSpeedup  = 10.0 // the pinned validator sets up at least 10x faster than loading spec3.json
	goalValidateRatio = 3.0  // validating costs at most 3x json.Unmarshal of the same bytes
)

// It is long because it assembles one table from the benchmark rounds, row by row.
func (p *runner) schemaSection(ctx context.Context) section {
	s := section{key: "schema", title: sectionTitles["schema"]}
	p.progress("schema: building the benchmark binary (go test -c ./harness/schema/)")
	bin := filepath.Join(p.work, "schema.test")
	build := child{name: "bench-build", args: []string{p.goBin, "test", "-c", "-o", bin, "./harness/schema/"}, dir: p.root, env: os.Environ(), timeout: 5 * time.Minute}
	if _, err := build.run(ctx, p.work); err != nil {
		s.err = err
		return s
	}
	var run perf.BenchRun
	for i := 1; i <= p.opts.count; i++ {
		p.progress("schema: benchmark round %d of %d", i, p.opts.count)
		round, err := p.benchRound(ctx, bin, i)
		if err != nil {
			s.err = err
			return s
		}
		run.Results = append(run.Results, round.Results...)
		run.CPU = round.CPU
	}
	ns := func(n string) []float64 { return run.Samples(n, perf.NsPerOp) }

	setup := perf.Compare(ns(benchFullSpec), ns(benchPinned))
	s.rows = append(s.rows, row{
		figure:   "Validator set-up in a suite process (pinned document) vs loading Stripe's full spec3.json (kin-openapi loader)",
		measured: fmt.Sprintf("%s vs %s: **%s faster** (rounds %s–%s)", fmtNs(setup.B.Median), fmtNs(setup.A.Median), fmtX(setup.Ratio), fmtX(setup.Low), fmtX(setup.High)),
		goal:     fmt.Sprintf("≥ %s faster", fmtX(goalSetupSpeedup)),
		met:      verdict(setup.Ratio >= goalSetupSpeedup),
	})
	val := perf.Compare(ns(benchValidate), ns(benchUnmarshal))
	s.rows = append(s.rows, row{
		figure:   "Validating one canceled PaymentIntent response vs json.Unmarshal of the same bytes into map[string]any",
		measured: fmt.Sprintf("%s vs %s: **%s** (rounds %s–%s)", fmtNs(val.A.Median), fmtNs(val.B.Median), fmtX(val.Ratio), fmtX(val.Low), fmtX(val.High)),
		goal:     "≤ " + fmtX(goalValidateRatio),
		met:      verdict(val.Ratio <= goalValidateRatio),
	})
	exp := perf.Compare(ns(benchValidateExpanded), ns(benchUnmarshalExpanded))
	s.rows = append(s.rows, row{
		figure:   "The same with its latest_charge expanded (a charge nested in the intent)",
		measured: fmt.Sprintf("%s vs %s: **%s** (rounds %s–%s)", fmtNs(exp.A.Median), fmtNs(exp.B.Median), fmtX(exp.Ratio), fmtX(exp.Low), fmtX(exp.High)),
		goal:     "≤ " + fmtX(goalValidateRatio),
		met:      verdict(exp.Ratio <= goalValidateRatio),
	})
	route := perf.Compare(ns(benchRoute), ns(benchValidate))
	s.rows = append(s.rows, row{
		figure:   "Route lookup vs the validation",
		measured: fmt.Sprintf("%s vs %s: **%s of a validation** (rounds %s–%s)", fmtNs(route.A.Median), fmtNs(route.B.Median), fmtPct(route.Ratio), fmtPct(route.Low), fmtPct(route.High)),
		goal:     "lookup < validation",
		met:      verdict(route.Ratio < 1),
	})

	var b strings.Builder
	benchtime := ""
	if p.opts.benchtime != "" {
		benchtime = " -benchtime " + p.opts.benchtime
	}
	fmt.Fprintf(&b, "Benchmarks: %d rounds; each round is one run of the `go test -c` binary of harness/schema, the same as "+
		"`go test -run '^$' -bench '%s' -benchmem%s -count 1 ./harness/schema/`", p.opts.count, benchPattern, benchtime)
	if run.CPU != "" {
		fmt.Fprintf(&b, " (cpu: %s)", run.CPU)
	}
	b.WriteString(". A ratio is the median of the per-round ratios, so the two sides of a ratio always ran within a second or two " +
		"(with `-count N` every sample of one benchmark runs before the next benchmark starts, and a busy spell on a shared machine skews one side only). " +
		"Absolute values are medians over the rounds; quote ratios, not absolutes.\n")
	var noisy []string
	for _, c := range []struct {
		name string
		cmp  perf.Comparison
	}{{"set-up", setup}, {"validation", val}, {"route lookup", route}} {
		if c.cmp.Low > 0 && c.cmp.High/c.cmp.Low > 1.5 {
			noisy = append(noisy, fmt.Sprintf("%s %s–%s", c.name, fmtX(c.cmp.Low), fmtX(c.cmp.High)))
		}
	}
	if len(noisy) > 0 {
		fmt.Fprintf(&b, "\n**The machine was noisy**: per-round ratios vary by more than 1.5× (%s). Trust the median, or rerun on a quieter machine.\n", strings.Join(noisy, "; "))
	}
	b.WriteString("\n")
	b.WriteString("| Benchmark | ns/op (median) | min – max | B/op | allocs/op | samples |\n|---|---:|---:|---:|---:|---:|\n")
	for _, n := range run.Names() {
		sp := perf.Summarize(ns(n))
		bop, _ := run.Median(n, perf.BytesPerOp)
		aop, _ := run.Median(n, perf.AllocsPerOp)
		fmt.Fprintf(&b, "| %s | %s | %s – %s | %s | %s | %d |\n", n, fmtNs(sp.Median), fmtNs(sp.Min), fmtNs(sp.Max), fmtCount(math.Round(bop)), fmtCount(math.Round(aop)), sp.N)
	}
	s.details = append(s.details, b.String())
	return s
}

// benchRound runs the benchmark binary once, as `go test` would (from the package directory), and checks that every
// compared benchmark reported exactly once.
func (p *runner) benchRound(ctx context.Context, bin string, i int) (perf.BenchRun, error) {
	args := []string{bin, "-test.run", "^$", "-test.bench", benchPattern, "-test.benchmem", "-test.count", "1", "-test.timeout", "4m"}
	if p.opts.benchtime != "" {
		args = append(args, "-test.benchtime", p.opts.benchtime)
	}
	c := child{name: fmt.Sprintf("bench-%d", i), args: args, dir: filepath.Join(p.root, "harness", "schema"), env: os.Environ(), timeout: 5 * time.Minute}
	res, err := c.run(ctx, p.work)
	if err != nil {
		return perf.BenchRun{}, err
	}
	f, err := os.Open(res.stdout)
	if err != nil {
		return perf.BenchRun{}, err
	}
	defer f.Close()
	run, err := perf.ParseBench(f)
	if err != nil {
		return run, err
	}
	if len(run.Failures) > 0 {
		return run, fmt.Errorf("benchmarks failed: %s", strings.Join(run.Failures, "; "))
	}
	var bad []string
	for _, n := range []string{benchPinned, benchFullSpec, benchValidate, benchUnmarshal, benchRoute, benchValidateExpanded, benchUnmarshalExpanded} {
		if k := len(run.Samples(n, perf.NsPerOp)); k != 1 {
			bad = append(bad, fmt.Sprintf("%s (%d results)", n, k))
		}
	}
	if len(bad) > 0 {
		return run, fmt.Errorf("%s: expected one result each for %s (renamed in harness/schema/bench_test.go?)", c.describe(), strings.Join(bad, ", "))
	}
	return run, nil
}

func verdict(ok bool) *bool { return &ok }
