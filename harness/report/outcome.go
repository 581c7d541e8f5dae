package report

import (
	"encoding/json"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
)

// Outcome places a check on the ladder Disabled < Skipped < Passed < Failed < Errored. A matrix cell shows the
// worst (highest) outcome of its checks.
type Outcome string

// The outcomes, from best to worst.
const (
	// Disabled: the active profile turns the capability off (Skip with labels.PrefixDisabled or the entry
	// labels.EntryDisabled).
	Disabled Outcome = "disabled"
	// Skipped: any other skip, a pending spec, or a spec filtered out by --focus/--label-filter.
	Skipped Outcome = "skipped"
	// Passed: the target conformed.
	Passed Outcome = "passed"
	// Failed: the target misbehaved.
	Failed Outcome = "failed"
	// Errored: the suite broke or the target was unreachable (labels.PrefixErrored, the entry
	// labels.EntryOutcome = "errored", or a panicked, interrupted, aborted or timed-out spec).
	Errored Outcome = "errored"
)

// Ladder lists the outcomes from best to worst.
var Ladder = []Outcome{Disabled, Skipped, Passed, Failed, Errored}

// Rank is the outcome's position on the ladder (0 for Disabled … 4 for Errored, -1 for an unknown outcome).
func (o Outcome) Rank() int {
	for i, l := range Ladder {
		if l == o {
			return i
		}
	}
	return -1
}

// Applicable reports whether the outcome counts towards the score (passed, failed or errored).
func (o Outcome) Applicable() bool { return o == Passed || o == Failed || o == Errored }

// Bad reports whether the outcome is a failure or an error.
func (o Outcome) Bad() bool { return o == Failed || o == Errored }

// Worse returns the worse of a and b on the ladder.
func Worse(a, b Outcome) Outcome {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// Letter is a one-letter code for the outcome (D, S, P, F, E).
func (o Outcome) Letter() string {
	switch o {
	case Disabled:
		return "D"
	case Skipped:
		return "S"
	case Passed:
		return "P"
	case Failed:
		return "F"
	case Errored:
		return "E"
	}
	return "?"
}

// Emoji is the outcome's symbol in Markdown.
func (o Outcome) Emoji() string {
	switch o {
	case Disabled:
		return "🚫"
	case Skipped:
		return "⏭"
	case Passed:
		return "✅"
	case Failed:
		return "❌"
	case Errored:
		return "💥"
	}
	return "?"
}

// Title is the outcome's name, capitalised.
func (o Outcome) Title() string {
	if o == "" {
		return ""
	}
	return strings.ToUpper(string(o[:1])) + string(o[1:])
}

// IsCheck reports whether a spec report is a check of the suite (an It), as opposed to a suite-level node.
func IsCheck(sr types.SpecReport) bool { return sr.LeafNodeType == types.NodeTypeIt }

// Classify places one spec report on the ladder.
func Classify(sr types.SpecReport) Outcome {
	msg := strings.TrimLeft(sr.Failure.Message, " \t\r\n")
	switch {
	case sr.State.Is(types.SpecStatePassed):
		return Passed
	case sr.State.Is(types.SpecStateSkipped):
		if strings.HasPrefix(msg, labels.PrefixDisabled) || hasEntry(sr, labels.EntryDisabled) {
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
	for _, e := range sr.ReportEntries {
		if e.Name == name {
			return true
		}
	}
	return false
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
