package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pi-conformance/suite/harness/perf"
)

// goalBoundRatio: the whole command a user runs against the delayed reference is within 1.5x the latency bound.
const goalBoundRatio = 1.5

func (p *runner) latencySection(ctx context.Context) section {
	s := section{key: "latency", title: sectionTitles["latency"]}
	ginkgo, err := commandOutput(ctx, p.root, 5*time.Minute, p.goBin, "tool", "-n", "ginkgo")
	if err != nil {
		s.err = fmt.Errorf("locating ginkgo (the module's tool dependency): %w", err)
		return s
	}
	p.progress("latency: ginkgo run --procs %d with CONFORMANCE_REFERENCE_DELAY=%s", p.opts.procs, p.opts.delay)
	report := filepath.Join(p.work, "parallel.json")
	c := child{
		name: "parallel",
		args: []string{ginkgo, "run", "--procs=" + strconv.Itoa(p.opts.procs), "--no-color", "--json-report=" + report, "--timeout=3m", p.suite},
		dir:  p.work, env: p.suiteEnv("parallel", "CONFORMANCE_REFERENCE_DELAY="+p.opts.delay.String()),
		timeout: 4 * time.Minute,
	}
	res, run, err := runForReport(ctx, c, p.work, report)
	if err != nil {
		s.err = err
		return s
	}
	t := run.Totals()
	if t.SpecsWithPerf == 0 {
		s.err = fmt.Errorf("%s: no spec attached a %q report entry", c.describe(), perf.EntryPerf)
		return s
	}
	procs := p.opts.procs
	bound := perf.Bound(t.Requests, p.opts.delay, procs)
	wall := run.Wall()
	ratio := perf.Ratio(float64(wall), float64(bound))

	s.rows = append(s.rows,
		row{
			figure:   fmt.Sprintf("Wall time, %d processes, %s added to every reference response (merged report start → end)", procs, p.opts.delay),
			measured: fmt.Sprintf("%s (the ginkgo process: %s)", fmtDur(wall), fmtDur(res.wall)),
		},
		row{
			figure:   "Latency bound: requests × delay / processes",
			measured: fmt.Sprintf("%d × %s / %d = %s", t.Requests, p.opts.delay, procs, fmtDur(bound)),
		},
		row{
			figure:   "Wall time of the suite processes / bound (the prebuilt binary under `ginkgo run`: no compile step)",
			measured: fmtX(ratio),
		},
	)
	s.rows = append(s.rows, p.userCommandRows(ctx, bound, procs)...)
	if t.Attempts > 0 {
		mean := t.Wait / time.Duration(t.Attempts)
		judge := fmt.Sprintf("the delay + %s: delayed responses overlap, the target does not serialize them", fmtDur(mean-p.opts.delay))
		if float64(mean) > 1.5*float64(p.opts.delay) {
			judge = "well above the delay: the target serializes delayed responses or is saturated"
		}
		s.rows = append(s.rows, row{
			figure:   "Mean wait per HTTP attempt",
			measured: fmt.Sprintf("%s = %s", fmtDur(mean), judge),
		})
	}
	s.rows = append(s.rows, row{
		figure:   "Client rate limiter and retries",
		measured: fmt.Sprintf("throttled %s, backoff %s, %d retries", fmtDur(t.Throttle), fmtDur(t.Backoff), t.Attempts-t.Requests),
	})
	if rss, ok := maxRSS(res.state); ok {
		s.rows = append(s.rows, row{
			figure:   "Largest process of the parallel run (the ginkgo CLI's rusage, which covers the suite processes it waited for)",
			measured: fmtBytes(rss),
		})
	}
	if run.Failed > 0 || !run.Succeeded {
		s.rows = append(s.rows, row{figure: "Note", measured: fmt.Sprintf("the suite did not pass (%d of %d specs failed); the figures include them", run.Failed, len(run.Specs))})
	}
	s.details = append(s.details, excessTable(run, t, bound, procs, p.opts.delay))
	return s
}

// part is one term of the wall time's excess over the bound.
type part struct {
	name string
	d    time.Duration
}

// excessParts splits wall − bound into terms that add up to it exactly: start-up, imbalance and gaps, spec time
// beyond the bound, teardown.
func excessParts(run perf.Run, t perf.Totals, bound time.Duration, procs int) []part {
	startup := run.Startup()
	specPhase := run.LastSpecEnd().Sub(run.SetupEnd)
	teardown := run.Teardown()
	ideal := t.RunTime / time.Duration(procs)
	return []part{
		{"Start-up: report start → the last process's SynchronizedBeforeSuite end (processes start, load the schema; process 1 starts the reference)", startup},
		{fmt.Sprintf("Imbalance and gaps: spec phase (%s) − the specs' summed run time / %d (%s)", fmtDur(specPhase), procs, fmtDur(ideal)), specPhase - ideal},
		{fmt.Sprintf("Spec time beyond the bound: summed run time / %d − bound (per-request cost above the delay, less the requests specs send concurrently)", procs), ideal - bound},
		{"Teardown: the last spec's end → report end (after-suite nodes, waiting for every process)", teardown},
	}
}

// excessTable shows the excess over the bound and the processes.
func excessTable(run perf.Run, t perf.Totals, bound time.Duration, procs int, delay time.Duration) string {
	parts := excessParts(run, t, bound, procs)
	var b strings.Builder
	fmt.Fprintf(&b, "Where the wall time exceeds the bound (%s − %s = %s):\n\n| Part | Time |\n|---|---:|\n", fmtDur(run.Wall()), fmtDur(bound), fmtDur(run.Wall()-bound))
	largest := 0
	for i, pt := range parts {
		fmt.Fprintf(&b, "| %s | %s |\n", pt.name, fmtDur(pt.d))
		if pt.d > parts[largest].d {
			largest = i
		}
	}
	var notes []string
	if run.Wall() > bound {
		name, _, _ := strings.Cut(parts[largest].name, ":")
		notes = append(notes, fmt.Sprintf("Largest part of the excess: %s (%s).", strings.ToLower(name), fmtDur(parts[largest].d)))
	}
	if sp, ok := run.Longest(); ok {
		notes = append(notes, fmt.Sprintf("Longest spec: %s, %d requests (%s).", fmtDur(sp.RunTime), sp.Requests(), sp.Location))
	}
	notes = append(notes, fmt.Sprintf("Summed spec run time %s against %d requests × delay = %s.", fmtDur(t.RunTime), t.Requests, fmtDur(time.Duration(t.Requests)*delay)))
	b.WriteString("\n" + strings.Join(notes, " ") + "\n")

	b.WriteString("\n| Process | Specs | Requests | Busy (summed spec run time) | Last spec ended (after set-up) |\n|---:|---:|---:|---:|---:|\n")
	for _, pr := range run.Processes() {
		fmt.Fprintf(&b, "| %d | %d | %d | %s | %s |\n", pr.Process, pr.Specs, pr.Requests, fmtDur(pr.Busy), fmtDur(pr.LastEnd.Sub(run.SetupEnd)))
	}
	return b.String()
}

// runForReport runs a ginkgo child and loads the JSON report it wrote. A suite that fails (a non-zero exit) is not an
// error here: its report says why; a child that could not run, or left no readable report, is.
func runForReport(ctx context.Context, c child, work, report string) (childResult, perf.Run, error) {
	res, err := c.run(ctx, work)
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		return res, perf.Run{}, err
	}
	run, rerr := perf.LoadReport(report)
	if rerr != nil {
		if err == nil {
			err = fmt.Errorf("%s: reading its Ginkgo report: %w", c.describe(), rerr)
		}
		return res, perf.Run{}, err
	}
	return res, run, nil
}
