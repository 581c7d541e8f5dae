package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pi-conformance/suite/harness/report"
)

// blocked is the outcome of a check that could not be set up on the target (not applicable, like skipped). The
// report package is gaining it between skipped and passed; compat already reads it.
const blocked report.Outcome = "blocked"

// skipKindTiming marks a skip the suite declares for timing reasons (racing requests that were not in flight
// together): not the target's doing, so never a regression.
const skipKindTiming = "timing"

// ladder lists the outcomes compat knows, best to worst: report.Ladder, with blocked after skipped when the report
// package does not list it yet.
func ladder() []report.Outcome {
	if slices.Contains(report.Ladder, blocked) {
		return report.Ladder
	}
	out := make([]report.Outcome, 0, len(report.Ladder)+1)
	for _, o := range report.Ladder {
		out = append(out, o)
		if o == report.Skipped {
			out = append(out, blocked)
		}
	}
	return out
}

// emoji is the outcome's symbol: the report package's, or one for blocked while the report package lacks it.
func emoji(o report.Outcome) string {
	if e := o.Emoji(); e != "?" || o != blocked {
		return e
	}
	return "⛔"
}

// check is one check of a results.json as compat reads it: report.Check plus the fields compat needs that the report
// package may not have yet.
type check struct {
	report.Check
	// SkipKind is "timing" for a suite-declared timing skip.
	SkipKind string `json:"skip_kind,omitempty"`
}

// resultsFile is a results.json as compat reads it. Its Checks shadow report.Results.Checks.
type resultsFile struct {
	report.Results
	Checks []check `json:"checks"`
}

// input is one loaded run.
type input struct {
	path string
	res  *resultsFile
}

// resolve maps a directory to the results.json inside it.
func resolve(arg string) string {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return filepath.Join(arg, report.ResultsFile)
	}
	return arg
}

// load reads one results.json. It checks what report.Load checks, but accepts every outcome compat knows (blocked
// too) and refuses any other with a message naming the check.
func load(arg string) (input, error) {
	path := resolve(arg)
	data, err := os.ReadFile(path)
	if err != nil {
		return input{}, err
	}
	var res resultsFile
	if err := json.Unmarshal(data, &res); err != nil {
		return input{}, fmt.Errorf("%s: not a conformance results file: %w", path, err)
	}
	if res.SchemaVersion == 0 || res.Checks == nil && res.Matrix.Rows == nil {
		return input{}, fmt.Errorf("%s: not a conformance results file (no schema_version, checks or matrix)", path)
	}
	if res.SchemaVersion > report.SchemaVersion {
		return input{}, fmt.Errorf("%s: results format version %d is newer than this tool understands (%d)", path, res.SchemaVersion, report.SchemaVersion)
	}
	known := ladder()
	for i := range res.Checks {
		c := &res.Checks[i]
		if !slices.Contains(known, c.Outcome) {
			return input{}, fmt.Errorf("%s: check %s (%q) has outcome %q, which this compat does not know (it knows %s): update harness/cmd/compat",
				path, c.ID, c.Text, c.Outcome, outcomeList(known))
		}
		if c.ID == "" { // not written by any version of the report package; keep such a file readable
			c.ID = report.CheckID(c.Text)
		}
	}
	return input{path: path, res: &res}, nil
}

func outcomeList(os []report.Outcome) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// timingSkip reports whether the check was skipped by the suite for timing reasons.
func (c check) timingSkip() bool { return c.Outcome == report.Skipped && c.SkipKind == skipKindTiming }
