// Command sweep releases what an interrupted conformance run left behind (Ctrl-C, a CI timeout: the run's per-spec
// cleanup did not get to run). It finds the PaymentIntents and Checkout Sessions tagged
// metadata[conformance_run]=<run id> and releases them the way the suite's own cleanup does: an intent still in a
// cancelable status (labels.Cancelable) is canceled with cancellation_reason=abandoned, an open Checkout Session is
// expired (which cancels its intent). Nothing untagged is ever touched, and with -run nothing tagged with another run.
//
// Usage (from the repository root, with the suite's configuration: ginkgo.yaml and the CONFORMANCE_* variables):
//
//	go run ./harness/cmd/sweep -run 20261201T224253-a1b2c3d4e5f6 [-dry-run]
//	go run ./harness/cmd/sweep -older-than 6h [-since 720h] [-dry-run]
//
// -run sweeps one run (the suite prints its id, and says how to sweep it when interrupted); -older-than sweeps every
// run whose id (UTC start time first, see framework.NewRunID) is older than the duration. Finding: with -run, Stripe's
// search API (metadata['conformance_run']:'<id>') where the target has it, plus a listing of the last few minutes
// (search results lag writes); otherwise, and always with -older-than, a listing of the objects created in a window
// (from the run's start, or -since ago) filtered by the tag. Checkout Sessions are listed (status=open); a target
// without that list is reported as not searched. Each object is read again just before it is released, and released
// only if it still carries a selected tag and a releasable status.
//
// Safety: the suite's configuration and client are used (target, key, Stripe-Version, timeouts, rate limit,
// retries, redaction); a live-mode key is refused, and the sweep stops before changing anything if a listed object
// shows livemode: true (and at once if any later answer does). The embedded reference target lives only inside a
// suite process, so there is nothing to sweep there.
//
// Output: one line per tagged object found (id, object, status, action, result), then a summary naming how each kind
// was searched and what could not be (a target without the endpoint: reported, not a failure). Exit status: 0
// nothing failed; 1 an object could not be released, a search or listing failed or was cut short (-max-pages,
// -timeout, Ctrl-C), or livemode was seen; 2 a usage or configuration error (a live-mode key among them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/framework"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], time.Now, os.Stdout, os.Stderr))
}

// Defaults of the flags.
const (
	defaultSince    = 30 * 24 * time.Hour
	defaultMaxPages = 500
	defaultTimeout  = 30 * time.Minute
)

// run parses the flags, loads the suite's configuration and sweeps. It returns the exit status.
func run(ctx context.Context, args []string, now func() time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runID := fs.String("run", "", "sweep the objects of this run id (e.g. 20261201T224253-a1b2c3d4e5f6)")
	olderThan := fs.Duration("older-than", 0, "sweep every run whose id is older than this (e.g. 6h)")
	since := fs.Duration("since", defaultSince, "with -older-than (or without search): list objects created at most this long ago")
	dryRun := fs.Bool("dry-run", false, "list what would be done; send no write")
	noSearch := fs.Bool("no-search", false, "do not use the search API; list with a creation window instead")
	maxPages := fs.Int("max-pages", defaultMaxPages, "at most this many pages (of 100) per listing; more is reported as a failure")
	timeout := fs.Duration("timeout", defaultTimeout, "bound of the whole sweep")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./harness/cmd/sweep (-run RUN_ID | -older-than DURATION) [-dry-run] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sweep: "+format+"\n", a...)
		fs.Usage()
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected arguments: %q", fs.Args())
	}
	var sel Selector
	switch {
	case *runID != "" && *olderThan != 0:
		return usage("give -run or -older-than, not both")
	case *runID != "":
		if _, err := RunStart(*runID); err != nil {
			return usage("%v", err)
		}
		sel.RunID = *runID
	case *olderThan > 0:
		sel.Before = now().Add(-*olderThan)
	case *olderThan < 0:
		return usage("-older-than must be positive")
	default:
		return usage("give -run RUN_ID or -older-than DURATION")
	}
	if *since <= 0 || *maxPages < 1 || *timeout <= 0 {
		return usage("-since, -max-pages and -timeout must be positive")
	}

	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "sweep: %v\n", err) // config errors never contain the key
		return 2
	}
	if cfg.Embedded() {
		fmt.Fprintln(stdout, "sweep: no target configured (CONFORMANCE_TARGET_URL / target_url is empty): the suite ran against its "+
			"embedded reference target, which lived inside the suite process and is gone with it. Nothing to sweep.")
		return 0
	}
	f, err := framework.New(cfg, cfg.TargetURL, "")
	if err != nil {
		fmt.Fprintf(stderr, "sweep: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	sw := &Sweeper{
		Client: f.Client, Select: sel, Now: now, Since: *since, ClockSkew: cfg.ClockSkew.Duration,
		DryRun: *dryRun, NoSearch: *noSearch, MaxPages: *maxPages, Out: stdout,
	}
	fmt.Fprintf(stdout, "sweep: %s on %s%s\n", sel, f.TargetHost(), map[bool]string{true: " (dry run: nothing is changed)"}[*dryRun])
	res := sw.Run(ctx)
	res.Print(stdout)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		fmt.Fprintf(stdout, "sweep: stopped after -timeout %s\n", *timeout)
	}
	if res.Failed() {
		return 1
	}
	return 0
}
