// Command compat compares conformance runs side by side: several results.json files (written by harness/report),
// the first one listed first. With -gate it is a CI gate: the later runs are builds of one target, judged against
// the first (the baseline).
//
// Usage (from the repository root):
//
//	go run ./harness/cmd/compat [-md | -json] [-only-diff] A/results.json B/results.json [...]
//	go run ./harness/cmd/compat -gate [-expect FILE] [-accept ID]... [-strict] [-allow-*-change] BASE/results.json NEW/results.json [...]
//
// A directory stands for its results.json. Checks are matched by their id only (results.json's "id"); a check one
// run reports and another does not is listed by id and text as missing or new. The output (Markdown by default) has
// a summary per run (target, profile, versions, score, conformance index, counts per outcome), the gate's verdict in
// gate mode, the results matrix with every run's outcome per cell, the missing and new checks, and one row per check
// with each run's outcome.
//
// Without -gate the runs are compared, not judged (typically different vendors): the exit status is 0 whatever the
// outcomes. With -gate, each later run fails the gate when, against the baseline:
//
//   - a check that passed is failed, errored, disabled, skipped, blocked or missing (a regression);
//   - a check that failed or errored is disabled, skipped, blocked or missing (a hidden failure);
//   - the profile, the Stripe-Version (meta stripe_version) or the pinned spec version (meta spec_version) changed,
//     unless -allow-profile-change, -allow-stripe-version-change or -allow-spec-change allows it;
//   - the conformance index (applicable / all checks) dropped, counting the checks excused below with their
//     baseline outcome.
//
// A check skipped by the suite for timing reasons (skip_kind "timing" in results.json) is never a regression. A check
// listed in the expectations file (-expect) or with -accept is excused: its regression, or its failure, is reported
// but does not fail the gate, until the entry's expiry date has passed; then the check fails the gate (saying the
// entry expired) for as long as it does not pass, even when it failed in the baseline too. An entry whose check now
// passes in every later run ("remove it from the expectations file") and an entry whose id no run reports are
// reported; with -strict they fail the gate.
//
// The expectations file is YAML (JSON is valid YAML too); every entry needs id, reason and expires (the last day it
// holds, YYYY-MM-DD, UTC); text is optional, for people (matching is by id only); unknown keys are errors:
//
//	expectations:
//	  - id: cancel-requires-capture
//	    reason: "PSP-1234: the capture race is being fixed"
//	    expires: 2026-09-30
//	    text: cancels from requires_capture   # optional
//
// An id both in the file and given with -accept keeps the file's expiry. See docs/compat.md.
//
// Exit status: 0 no gate problem (always, without -gate), 1 the gate failed, 2 a usage or input error (an unreadable
// file, an unknown outcome, a malformed expectations file).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: go run ./harness/cmd/compat [flags] A/results.json B/results.json [...]

Compares conformance runs side by side (exit 0). With -gate, runs 2 and later are builds of one target judged against
run 1: exit 1 on a regression, a hidden failure, a changed profile or version, a dropped conformance index, or an
expired expectation. A directory stands for its results.json. Exit 2 on a usage or input error.

Flags:
`

// Exit statuses.
const (
	exitOK         = 0
	exitRegression = 1
	exitUsage      = 2
)

// options are the parsed command line.
type options struct {
	md, asJSON, onlyDiff, gate bool
	expectFile                 string
	accept                     []string
	files                      []string
	gateOpts                   GateOptions
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseArgs(args, stderr)
	if !ok {
		return code
	}
	runs := make([]input, 0, len(opts.files))
	for _, f := range opts.files {
		in, err := load(f)
		if err != nil {
			fmt.Fprintf(stderr, "compat: %v\n", err)
			return exitUsage
		}
		runs = append(runs, in)
	}
	cmp := Compare(runs)
	if opts.gate {
		if opts.expectFile != "" {
			list, err := readExpectations(opts.expectFile)
			if err != nil {
				fmt.Fprintf(stderr, "compat: %v\n", err)
				return exitUsage
			}
			opts.gateOpts.Expect = list
		}
		opts.gateOpts.Expect = append(opts.gateOpts.Expect, accepted(opts.accept)...)
		opts.gateOpts.Now = time.Now()
		cmp.Mode, cmp.Gate = "gate", Judge(cmp, opts.gateOpts)
	}
	var err error
	if opts.asJSON {
		err = writeJSON(stdout, cmp, opts.onlyDiff)
	} else {
		err = writeMarkdown(stdout, cmp, opts.onlyDiff)
	}
	if err != nil {
		fmt.Fprintf(stderr, "compat: %v\n", err)
		return exitUsage
	}
	if cmp.Gate != nil && !cmp.Gate.Passed {
		writeGateSummary(stderr, cmp)
		return exitRegression
	}
	return exitOK
}

// parseArgs parses the command line. Flags may come before, between or after the files; everything after "--" is a
// file. ok is false when run should return code at once.
func parseArgs(args []string, stderr io.Writer) (o options, code int, ok bool) {
	fs := flag.NewFlagSet("compat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.md, "md", false, "write Markdown (the default)")
	fs.BoolVar(&o.asJSON, "json", false, "write JSON instead of Markdown")
	fs.BoolVar(&o.onlyDiff, "only-diff", false, "list only the checks whose outcome differs between runs")
	fs.BoolVar(&o.gate, "gate", false, "gate mode: judge runs 2 and later (builds of one target) against run 1")
	fs.StringVar(&o.expectFile, "expect", "", "expectations `file` (YAML): known failures by check id, with reason and expiry (with -gate)")
	fs.Func("accept", "accept a regression of the check with this `id` (repeatable; with -gate)", func(s string) error {
		o.accept = append(o.accept, s)
		return nil
	})
	fs.BoolVar(&o.gateOpts.Strict, "strict", false, "fail the gate on expectations whose check now passes or whose id no run reports")
	fs.BoolVar(&o.gateOpts.AllowProfile, "allow-profile-change", false, "let later runs use another profile than run 1 (with -gate)")
	fs.BoolVar(&o.gateOpts.AllowStripeVersion, "allow-stripe-version-change", false, "let later runs send another Stripe-Version than run 1 (with -gate)")
	fs.BoolVar(&o.gateOpts.AllowSpecVersion, "allow-spec-change", false, "let later runs pin another OpenAPI spec version than run 1 (with -gate)")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return o, exitOK, false
			}
			return o, exitUsage, false // the flag package has printed the problem and the usage
		}
		if rest = fs.Args(); len(rest) == 0 {
			break
		}
		o.files, rest = append(o.files, rest[0]), rest[1:]
	}
	o.files = append(o.files, tail...)
	if msg := o.problem(fs); msg != "" {
		fmt.Fprintf(stderr, "compat: %s\n", msg)
		return o, exitUsage, false
	}
	return o, exitOK, true
}

// problem checks the flags against each other.
func (o options) problem(fs *flag.FlagSet) string {
	gateOnly := []string{"expect", "accept", "strict", "allow-profile-change", "allow-stripe-version-change", "allow-spec-change"}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case o.md && o.asJSON:
		return "-md and -json are exclusive"
	case len(o.files) < 2:
		return fmt.Sprintf("need at least two results.json files to compare, got %d (see -h)", len(o.files))
	}
	if !o.gate {
		for _, name := range gateOnly {
			if set[name] {
				return "-" + name + " needs -gate"
			}
		}
	}
	return ""
}

// maxStderrFindings bounds the findings repeated on stderr (the output has them all).
const maxStderrFindings = 10

func writeGateSummary(w io.Writer, cmp *Comparison) {
	g := cmp.Gate
	fmt.Fprintf(w, "compat: gate failed: %d problem(s) against %s\n", g.Problems, cmp.Runs[0].Path)
	n := 0
	for _, rg := range g.Runs {
		for _, f := range rg.Findings {
			if !f.Fails {
				continue
			}
			if n++; n <= maxStderrFindings {
				fmt.Fprintf(w, "  run %d (%s): %s %s\n", rg.Run, rg.Label, f.Kind, oneLineFinding(f))
			}
		}
	}
	for _, v := range g.Expectations {
		if v.Fails {
			if n++; n <= maxStderrFindings {
				fmt.Fprintf(w, "  expectations: %s\n", entryText(v))
			}
		}
	}
	if n > maxStderrFindings {
		fmt.Fprintf(w, "  … and %d more (see the output)\n", n-maxStderrFindings)
	}
}

func oneLineFinding(f Finding) string {
	if f.ID == "" {
		return f.Detail
	}
	return fmt.Sprintf("%s (%q): %s", f.ID, f.Text, f.Detail)
}
