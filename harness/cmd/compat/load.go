package main

import (
	"os"
	"path/filepath"

	"github.com/pi-conformance/suite/harness/report"
)

// skipKindTiming marks a skip the suite declares for timing reasons (racing requests that were not in flight
// together): not the target's doing, so never a regression.
const skipKindTiming = "timing"

// ladder lists the outcomes, best to worst.
func ladder() []report.Outcome { return report.Ladder }

func emoji(o report.Outcome) string { return o.Emoji() }

// check is one check of a results.json.
type check = report.Check

// resultsFile is a results.json.
type resultsFile = report.Results

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

// load reads one results.json (report.Load refuses an outcome it does not know, naming the check).
func load(arg string) (input, error) {
	path := resolve(arg)
	res, err := report.Load(path)
	if err != nil {
		return input{}, err
	}
	for i := range res.Checks {
		if c := &res.Checks[i]; c.ID == "" { // not written by any version of the report package; keep it readable
			c.ID = report.CheckID(c.Text)
		}
	}
	return input{path: path, res: res}, nil
}

