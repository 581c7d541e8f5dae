package report

import "fmt"

// GateFailures lists, in words, why the checks fail the run: failed and errored checks, each operation/object pair
// whose responses violated the schema, and each starting point that could not be reached with the number of checks
// it blocked. It is empty when no check fails the run. Suite.Succeeded is false when it is not empty (and when
// Ginkgo itself reported the suite failed: a suite-level node, an interrupt); the suite's ReportAfterSuite fails the
// run with these reasons after writing the files, since Ginkgo counts a skipped (blocked) spec and a schema
// violation outside the schema column as no failure.
func (res *Results) GateFailures() []string {
	var failed, errored int
	var schema, blocked []string
	blockedBy := map[string]int{}
	for _, c := range res.Checks {
		switch {
		case c.Synthetic && c.Outcome == Failed && c.Schema != nil:
			schema = append(schema, fmt.Sprintf("%s in %s/%s (%s checked)",
				plural(c.Schema.Violating, "schema violation", "schema violations"), c.Schema.Operation, c.Schema.Object,
				plural(c.Schema.Responses, "response", "responses")))
		case c.Synthetic && c.Outcome.FailsRun():
			schema = append(schema, fmt.Sprintf("%s: %s", c.ID, c.Outcome))
		case c.Outcome == Failed:
			failed++
		case c.Outcome == Errored:
			errored++
		case c.Outcome == Blocked:
			k := blockedKey(c.BlockedBy)
			if blockedBy[k] == 0 {
				blocked = append(blocked, k)
			}
			blockedBy[k]++
		}
	}
	var out []string
	if failed > 0 {
		out = append(out, plural(failed, "check", "checks")+" failed")
	}
	if errored > 0 {
		out = append(out, plural(errored, "check", "checks")+" errored")
	}
	out = append(out, schema...)
	for _, k := range blocked {
		out = append(out, fmt.Sprintf("%s: %s blocked", k, plural(blockedBy[k], "check", "checks")))
	}
	return out
}

func blockedKey(b *Blocker) string {
	switch {
	case b != nil && b.Status != "":
		return b.Status + " could not be reached"
	case b != nil && b.Step != "":
		return b.Step + " failed"
	}
	return "the starting point could not be reached"
}
