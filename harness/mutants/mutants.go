// Package mutants proves the conformance suite: it is a registry of deliberately broken variants of the reference
// target (harness/reference), each a realistic defect, a benign disturbance, or a transport fault.
//
// Every variant is built around a fresh *reference.Server without touching the reference's code: as HTTP middleware
// (Wrap with a Step that edits requests, responses or both), through reference.Options (e.g. CancelableStatuses), or
// by changing stored state through the reference's exported hooks (Intent/UpdateIntent, Charge/UpdateCharge,
// RefundsForIntent/UpdateRefund/DeleteRefund, IntentObject).
//
// The self-test (selftest_test.go) builds the suite once, runs it against every variant and asserts that
//   - every Defect makes at least one spec fail, and among the failing specs are specs of each clause (check label)
//     the defect breaks;
//   - every Benign disturbance passes with no failure (a failure would be a false alarm);
//   - every Fault ends in clean, named failures (Errored for transport faults) within a time bound.
//
// Adding a mutant is one entry in Defects, Disturbances or Faults.
package mutants

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/reference"
)

// Kind says what a run against a mutant must show.
type Kind int

// Kinds of mutant.
const (
	// Defect breaks a clause of the contract: the suite must fail, for the right reason.
	Defect Kind = iota + 1
	// Benign changes nothing the contract cares about: the suite must pass.
	Benign
	// Fault breaks the transport or the target as a whole: the suite must fail cleanly and quickly, never hang or panic.
	Fault
)

func (k Kind) String() string {
	switch k {
	case Defect:
		return "defect"
	case Benign:
		return "benign"
	case Fault:
		return "fault"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Mutant is one variant of the reference target.
type Mutant struct {
	// Name is short, unique and usable as a directory name.
	Name string
	// Description is the realistic defect or disturbance, one line.
	Description string
	Kind        Kind
	// Checks are the check label values (harness/labels.Checks) of the clauses a Defect breaks: at least one
	// failing spec must carry each of them.
	Checks []string
	// CrossCutting says why a Defect reaches more than one clause (a status the whole API spells wrong; a race loser
	// that gets the same wrong error as every refused operation). Every other defect is localized: it breaks the one
	// clause Checks names, and the self-test requires that no check outside it fails (no collateral). A
	// cross-cutting defect's collateral is counted and shown, not asserted; it must name all its Checks.
	CrossCutting string
	// Statuses narrows where a localized defect must show: the rows (starting statuses) of its failing checks, e.g.
	// the reach check of the one status a target cannot reach.
	Statuses []string
	// Aborts marks a Defect that must abort the whole run (AbortSuite) rather than fail specs.
	Aborts bool
	// Errored marks a Fault whose failures must be Errored (transport: labels.PrefixErrored) rather than Failed.
	Errored bool
	// LabelFilter narrows the specs run against the mutant (Ginkgo label filter), to keep slow faults short.
	LabelFilter string
	// KnownGap documents a Defect the suite is known not to detect: which spec should catch it, why it does not,
	// and the proposed spec change. The self-test reports it as undetected instead of failing, and fails once the
	// suite detects it (then delete the KnownGap).
	KnownGap string
	// Changes lists, for a Benign disturbance, the checks (by id) whose outcome it may change from the baseline run
	// against the plain reference, and to what (e.g. a Checkout Session without a PaymentIntent turns its check into
	// "skipped"). Any other change is a false alarm.
	Changes map[string]string
	// Options adjusts the options the reference is built with.
	Options func(o *reference.Options)
	// New returns the handler serving the mutant around a fresh reference; nil serves the reference as it is.
	New func(ref *reference.Server) http.Handler
}

// Handler builds a fresh reference (with Options applied) and the mutant around it.
func (m Mutant) Handler() http.Handler {
	var opts reference.Options
	if m.Options != nil {
		m.Options(&opts)
	}
	ref := reference.New(opts)
	if m.New == nil {
		return ref
	}
	return m.New(ref)
}

// All returns every mutant: defects, then benign disturbances, then faults.
func All() []Mutant {
	return slices.Concat(Defects(), fidelityDefects(), attributionDefects(), eventDefects(), Disturbances(), fidelityDisturbances(), eventDisturbances(), Faults())
}

// Validate checks the registry: unique names, known check labels, and an expectation for every defect.
func Validate(ms []Mutant) error {
	seen := map[string]bool{}
	for _, m := range ms {
		switch {
		case m.Name == "":
			return fmt.Errorf("a mutant has no name")
		case seen[m.Name]:
			return fmt.Errorf("mutant %q is registered twice", m.Name)
		case m.Description == "":
			return fmt.Errorf("mutant %q has no description", m.Name)
		case m.Kind != Defect && m.Kind != Benign && m.Kind != Fault:
			return fmt.Errorf("mutant %q has no kind", m.Name)
		case m.Kind == Defect && len(m.Checks) == 0 && !m.Aborts:
			return fmt.Errorf("defect %q names no check label it breaks", m.Name)
		case m.Kind == Defect && len(m.Checks) > 1 && m.CrossCutting == "":
			return fmt.Errorf("defect %q names %d clauses: say why it is CrossCutting, or split it", m.Name, len(m.Checks))
		case m.Kind != Defect && m.CrossCutting != "":
			return fmt.Errorf("mutant %q: only defects are CrossCutting", m.Name)
		case m.Kind != Benign && len(m.Changes) > 0:
			return fmt.Errorf("mutant %q: only benign disturbances declare Changes", m.Name)
		case m.Kind != Defect && (len(m.Checks) > 0 || m.Aborts || m.KnownGap != ""):
			return fmt.Errorf("mutant %q: only defects have Checks, Aborts or KnownGap", m.Name)
		case m.Kind != Fault && m.Errored:
			return fmt.Errorf("mutant %q: only faults can be Errored", m.Name)
		}
		seen[m.Name] = true
		for _, ch := range m.Checks {
			if err := labels.Validate(labels.FamilyCheck + ":" + ch); err != nil {
				return fmt.Errorf("mutant %q: %w", m.Name, err)
			}
		}
	}
	return nil
}

// Steps is the common constructor: the mutant is Wrap(ref, Chain(steps...)).
func Steps(steps ...Step) func(ref *reference.Server) http.Handler {
	return func(ref *reference.Server) http.Handler { return Wrap(ref, Chain(steps...)) }
}

// PerRun builds per-run state (counters, caches) for each fresh reference: build returns the steps.
func PerRun(build func(ref *reference.Server) []Step) func(ref *reference.Server) http.Handler {
	return func(ref *reference.Server) http.Handler { return Wrap(ref, Chain(build(ref)...)) }
}

// Localized reports whether the defect must stay within its one clause.
func (m Mutant) Localized() bool { return m.Kind == Defect && !m.Aborts && m.CrossCutting == "" }
