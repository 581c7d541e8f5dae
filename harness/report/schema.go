package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
)

// SchemaColumn and SchemaRow place the synthetic schema checks in the matrix.
const (
	SchemaColumn = "schema"
	SchemaRow    = "any"
)

// SchemaCheckID is the id of the synthetic schema check of an operation/object pair.
func SchemaCheckID(operation, object string) string { return "schema/" + operation + "/" + object }

// UnreadableSchemaID is the id of the errored synthetic check that lists schema entries that could not be decoded.
const UnreadableSchemaID = "schema/unreadable"

// violatingListed is how many violating spec ids a synthetic check's message lists (the tally has them all).
const violatingListed = 10

// schemaEntries decodes every labels.EntrySchema entry of a spec (a JSON array of labels.SchemaSeen), redacted.
func schemaEntries(sr types.SpecReport, red func(string) string) (seen []labels.SchemaSeen, errs []string) {
	for _, e := range sr.ReportEntries {
		if e.Name != labels.EntrySchema {
			continue
		}
		var list []labels.SchemaSeen
		if err := json.Unmarshal([]byte(entryText(e)), &list); err != nil {
			errs = append(errs, red(err.Error()))
			continue
		}
		for _, s := range list {
			s.Operation, s.Object, s.Violations = red(s.Operation), red(s.Object), red(s.Violations)
			seen = append(seen, s)
		}
	}
	return seen, errs
}

// violated reports whether a SchemaSeen records a violation, and how many responses violated.
func violated(s labels.SchemaSeen) (bool, int) {
	n := max(s.Violating, 0)
	if n == 0 && strings.TrimSpace(s.Violations) != "" {
		n = 1 // a report without a count is still a violation
	}
	return n > 0, n
}

// sawViolation reports whether a check's spec received a response that violated the schema.
func (c *Check) sawViolation() bool {
	for _, s := range c.seen {
		if v, _ := violated(s); v {
			return true
		}
	}
	return false
}

// schemaChecks sums the checks' schema entries (in report order) into one synthetic check per operation/object pair,
// plus an errored one when some entries could not be decoded.
//
// It is long because grouping, counting and wording a check are one pass over the entries.
func schemaChecks(checks []Check, red func(string) string) []Check {
	type pair struct{ op, obj string }
	type agg struct {
		tally SchemaTally
		first *Check // the first spec that saw a violation
		rep   string // its report
	}
	pairs := map[pair]*agg{}
	var unreadable []string
	for i := range checks {
		c := &checks[i]
		for _, e := range c.seenErrs {
			unreadable = append(unreadable, c.ID+": "+e)
		}
		counted := map[pair]bool{}
		for _, s := range c.seen {
			k := pair{orUnknown(s.Operation), orUnknown(s.Object)}
			a := pairs[k]
			if a == nil {
				a = &agg{tally: SchemaTally{Operation: k.op, Object: k.obj}}
				pairs[k] = a
			}
			a.tally.Responses += max(s.Responses, 0)
			if !counted[k] {
				counted[k] = true
				a.tally.Specs++
			}
			v, n := violated(s)
			if !v {
				continue
			}
			a.tally.Violating += n
			if l := a.tally.ViolatingSpecs; len(l) == 0 || l[len(l)-1] != c.ID {
				a.tally.ViolatingSpecs = append(a.tally.ViolatingSpecs, c.ID)
			}
			if a.first == nil {
				a.first, a.rep = c, s.Violations
			}
		}
	}
	keys := make([]pair, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].op != keys[j].op {
			return keys[i].op < keys[j].op
		}
		return keys[i].obj < keys[j].obj
	})
	var out []Check
	for _, k := range keys {
		a := pairs[k]
		id := SchemaCheckID(k.op, k.obj)
		tally := a.tally
		c := Check{
			ID:        id,
			Text:      fmt.Sprintf("Every %s response to %s conforms to the pinned OpenAPI document and carries the fields Stripe always sends", k.obj, k.op),
			Labels:    []string{labels.FamilyStatus + ":" + SchemaRow, labels.FamilyCheck + ":" + SchemaColumn, labels.FamilyID + ":" + id},
			Status:    SchemaRow,
			Op:        k.op,
			Check:     SchemaColumn,
			Synthetic: true,
			Outcome:   Passed,
			Schema:    &tally,
		}
		if a.first != nil {
			c.Outcome = Failed
			c.Failure = &Failure{Message: schemaMessage(tally, a.first, a.rep), Location: a.first.Location}
		}
		out = append(out, c)
	}
	if len(unreadable) > 0 {
		msg := fmt.Sprintf("%s%s could not be decoded, so those responses were not counted:\n%s",
			labels.PrefixErrored, plural(len(unreadable), "schema entry", "schema entries"), strings.Join(firstN(unreadable, violatingListed), "\n"))
		out = append(out, Check{
			ID:        UnreadableSchemaID,
			Text:      "Every spec's schema entry can be read",
			Labels:    []string{labels.FamilyStatus + ":" + SchemaRow, labels.FamilyCheck + ":" + SchemaColumn, labels.FamilyID + ":" + UnreadableSchemaID},
			Status:    SchemaRow,
			Check:     SchemaColumn,
			Synthetic: true,
			Outcome:   Errored,
			Failure:   &Failure{Message: red(msg)},
		})
	}
	return out
}

func schemaMessage(t SchemaTally, first *Check, rep string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %s to %s violated the pinned OpenAPI document or lacked a field Stripe always sends.\n",
		t.Violating, plural(t.Responses, t.Object+" response", t.Object+" responses"), t.Operation)
	fmt.Fprintf(&b, "Specs that received a violating response (%d of %d): %s\n", len(t.ViolatingSpecs), t.Specs,
		strings.Join(firstN(t.ViolatingSpecs, violatingListed), ", "))
	fmt.Fprintf(&b, "First violation, in %s (%s", first.ID, first.Text)
	if first.Location != "" {
		fmt.Fprintf(&b, ", %s", first.Location)
	}
	b.WriteString("):\n")
	if rep = strings.TrimSpace(rep); rep == "" {
		rep = "(the spec attached no report)"
	}
	b.WriteString(rep)
	return b.String()
}

// firstN returns the first n strings, then "… and k more".
func firstN(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("… and %d more", len(list)-n))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func orUnknown(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "(unknown)"
	}
	return s
}
