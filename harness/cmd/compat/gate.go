package main

import (
	"fmt"
	"time"

	"github.com/pi-conformance/suite/harness/report"
)

// GateOptions tunes the gate.
type GateOptions struct {
	// AllowProfile, AllowStripeVersion and AllowSpecVersion let a later run use another profile, Stripe-Version or
	// pinned spec version than the baseline.
	AllowProfile, AllowStripeVersion, AllowSpecVersion bool
	// Strict fails the gate on expectations that name no check or a check that now passes.
	Strict bool
	// Expect lists the expectations (file entries and -accept ids).
	Expect []Expectation
	// Now decides which expectations have expired.
	Now time.Time
}

// Gate is the verdict of gate mode: every later run judged against the first.
type Gate struct {
	Passed bool `json:"passed"`
	// Problems counts the findings that fail the gate, over all runs and expectations.
	Problems     int            `json:"problems"`
	Runs         []RunGate      `json:"runs"`
	Expectations []EntryVerdict `json:"expectations,omitempty"`
}

// RunGate is one later run's verdict.
type RunGate struct {
	Run      int       `json:"run"` // 1-based
	Label    string    `json:"label"`
	Problems int       `json:"problems"`
	Findings []Finding `json:"findings"`
}

// Finding kinds.
const (
	kindProfile       = "profile-changed"
	kindStripeVersion = "stripe-version-changed"
	kindSpecVersion   = "spec-version-changed"
	kindIndexDrop     = "index-dropped"
	kindRegression    = "regression"     // passed in the baseline, anything else (or missing) now
	kindHidden        = "hidden-failure" // failed or errored in the baseline, not applicable (or missing) now
	kindTiming        = "timing-skip"    // a suite-declared timing skip: never a regression
	kindKnown         = "known-failure"  // excused by an expectation that has not expired
	kindExpired       = "expired"        // the expectation excusing a check that does not pass has expired
)

// Finding is one thing the gate noticed in a later run; Fails says whether it fails the gate.
type Finding struct {
	Kind  string `json:"kind"`
	Fails bool   `json:"fails"`
	ID    string `json:"id,omitempty"`
	Text  string `json:"text,omitempty"`
	// From and To are the check's outcomes in the baseline and in this run ("" = not reported).
	From   report.Outcome `json:"from,omitempty"`
	To     report.Outcome `json:"to,omitempty"`
	Detail string         `json:"detail"`
}

// EntryVerdict says what became of one expectation.
type EntryVerdict struct {
	Expectation
	// State is "in-use", "expired", "now-passing" (remove it from the file) or "unknown-id".
	State string `json:"state"`
	Fails bool   `json:"fails"`
}

// Judge runs the gate over a comparison: later runs against the first.
func Judge(cmp *Comparison, opts GateOptions) *Gate {
	g := &Gate{}
	exp := expectationIndex(opts.Expect)
	for i := 1; i < len(cmp.Runs); i++ {
		rg := RunGate{Run: i + 1, Label: cmp.Runs[i].Label}
		rg.Findings = judgeMeta(cmp.Runs[0], cmp.Runs[i], opts)
		excused := map[string]bool{}
		for j := range cmp.Checks {
			f, ok := judgeCheck(&cmp.Checks[j], i, exp[cmp.Checks[j].ID], opts.Now)
			if !ok {
				continue
			}
			if !f.Fails {
				excused[f.ID] = true
			}
			rg.Findings = append(rg.Findings, f)
		}
		if f, ok := judgeIndex(cmp.Checks, i, excused); ok {
			rg.Findings = append(rg.Findings, f)
		}
		for _, f := range rg.Findings {
			if f.Fails {
				rg.Problems++
			}
		}
		g.Problems += rg.Problems
		g.Runs = append(g.Runs, rg)
	}
	g.Expectations = judgeEntries(cmp.Checks, opts)
	for _, v := range g.Expectations {
		if v.Fails {
			g.Problems++
		}
	}
	g.Passed = g.Problems == 0
	return g
}

// judgeMeta fails on a change of profile, Stripe-Version or pinned spec version that no flag allows.
func judgeMeta(base, later Run, opts GateOptions) []Finding {
	var out []Finding
	for _, m := range []struct {
		kind, name, flag, from, to string
		allowed                    bool
	}{
		{kindProfile, "profile", "-allow-profile-change", base.Profile, later.Profile, opts.AllowProfile},
		{kindStripeVersion, "Stripe-Version", "-allow-stripe-version-change", base.StripeVersion, later.StripeVersion, opts.AllowStripeVersion},
		{kindSpecVersion, "pinned spec version", "-allow-spec-change", base.SpecVersion, later.SpecVersion, opts.AllowSpecVersion},
	} {
		if m.from == m.to {
			continue
		}
		d := fmt.Sprintf("%s changed: %s → %s", m.name, orDash(m.from), orDash(m.to))
		if m.allowed {
			d += " (allowed by " + m.flag + ")"
		} else {
			d += " (the runs are not comparable; allow it with " + m.flag + ")"
		}
		out = append(out, Finding{Kind: m.kind, Fails: !m.allowed, Detail: d})
	}
	return out
}

// judgeCheck judges one check of run i against the baseline; ok is false when there is nothing to say.
func judgeCheck(r *Row, i int, e *Expectation, now time.Time) (f Finding, ok bool) {
	base, o := r.Outcomes[0], r.Outcomes[i]
	f = Finding{ID: r.ID, Text: r.Text, From: base, To: o}
	worse := ""
	switch {
	case base == report.Passed && o != report.Passed:
		worse = kindRegression
	case base.Bad() && !o.Applicable():
		worse = kindHidden
	}
	switch {
	case worse != "" && o == report.Skipped && r.SkipKinds != nil && r.SkipKinds[i] == skipKindTiming:
		f.Kind, f.Detail = kindTiming, "skipped by the suite for timing reasons: not a regression"
	case e != nil && o != report.Passed && e.expired(now):
		f.Kind, f.Fails = kindExpired, true
		f.Detail = fmt.Sprintf("%s; its expectation expired on %s (%s): fix it or renew the entry in %s", change(base, o), e.Expires, e.Reason, e.Source)
	case e != nil && (worse != "" || o.Bad()):
		f.Kind, f.Detail = kindKnown, fmt.Sprintf("%s; excused: %s", change(base, o), e.Reason)
		if e.Expires != "" {
			f.Detail += " (until " + e.Expires + ")"
		}
	case worse == kindRegression:
		f.Kind, f.Fails, f.Detail = worse, true, change(base, o)+": it passed in the baseline"
	case worse == kindHidden:
		f.Kind, f.Fails, f.Detail = worse, true, change(base, o)+": a failure of the baseline no longer runs"
	default:
		return f, false
	}
	return f, true
}

// change describes an outcome change; "" is a check the run did not report.
func change(from, to report.Outcome) string {
	name := func(o report.Outcome) string {
		if o == report.NoOutcome {
			return "missing"
		}
		return o.String()
	}
	return name(from) + " → " + name(to)
}

// judgeIndex fails when run i's conformance index (applicable / all checks) is below the baseline's once excused
// checks count with their baseline outcome. Both are counted from the checks, so they include blocked.
func judgeIndex(rows []Row, i int, excused map[string]bool) (Finding, bool) {
	var baseAppl, baseAll, rawAppl, rawAll, adjAppl, adjAll int
	for _, r := range rows {
		base, o := r.Outcomes[0], r.Outcomes[i]
		count(base, &baseAppl, &baseAll)
		count(o, &rawAppl, &rawAll)
		if excused[r.ID] && base != report.NoOutcome {
			o = base
		}
		count(o, &adjAppl, &adjAll)
	}
	if baseAll == 0 || adjAll == 0 || adjAppl*baseAll >= baseAppl*adjAll {
		return Finding{}, false
	}
	d := fmt.Sprintf("conformance index dropped: %s (%d/%d) → %s (%d/%d)", pct(baseAppl, baseAll), baseAppl, baseAll, pct(rawAppl, rawAll), rawAppl, rawAll)
	if adjAppl != rawAppl || adjAll != rawAll {
		d += fmt.Sprintf(", %s counting excused checks as in the baseline", pct(adjAppl, adjAll))
	}
	return Finding{Kind: kindIndexDrop, Fails: true, Detail: d + ": fewer of the checks apply"}, true
}

func count(o report.Outcome, appl, all *int) {
	if o == report.NoOutcome {
		return
	}
	*all++
	if o.Applicable() {
		*appl++
	}
}

func pct(n, d int) string {
	if d == 0 {
		return report.Pct(nil)
	}
	v := float64(n) / float64(d)
	return report.Pct(&v)
}

// judgeEntries reports expectations that name no check, and checks that now pass in every later run reporting them
// (the entry should go); with strict, both fail the gate.
func judgeEntries(rows []Row, opts GateOptions) []EntryVerdict {
	byID := rowsByID(rows)
	var out []EntryVerdict
	for _, e := range opts.Expect {
		v := EntryVerdict{Expectation: e, State: "in-use"}
		r := byID[e.ID]
		switch {
		case r == nil:
			v.State, v.Fails = "unknown-id", opts.Strict
		case passesLater(r):
			v.State, v.Fails = "now-passing", opts.Strict
		case e.expired(opts.Now):
			v.State = "expired"
		}
		out = append(out, v)
	}
	return out
}

// passesLater reports whether the check passes in every later run that reports it, and at least one does.
func passesLater(r *Row) bool {
	seen := false
	for _, o := range r.Outcomes[1:] {
		if o == report.NoOutcome {
			continue
		}
		if o != report.Passed {
			return false
		}
		seen = true
	}
	return seen
}
