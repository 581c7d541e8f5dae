package report

import (
	"sync"

	"github.com/pi-conformance/suite/docs"
)

var evidenceTable = sync.OnceValues(docs.LoadEvidence)

// attachEvidence gives every check its evidence from the table kept next to the contract notes, and counts the
// checks and the passed checks per level, strongest first. A check without an entry (an old suite, a test suite)
// gets none; the suite itself refuses such a check before it runs.
func attachEvidence(cs []Check) []EvidenceCount {
	table, err := evidenceTable()
	if err != nil {
		return nil
	}
	counts := make([]EvidenceCount, len(docs.Levels))
	for i, l := range docs.Levels {
		counts[i].Level = l
	}
	any := false
	for i := range cs {
		e, _, ok := table.For(cs[i].ID)
		if !ok {
			continue
		}
		cs[i].Evidence = &e
		for j := range counts {
			if counts[j].Level == e.Level {
				any = true
				counts[j].Checks++
				if cs[i].Outcome == Passed {
					counts[j].Passed++
				}
			}
		}
	}
	if !any {
		return nil
	}
	return counts
}
