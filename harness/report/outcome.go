package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
)

// Outcome places a check on the ladder Disabled < Skipped < Blocked < Passed < Failed < Errored. Outcomes compare
// by value: a higher outcome is worse, and a matrix cell shows the worst (highest) outcome of its checks.
//
// The zero value, NoOutcome, is not on the ladder: it is the outcome of nothing (an empty cell, a check that a run
// did not report). It ranks below Disabled and encodes as "".
type Outcome uint8

// The outcomes, from best to worst.
const (
	// NoOutcome is the zero value: no check. Load refuses it for a check.
	NoOutcome Outcome = iota
	// Disabled: the active profile turns the capability off (Skip with labels.PrefixDisabled or the entry
	// labels.EntryDisabled).
	Disabled
	// Skipped: any other skip, a pending spec, or a spec filtered out by --focus/--label-filter.
	Skipped
	// Blocked: the check could not reach its starting point (a status the drivers could not bring a fresh intent
	// into, or a set-up step the target refused): Skip with labels.PrefixBlocked or the entry labels.EntryBlocked.
	// It is not applicable (the conformance index drops) and it fails the run.
	Blocked
	// Passed: the target conformed.
	Passed
	// Failed: the target misbehaved.
	Failed
	// Errored: the suite broke or the target was unreachable (labels.PrefixErrored, the entry
	// labels.EntryOutcome = "errored", or a panicked, interrupted, aborted or timed-out spec).
	Errored
	// NumOutcomes is the length of an array indexed by outcome (NoOutcome included, at index 0).
	NumOutcomes
)

// Ladder lists the outcomes from best to worst.
var Ladder = []Outcome{Disabled, Skipped, Blocked, Passed, Failed, Errored}

// outcomeInfo is what each outcome renders as, indexed by outcome.
var outcomeInfo = [NumOutcomes]struct{ name, title, emoji, letter string }{
	NoOutcome: {"", "", "·", ""},
	Disabled:  {"disabled", "Disabled", "🚫", "D"},
	Skipped:   {"skipped", "Skipped", "⏭", "S"},
	Blocked:   {"blocked", "Blocked", "🧱", "B"},
	Passed:    {"passed", "Passed", "✅", "P"},
	Failed:    {"failed", "Failed", "❌", "F"},
	Errored:   {"errored", "Errored", "💥", "E"},
}

// Valid reports whether o is an outcome of the ladder (not NoOutcome, not out of range).
func (o Outcome) Valid() bool { return o > NoOutcome && o < NumOutcomes }

// String is the outcome's lower-case name ("passed"), "" for NoOutcome.
func (o Outcome) String() string {
	if o >= NumOutcomes {
		return fmt.Sprintf("Outcome(%d)", uint8(o))
	}
	return outcomeInfo[o].name
}

// Title is the outcome's name, capitalised.
func (o Outcome) Title() string {
	if o >= NumOutcomes {
		return o.String()
	}
	return outcomeInfo[o].title
}

// Emoji is the outcome's symbol in Markdown.
func (o Outcome) Emoji() string {
	if o >= NumOutcomes {
		return "?"
	}
	return outcomeInfo[o].emoji
}

// Letter is a one-letter code for the outcome (D, S, B, P, F, E), shown in the HTML matrix next to the colour so
// that the cell reads without it.
func (o Outcome) Letter() string {
	if o >= NumOutcomes {
		return "?"
	}
	return outcomeInfo[o].letter
}

// ParseOutcome is the inverse of String ("" gives NoOutcome).
func ParseOutcome(s string) (Outcome, error) {
	for o := NoOutcome; o < NumOutcomes; o++ {
		if outcomeInfo[o].name == s {
			return o, nil
		}
	}
	return NoOutcome, fmt.Errorf("unknown outcome %q", s)
}

// MarshalJSON encodes the outcome as its lower-case name.
func (o Outcome) MarshalJSON() ([]byte, error) {
	if o >= NumOutcomes {
		return nil, fmt.Errorf("report: cannot encode %s", o)
	}
	return json.Marshal(o.String())
}

// UnmarshalJSON decodes a lower-case name; an unknown name is an error.
func (o *Outcome) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("outcome: %w", err)
	}
	v, err := ParseOutcome(s)
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// Applicable reports whether the outcome counts towards the score (passed, failed or errored).
func (o Outcome) Applicable() bool { return o == Passed || o == Failed || o == Errored }

// Bad reports whether the outcome is a failure or an error.
func (o Outcome) Bad() bool { return o == Failed || o == Errored }

// FailsRun reports whether a check with this outcome fails the run: failed, errored or blocked.
func (o Outcome) FailsRun() bool { return o.Bad() || o == Blocked }

// Worse returns the worse of a and b on the ladder.
func Worse(a, b Outcome) Outcome { return max(a, b) }

// IsCheck reports whether a spec report is a check of the suite (an It), as opposed to a suite-level node.
func IsCheck(sr types.SpecReport) bool { return sr.LeafNodeType == types.NodeTypeIt }

// Classify places one spec report on the ladder.
func Classify(sr types.SpecReport) Outcome {
	msg := strings.TrimLeft(sr.Failure.Message, " \t\r\n")
	switch {
	case sr.State.Is(types.SpecStatePassed):
		return Passed
	case sr.State.Is(types.SpecStateSkipped):
		switch {
		case strings.HasPrefix(msg, labels.PrefixDisabled):
			return Disabled
		case strings.HasPrefix(msg, labels.PrefixBlocked) || hasEntry(sr, labels.EntryBlocked):
			return Blocked
		case hasEntry(sr, labels.EntryDisabled):
			return Disabled
		}
		return Skipped
	case sr.State.Is(types.SpecStatePending):
		return Skipped
	case sr.State.Is(types.SpecStateFailed):
		if strings.HasPrefix(msg, labels.PrefixErrored) || entryString(sr, labels.EntryOutcome) == "errored" {
			return Errored
		}
		return Failed
	default:
		// Panicked, interrupted, aborted, timed out — and the invalid zero state, which only a broken suite produces.
		return Errored
	}
}

func hasEntry(sr types.SpecReport, name string) bool {
	return slices.ContainsFunc(sr.ReportEntries, func(e types.ReportEntry) bool { return e.Name == name })
}

// entryString returns the string value of the first entry with the given name ("" if there is none).
func entryString(sr types.SpecReport, name string) string {
	for _, e := range sr.ReportEntries {
		if e.Name == name {
			return strings.TrimSpace(entryText(e))
		}
	}
	return ""
}

// entryText returns a report entry's value as text. In-process the raw value is what AddReportEntry was given; in a
// merged parallel report (and in a report read back from JSON) it is the JSON-decoded value, with AsJSON alongside.
// A string value is returned as is; anything else as its JSON encoding.
func entryText(e types.ReportEntry) string {
	switch v := e.Value.GetRawValue().(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		if e.Value.AsJSON != "" {
			var s string
			if json.Unmarshal([]byte(e.Value.AsJSON), &s) == nil {
				return s
			}
			if e.Value.AsJSON != "null" {
				return e.Value.AsJSON
			}
		}
		return e.Value.Representation
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return e.Value.String()
		}
		return string(b)
	}
}
