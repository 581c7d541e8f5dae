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

const goalOwnShare = 0.25 // the suite's own share of the serial wall time after set-up

// serialRun is one serial run of the suite binary.
type serialRun struct {
	run     perf.Run
	wall    time.Duration // process wall, start-up included
	rss     int64         // bytes, 0 when unknown
	profile string        // CPU profile path ("" when not profiled)
	stderr  string
	note    string // e.g. "2 specs failed"
}

// runSerial runs the suite binary once, serially, and reads its JSON report.
func (p *runner) runSerial(ctx context.Context, name string, profile bool, extraEnv ...string) (serialRun, error) {
	report := filepath.Join(p.work, name+".json")
	args := []string{p.suite, "-ginkgo.json-report=" + report, "-ginkgo.no-color", "-ginkgo.timeout=2m"}
	var sr serialRun
	if profile {
		sr.profile = filepath.Join(p.work, name+".cpu")
		args = append(args, "-test.cpuprofile="+sr.profile)
	}
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
		sr, err := p.runSerial(ctx, fmt.Sprintf("serial-%d", i), true)
		if err != nil {
			s.err = err
			return s
		}
		runs = append(runs, sr)
	}
	shareOf := func(sr serialRun) float64 { _, f := sr.run.Share(); return f }
	byShare := slices.Clone(runs)
	slices.SortStableFunc(byShare, func(a, b serialRun) int { return cmp.Compare(shareOf(a), shareOf(b)) })
	med := byShare[(len(byShare)-1)/2] // an actual run: the lower median
	r := med.run
	t := r.Totals()
	own, share := r.Share()
	window := r.Window()

	var reqCounts []int64
	for _, sr := range runs {
		reqCounts = append(reqCounts, sr.run.Totals().Requests)
	}
	slices.Sort(reqCounts)
	reqNote := ""
	if reqCounts[0] != reqCounts[len(reqCounts)-1] {
		reqNote = fmt.Sprintf(" (the runs sent %d–%d)", reqCounts[0], reqCounts[len(reqCounts)-1])
	}
	runsNote := fmt.Sprintf("the median of %d runs by suite share", len(runs))
	if len(runs) == 1 {
		runsNote = "one run"
	}

	s.rows = append(s.rows,
		row{
			figure:   "Wall time after process start and spec load (end of SynchronizedBeforeSuite → report end)",
			measured: fmt.Sprintf("%s (%s; process wall with start-up and schema load %s)", fmtDur(window), runsNote, fmtDur(med.wall)),
		},
		row{
			figure:   "HTTP requests (sum of the specs' conformance.perf entries, cleanup included)",
			measured: fmt.Sprintf("%d requests, %d attempts, %d specs%s", t.Requests, t.Attempts, t.Specs, reqNote),
		},
		row{
			figure: "Time waiting on the target (sum of wait_ns; the in-process reference's handling is the target's time)",
			measured: fmt.Sprintf("%s (%s of the wall; each spec's wait capped at its run time, raw sum %s)",
				fmtDur(t.CappedWait), fmtPct(perf.Ratio(float64(t.CappedWait), float64(window))), fmtDur(t.Wait)),
		},
		row{
			figure:   "The suite's own share (wall − waiting on the target)",
			measured: fmt.Sprintf("**%s** (%s; over the runs %s–%s)", fmtPct(share), fmtDur(own), fmtPct(shareOf(byShare[0])), fmtPct(shareOf(byShare[len(byShare)-1]))),
			goal:     "< " + fmtPct(goalOwnShare),
			met:      verdict(share < goalOwnShare),
		},
	)
	// What the suite's own time is made of: the parts the session times, and Ginkgo's own machinery measured on
	// a suite of as many specs with the same nodes that does nothing (testdata/floorsuite).
	floor, ferr := p.ginkgoFloor(ctx, t.Specs)
	if ferr != nil {
		s.err = ferr
		return s
	}
	timed := t.Client + t.Decode + t.Check
	s.rows = append(s.rows,
		row{
			figure: "The suite's own time, by part (sums over the specs of the median run)",
			measured: fmt.Sprintf("client %s (request building, redaction, recording) · JSON decoding %s · schema and always-sent checks %s · "+
				"Ginkgo's floor %s (%d empty specs with the suite's nodes, median of %d runs) · the rest %s (matchers, drivers, session bookkeeping, scheduling)",
				fmtDur(t.Client), fmtDur(t.Decode), fmtDur(t.Check), fmtDur(floor), t.Specs, p.opts.runs, fmtDur(own-timed-floor)),
		},
		row{
			figure: "What the goal leaves: own time under 25% of the wall means under a third of the time spent waiting on the target",
			measured: fmt.Sprintf("%s allowed; what every run must do before it sends or asserts anything (Ginkgo's floor, decoding and checking every response) takes %s (%s of the wall)",
				fmtDur(t.CappedWait/3), fmtDur(floor+t.Decode+t.Check), fmtPct(perf.Ratio(float64(floor+t.Decode+t.Check), float64(window)))),
		},
	)
	if d := p.opts.nearDelay; d > 0 {
		// The in-process reference answers in a fraction of a millisecond, far faster than any network target;
		// one more serial run with a small delay per response shows the share against a nearby staging.
		p.progress("harness: serial run with CONFORMANCE_REFERENCE_DELAY=%s", d)
		near, err := p.runSerial(ctx, "serial-near", false, "CONFORMANCE_REFERENCE_DELAY="+d.String())
		if err != nil {
			s.err = err
			return s
		}
		nearOwn, nearShare := near.run.Share()
		s.rows = append(s.rows, row{
			figure:   fmt.Sprintf("The suite's own share with %s added to every reference response (a nearby target)", d),
			measured: fmt.Sprintf("%s (%s of %s)", fmtPct(nearShare), fmtDur(nearOwn), fmtDur(near.run.Window())),
			goal:     "< " + fmtPct(goalOwnShare),
			met:      verdict(nearShare < goalOwnShare),
		})
	}
	if t.Requests > 0 {
		n := time.Duration(t.Requests)
		s.rows = append(s.rows, row{
			figure:   "Per request: wall, target, suite",
			measured: fmt.Sprintf("%s = %s target + %s suite", fmtDur(window/n), fmtDur(t.CappedWait/n), fmtDur(own/n)),
		})
	}
	rps := r.RequestsPerSpec()
	without := t.Specs - t.SpecsWithPerf
	withoutNote := ""
	if without > 0 {
		withoutNote = fmt.Sprintf("; %d specs attached no perf entry", without)
	}
	s.rows = append(s.rows,
		row{
			figure:   "Requests per spec (min / median / max)",
			measured: fmt.Sprintf("%s / %s / %s%s", fmtCount(rps.Min), fmtCount(rps.Median), fmtCount(rps.Max), withoutNote),
		},
		row{
			figure:   "Time in DeferCleanup nodes (session cleanup and reporting)",
			measured: fmt.Sprintf("%s (%s of the specs' run time)", fmtDur(t.Cleanup), fmtPct(perf.Ratio(float64(t.Cleanup), float64(t.RunTime)))),
		},
	)
	if med.note != "" {
		s.rows = append(s.rows, row{figure: "Note", measured: med.note})
	}

	// The 5 specs with the most requests, and why the largest needs them.
	var b strings.Builder
	b.WriteString("The 5 specs with the most requests (median run):\n\n| Requests | Run time | Waiting (summed) | Spec | Where |\n|---:|---:|---:|---|---|\n")
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

	// Where the suite's own CPU goes.
	var profiles []string
	for _, sr := range runs {
		profiles = append(profiles, sr.profile)
	}
	if cpu, err := cpuBreakdown(profiles); err != nil {
		s.details = append(s.details, "CPU profile: could not be read: "+err.Error()+"\n")
	} else {
		s.details = append(s.details, cpu)
	}
	p.serialRSS = nil
	for _, sr := range runs {
		p.serialRSS = append(p.serialRSS, sr.rss)
	}
	return s
}

func cpuBreakdown(paths []string) (string, error) {
	profs, err := perf.ReadProfiles(paths)
	if err != nil {
		return "", err
	}
	a, err := perf.Attribute(profs, perf.SuiteOutside, perf.SuitePriority, perf.SuiteBuckets)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Where the CPU goes during the specs (CPU profiles of the %d serial runs, -test.cpuprofile, merged; %s of samples; "+
		"set-up, report writing and init excluded: %s). The reference target shares the process, so its row is part of \"waiting on the target\". "+
		"A sample counts for the reference, or for the matchers' exchange summary, when that is anywhere on its stack; otherwise for the component of its innermost recognised frame "+
		"(encoding/json under the client's decoding counts as decoding). CPU time exceeds the wall time: the reference, the GC and the client share 2+ cores.\n\n| Component | CPU | Share |\n|---|---:|---:|\n",
		a.Profiles, fmtDur(a.Total), fmtDur(a.Outside))
	for _, sh := range a.Shares {
		if sh.CPU == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", sh.Name, fmtDur(sh.CPU), fmtPct(sh.Fraction))
	}
	return b.String(), nil
}

const goalRSS = 150_000_000 // bytes: "under 150 MB"

func (p *runner) memorySection(ctx context.Context) section {
	s := section{key: "memory", title: sectionTitles["memory"]}
	p.progress("memory: serial run with GODEBUG=gctrace=1")
	godebug := "gctrace=1"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + ",gctrace=1"
	}
	sr, err := p.runSerial(ctx, "memory", false, "GODEBUG="+godebug)
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
		measured += fmt.Sprintf(" (the %d profiled serial runs: %s–%s)", len(p.serialRSS), fmtBytes(slices.Min(p.serialRSS)), fmtBytes(slices.Max(p.serialRSS)))
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

// ginkgoFloor builds testdata/floorsuite and runs it -runs times with specs specs; it returns the median window
// (wall time after set-up), the time Ginkgo itself takes to run that many specs made of the suite's nodes.
func (p *runner) ginkgoFloor(ctx context.Context, specs int) (time.Duration, error) {
	p.progress("harness: Ginkgo's floor (go test -c ./harness/cmd/perf/testdata/floorsuite, %d specs)", specs)
	bin := filepath.Join(p.work, "floor.test")
	build := child{name: "floor-build", args: []string{p.goBin, "test", "-c", "-o", bin, "./harness/cmd/perf/testdata/floorsuite"},
		dir: p.root, env: os.Environ(), timeout: 5 * time.Minute}
	if _, err := build.run(ctx, p.work); err != nil {
		return 0, err
	}
	var windows []time.Duration
	for i := 1; i <= p.opts.runs; i++ {
		report := filepath.Join(p.work, fmt.Sprintf("floor-%d.json", i))
		c := child{name: fmt.Sprintf("floor-%d", i), args: []string{bin, "-ginkgo.json-report=" + report, "-ginkgo.no-color"},
			dir: p.work, env: append(os.Environ(), fmt.Sprintf("CONFORMANCE_FLOOR_SPECS=%d", specs)), timeout: time.Minute}
		if _, err := c.run(ctx, p.work); err != nil {
			return 0, err
		}
		run, err := perf.LoadReport(report)
		if err != nil {
			return 0, fmt.Errorf("%s: reading its Ginkgo report: %w", c.describe(), err)
		}
		if len(run.Specs) != specs {
			return 0, fmt.Errorf("%s: ran %d specs, want %d", c.describe(), len(run.Specs), specs)
		}
		windows = append(windows, run.Window())
	}
	slices.Sort(windows)
	return windows[(len(windows)-1)/2], nil
}
