package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/pi-conformance/suite/harness/perf"
)

// userCommandRows measures what a user waits for: the whole command the README gives, `go tool ginkgo run -p
// --procs P ./suites/...`, run from the module root with a warm build cache (a first run warms it: ginkgo links with
// its own -ldflags), once with the delay and once without; and the parts of its fixed cost that happen before any
// suite process starts: `go tool` locating the ginkgo CLI, and ginkgo's compile step (`go test -c`, as ginkgo runs
// it), with and without the vet pass go test runs by default.
//
// It is long because it measures the steps of one command in order and writes one row each.
func (p *runner) userCommandRows(ctx context.Context, bound time.Duration, procs int) []row {
	cmdline := fmt.Sprintf("go tool ginkgo run -p --procs %d ./suites/...", procs)
	run := func(name string, delay time.Duration, extra ...string) (time.Duration, perf.Run, error) {
		report := filepath.Join(p.work, name+".json")
		// --json-report only adds the merged report file ginkgo writes at the end (a few ms); it gives the
		// request count of this very run.
		c := child{
			name:    name,
			args:    slices.Concat([]string{p.goBin, "tool", "ginkgo", "run", "-p", "--procs", strconv.Itoa(procs), "--json-report=" + report}, extra, []string{"./suites/..."}),
			dir:     p.root,
			env:     p.suiteEnv(name, "CONFORMANCE_REFERENCE_DELAY="+delay.String()),
			timeout: 5 * time.Minute,
		}
		res, err := c.run(ctx, p.work)
		var ee *exitError
		if err != nil && !errors.As(err, &ee) {
			return 0, perf.Run{}, err
		}
		r, rerr := perf.LoadReport(report)
		if rerr != nil {
			if err == nil {
				err = fmt.Errorf("%s: reading its Ginkgo report: %w", c.describe(), rerr)
			}
			return 0, perf.Run{}, err
		}
		return res.wall, r, nil
	}
	fail := func(err error) []row {
		return []row{{figure: "The whole command a user runs (`" + cmdline + "`)", measured: "**error**: " + firstLine(err.Error()), goal: "≤ " + fmtX(goalBoundRatio), met: verdict(false)}}
	}

	p.progress("latency: warming the build cache: %s", cmdline)
	if _, _, err := run("user-warmup", 0); err != nil {
		return fail(err)
	}
	p.progress("latency: %s, no delay", cmdline)
	zeroWall, zeroRun, err := run("user-zero", 0)
	if err != nil {
		return fail(err)
	}
	p.progress("latency: %s with CONFORMANCE_REFERENCE_DELAY=%s", cmdline, p.opts.delay)
	wall, delayed, err := run("user-delayed", p.opts.delay)
	if err != nil {
		return fail(err)
	}
	reqs := delayed.Totals().Requests
	userBound := perf.Bound(reqs, p.opts.delay, procs)
	ratio := perf.Ratio(float64(wall), float64(userBound))
	rows := []row{
		{
			figure: fmt.Sprintf("The whole command a user runs, `%s` from the repository root, warm build cache, %s added to every reference response", cmdline, p.opts.delay),
			measured: fmt.Sprintf("%s for %d requests: **%s** the bound (%d × %s / %d = %s)",
				fmtDur(wall), reqs, fmtX(ratio), reqs, p.opts.delay, procs, fmtDur(userBound)),
			goal: "≤ " + fmtX(goalBoundRatio),
			met:  verdict(ratio <= goalBoundRatio),
		},
		{
			figure: "The same command with no delay: its fixed cost (tool lookup, compile step, process start-up, reports)",
			measured: fmt.Sprintf("%s, of which the suite processes' merged report (first process start → report end) %s",
				fmtDur(zeroWall), fmtDur(zeroRun.Wall())),
		},
	}

	p.progress("latency: the same with --vet=off")
	if w, r, err := run("user-delayed-novet", p.opts.delay, "--vet=off"); err == nil {
		b := perf.Bound(r.Totals().Requests, p.opts.delay, procs)
		rows = append(rows, row{
			figure:   "The same delayed command with ginkgo's `--vet=off` (no vet pass in the compile step; the suite's own tests vet it)",
			measured: fmt.Sprintf("%s for %d requests: %s the bound", fmtDur(w), r.Totals().Requests, fmtX(perf.Ratio(float64(w), float64(b)))),
		})
	}

	// The steps before a suite process starts, each timed alone (median of 3 runs).
	median := func(name string, dir string, args ...string) (time.Duration, error) {
		var ds []time.Duration
		for i := range 3 {
			c := child{name: fmt.Sprintf("%s-%d", name, i), args: args, dir: dir, env: p.suiteEnv(name), timeout: 5 * time.Minute}
			res, err := c.run(ctx, p.work)
			if err != nil {
				return 0, err
			}
			ds = append(ds, res.wall)
		}
		slices.Sort(ds)
		return ds[1], nil
	}
	lookup, err := median("tool-lookup", p.root, p.goBin, "tool", "-n", "ginkgo")
	if err != nil {
		return append(rows, row{figure: "Before the suite starts", measured: "**error**: " + firstLine(err.Error())})
	}
	pkg := filepath.Join(p.root, "suites", "cancel")
	out := filepath.Join(p.work, "ginkgo-like.test")
	compile, err := median("compile", pkg, p.goBin, "test", "-c", "./", "--ldflags=-w -s", "--o="+out)
	if err != nil {
		return append(rows, row{figure: "Before the suite starts", measured: "**error**: " + firstLine(err.Error())})
	}
	noVet, err := median("compile-novet", pkg, p.goBin, "test", "-c", "-vet=off", "./", "--ldflags=-w -s", "--o="+out)
	if err != nil {
		return append(rows, row{figure: "Before the suite starts", measured: "**error**: " + firstLine(err.Error())})
	}
	rows = append(rows, row{
		figure: "Before any suite process starts (each step timed alone, warm cache, median of 3)",
		measured: fmt.Sprintf("`go tool -n ginkgo` (the go command checking the tool is up to date) %s · ginkgo's compile step `go test -c ./suites/cancel --ldflags=\"-w -s\"` %s, of which the vet pass go test runs by default %s (%s with -vet=off)",
			fmtDur(lookup), fmtDur(compile), fmtDur(compile-noVet), fmtDur(noVet)),
	})
	return rows
}
