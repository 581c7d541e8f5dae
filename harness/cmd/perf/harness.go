package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pi-conformance/suite/harness/perf"
)

// serialRun is one serial run of the suite binary.
type serialRun struct {
	run    perf.Run
	wall   time.Duration // process wall, start-up included
	rss    int64         // bytes, 0 when unknown
	stderr string
	note   string // e.g. "2 specs failed"
}

// runSerial runs the suite binary once, serially, and reads its JSON report.
func (p *runner) runSerial(ctx context.Context, name string, extraEnv ...string) (serialRun, error) {
	report := filepath.Join(p.work, name+".json")
	args := []string{p.suite, "-ginkgo.json-report=" + report, "-ginkgo.no-color", "-ginkgo.timeout=2m"}
	var sr serialRun
	c := child{name: name, args: args, dir: p.work, env: p.suiteEnv(name, extraEnv...), timeout: 3 * time.Minute}
	res, err := c.run(ctx, p.work)
	sr.wall, sr.stderr = res.wall, res.stderr
	if rss, ok := maxRSS(res.state); ok {
		sr.rss = rss
	}
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		return sr, err
	}
	run, rerr := perf.LoadReport(report)
	if rerr != nil {
		if err != nil {
			return sr, err // the suite failed before writing its report: show its output
		}
		return sr, fmt.Errorf("%s: reading its Ginkgo report: %w", c.describe(), rerr)
	}
	sr.run = run
	if err != nil || run.Failed > 0 {
		sr.note = fmt.Sprintf("the suite did not pass (%d of %d specs failed); the figures include the failed specs", run.Failed, len(run.Specs))
	}
	if t := run.Totals(); t.SpecsWithPerf == 0 {
		return sr, fmt.Errorf("%s: no spec attached a %q report entry: did harness/framework stop reporting it?", c.describe(), perf.EntryPerf)
	}
	return sr, nil
}

func (p *runner) harnessSection(ctx context.Context) section {
	s := section{key: "harness", title: sectionTitles["harness"]}
	var runs []serialRun
	for i := 1; i <= p.opts.runs; i++ {
		p.progress("harness: serial run %d of %d against the embedded reference", i, p.opts.runs)
		sr, err := p.runSerial(ctx, fmt.Sprintf("serial-%d", i))
		if err != nil {
			s.err = err
			return s
		}
		runs = append(runs, sr)
	}
	byWall := slices.Clone(runs)
	slices.SortStableFunc(byWall, func(a, b serialRun) int { return cmp.Compare(a.wall, b.wall) })
	med := byWall[(len(byWall)-1)/2] // an actual run: the lower median
	r := med.run
	t := r.Totals()

	var reqCounts []int64
	for _, sr := range runs {
		reqCounts = append(reqCounts, sr.run.Totals().Requests)
	}
	slices.Sort(reqCounts)
	reqNote := ""
	if reqCounts[0] != reqCounts[len(reqCounts)-1] {
		reqNote = fmt.Sprintf(" (the runs sent %d–%d)", reqCounts[0], reqCounts[len(reqCounts)-1])
	}
	runsNote := fmt.Sprintf("the median of %d runs: %s–%s", len(runs), fmtDur(byWall[0].wall), fmtDur(byWall[len(byWall)-1].wall))
	if len(runs) == 1 {
		runsNote = "one run"
	}
	rps := r.RequestsPerSpec()
	without := t.Specs - t.SpecsWithPerf
	withoutNote := ""
	if without > 0 {
		withoutNote = fmt.Sprintf("; %d specs attached no perf entry", without)
	}
	s.rows = append(s.rows,
		row{
			figure:   "Wall time of one suite process, serial (the prebuilt binary: process start, schema load, specs, reports)",
			measured: fmt.Sprintf("%s (%s); after set-up %s", fmtDur(med.wall), runsNote, fmtDur(r.Window())),
		},
		row{
			figure:   "HTTP requests (sum of the specs' conformance.perf entries, cleanup included)",
			measured: fmt.Sprintf("%d requests, %d attempts, %d specs%s", t.Requests, t.Attempts, t.Specs, reqNote),
		},
		row{
			figure:   "Requests per spec (min / median / max)",
			measured: fmt.Sprintf("%s / %s / %s%s", fmtCount(rps.Min), fmtCount(rps.Median), fmtCount(rps.Max), withoutNote),
		},
	)
	if med.note != "" {
		s.rows = append(s.rows, row{figure: "Note", measured: med.note})
	}

	// The 5 specs with the most requests (every request costs the target's latency), and why the largest needs them.
	var b strings.Builder
	b.WriteString("The 5 specs with the most requests (median run; against a remote target each request costs its latency):\n\n| Requests | Run time | Waiting (summed) | Spec | Where |\n|---:|---:|---:|---|---|\n")
	top := r.TopByRequests(5)
	for _, sp := range top {
		wait := time.Duration(0)
		if sp.Perf != nil {
			wait = sp.Perf.Wait
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", sp.Requests(), fmtDur(sp.RunTime), fmtDur(wait), mdCell(clip(sp.Text, 140)), sp.Location)
	}
	if len(top) > 0 {
		fmt.Fprintf(&b, "\nWhy the largest needs %d requests: %s\n", top[0].Requests(), justify(top[0], p.root))
	}
	s.details = append(s.details, b.String())
	p.serialRSS = nil
	for _, sr := range runs {
		p.serialRSS = append(p.serialRSS, sr.rss)
	}
	return s
}

const goalRSS = 150_000_000 // bytes: "under 150 MB"

func (p *runner) memorySection(ctx context.Context) section {
	s := section{key: "memory", title: sectionTitles["memory"]}
	p.progress("memory: serial run with GODEBUG=gctrace=1")
	godebug := "gctrace=1"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + ",gctrace=1"
	}
	sr, err := p.runSerial(ctx, "memory", "GODEBUG="+godebug)
	if err != nil {
		s.err = err
		return s
	}
	if sr.rss == 0 {
		s.err = errors.New("this platform does not report the child's peak RSS (rusage maxrss)")
		return s
	}
	measured := fmt.Sprintf("**%s**", fmtBytes(sr.rss))
	if len(p.serialRSS) > 0 {
		measured += fmt.Sprintf(" (the %d serial runs above: %s–%s)", len(p.serialRSS), fmtBytes(slices.Min(p.serialRSS)), fmtBytes(slices.Max(p.serialRSS)))
	}
	s.rows = append(s.rows, row{
		figure:   "Peak RSS of one suite process, serial run (rusage maxrss of the child)",
		measured: measured,
		goal:     "< 150 MB",
		met:      verdict(sr.rss < goalRSS),
	})
	f, err := os.Open(sr.stderr)
	if err == nil {
		defer f.Close()
		gc, err := perf.ParseGCTrace(f)
		switch {
		case err != nil:
			s.rows = append(s.rows, row{figure: "Go heap (gctrace)", measured: "could not be read: " + err.Error()})
		case gc.Cycles == 0:
			s.rows = append(s.rows, row{figure: "Go heap (gctrace)", measured: "no gctrace lines in the suite's stderr"})
		default:
			s.rows = append(s.rows, row{
				figure:   "Go heap (GODEBUG=gctrace=1)",
				measured: fmt.Sprintf("peak heap %d MB, peak live heap after GC %d MB, %d GC cycles", gc.PeakHeapMB, gc.PeakLiveMB, gc.Cycles),
			})
		}
	}
	if sr.note != "" {
		s.rows = append(s.rows, row{figure: "Note", measured: sr.note})
	}
	return s
}
