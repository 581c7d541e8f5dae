package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pi-conformance/suite/harness/report"
)

func writeJSON(w io.Writer, cmp *Comparison, onlyDiff bool) error {
	out := *cmp
	if onlyDiff {
		out.Checks = diffRows(cmp.Checks)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func diffRows(rows []Row) []Row {
	out := []Row{}
	for _, r := range rows {
		if r.Differs {
			out = append(out, r)
		}
	}
	return out
}

// md accumulates Markdown.
type md struct{ strings.Builder }

func (b *md) p(format string, a ...any) { fmt.Fprintf(&b.Builder, format, a...) }

// cell and code escape for a table cell (report.md's rules); code renders "" as a dash.
func cell(s string) string { return report.MarkdownCell(s) }

func code(s string) string { return orDash(report.MarkdownCode(s)) }

func writeMarkdown(w io.Writer, cmp *Comparison, onlyDiff bool) error {
	var b md
	b.p("# Conformance comparison of %d runs\n\n", len(cmp.Runs))
	if cmp.Gate != nil {
		b.p("Gate mode: runs 2 and later are builds of one target, judged against run 1 (the baseline).\n\n")
	} else {
		b.p("Run 1 is listed first; the outcomes are compared side by side (use -gate to judge builds of one target).\n\n")
	}
	writeSummary(&b, cmp.Runs)
	for _, c := range cmp.Caveats {
		b.p("> ⚠ %s\n", cell(c))
	}
	if len(cmp.Caveats) > 0 {
		b.p("\n")
	}
	if cmp.Gate != nil {
		writeGate(&b, cmp.Gate, cmp.Runs[0])
	}
	writeMatrix(&b, cmp.Matrix)
	writeMissing(&b, cmp)
	writeChecks(&b, cmp, onlyDiff)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSummary(b *md, runs []Run) {
	b.p("| |")
	for i, r := range runs {
		b.p(" Run %d: %s |", i+1, cell(r.Label))
	}
	b.p("\n|---|%s\n", strings.Repeat("---|", len(runs)))
	row := func(name string, get func(Run) string) {
		b.p("| %s |", name)
		for _, r := range runs {
			b.p(" %s |", get(r))
		}
		b.p("\n")
	}
	row("File", func(r Run) string { return code(r.Path) })
	row("Target", func(r Run) string {
		if r.Embedded {
			return code(r.TargetHost) + " (embedded)"
		}
		return code(r.TargetHost)
	})
	row("Profile", func(r Run) string { return code(r.Profile) })
	row("Stripe-Version", func(r Run) string { return code(r.StripeVersion) })
	row("Pinned spec", func(r Run) string { return code(r.SpecVersion) })
	row("Suite version", func(r Run) string { return code(r.SuiteVersion) })
	row("Run id", func(r Run) string { return code(r.RunID) })
	row("Started", func(r Run) string { return orDash(r.Started) })
	row("**Score**", func(r Run) string {
		return fmt.Sprintf("**%s** (%d/%d)", report.Pct(r.Score), r.Totals.Count(report.Passed), r.Totals.Applicable())
	})
	row("**Conformance index**", func(r Run) string {
		return fmt.Sprintf("**%s** (%d/%d)", report.Pct(r.Index), r.Totals.Applicable(), r.Totals.All())
	})
	l := ladder()
	for i := len(l) - 1; i >= 0; i-- {
		o := l[i]
		row(emoji(o)+" "+o.String(), func(r Run) string { return fmt.Sprint(r.Counts[o]) })
	}
	row("Checks", func(r Run) string { return fmt.Sprint(r.Totals.All()) })
	b.p("\n")
}

func writeGate(b *md, g *Gate, base Run) {
	verdict := "✅ PASSED"
	if !g.Passed {
		verdict = fmt.Sprintf("❌ FAILED (%d problem(s))", g.Problems)
	}
	b.p("## Gate: %s\n\nBaseline: run 1 (%s).\n\n", verdict, cell(base.Label))
	for _, rg := range g.Runs {
		b.p("### Run %d (%s): %d problem(s)\n\n", rg.Run, cell(rg.Label), rg.Problems)
		if len(rg.Findings) == 0 {
			b.p("Nothing to report.\n\n")
			continue
		}
		for _, f := range rg.Findings {
			b.p("- %s %s\n", findingMark(f), findingText(f))
		}
		b.p("\n")
	}
	if len(g.Expectations) > 0 {
		b.p("### Expectations\n\n")
		for _, v := range g.Expectations {
			b.p("- %s %s\n", entryMark(v), cell(entryText(v)))
		}
		b.p("\n")
	}
}

func findingMark(f Finding) string {
	if f.Fails {
		return "❌"
	}
	return "✔"
}

// findingText renders a finding: its kind, the check's id and text when it is about one, and the detail.
func findingText(f Finding) string {
	s := "**" + f.Kind + "**"
	if f.ID != "" {
		s += ": " + code(f.ID) + " " + cell(f.Text)
	}
	return s + " — " + cell(f.Detail)
}

func entryMark(v EntryVerdict) string {
	switch {
	case v.Fails:
		return "❌"
	case v.State == "in-use":
		return "✔"
	}
	return "⚠"
}

func entryText(v EntryVerdict) string {
	s := fmt.Sprintf("%s (%s)", v.ID, v.Source)
	switch v.State {
	case "unknown-id":
		return s + ": no run reports a check with this id (a typo, or the check was renamed)"
	case "now-passing":
		return s + ": the check passes now: remove it from the expectations file"
	case "expired":
		return s + ": expired on " + v.Expires
	}
	return s + ": " + v.Reason
}

func writeMatrix(b *md, m Matrix) {
	b.p("## Results matrix\n\nEach cell lists every run's worst outcome in order (run 1 first); a cell that differs is in bold.\n\n")
	b.p("| Status \\ Check |")
	for _, c := range m.Columns {
		b.p(" %s |", code(c))
	}
	b.p("\n|---|%s\n", strings.Repeat(":---:|", len(m.Columns)))
	for _, r := range m.Rows {
		if len(m.Cells[r]) == 0 {
			continue
		}
		b.p("| %s |", code(r))
		for _, c := range m.Columns {
			b.p(" %s |", matrixCell(m.Cells[r][c]))
		}
		b.p("\n")
	}
	b.p("\nLegend: ")
	l := ladder()
	for i := len(l) - 1; i >= 0; i-- {
		b.p("%s %s · ", emoji(l[i]), l[i])
	}
	b.p("· not in that run\n\n")
}

func matrixCell(outs []report.Outcome) string {
	if outs == nil {
		return "·"
	}
	parts := make([]string, len(outs))
	same := true
	for i, o := range outs {
		parts[i] = "·"
		if o != report.NoOutcome {
			parts[i] = emoji(o)
		}
		same = same && o == outs[0]
	}
	if s := strings.Join(parts, " "); !same {
		return "**" + s + "**"
	} else {
		return s
	}
}

// writeMissing lists, per later run, the checks of run 1 it did not report and the checks it reported that run 1
// did not, by id and text; a missing and a new check with the same text are probably one check with a new id.
func writeMissing(b *md, cmp *Comparison) {
	byID := rowsByID(cmp.Checks)
	for i, r := range cmp.Runs[1:] {
		if len(r.Missing)+len(r.Appeared) == 0 {
			continue
		}
		b.p("## Run %d (%s): %d check(s) missing, %d new\n\n", i+2, cell(r.Label), len(r.Missing), len(r.Appeared))
		newByText := map[string]string{}
		for _, id := range r.Appeared {
			newByText[byID[id].Text] = id
		}
		for _, id := range r.Missing {
			row := byID[id]
			b.p("- missing: %s %s (run 1: %s)", code(id), cell(row.Text), row.Outcomes[0])
			if n, ok := newByText[row.Text]; ok {
				b.p(" — same text as the new %s: was its id changed?", code(n))
			}
			b.p("\n")
		}
		for _, id := range r.Appeared {
			b.p("- new: %s %s (%s)\n", code(id), cell(byID[id].Text), byID[id].Outcomes[i+1])
		}
		b.p("\n")
	}
}

func writeChecks(b *md, cmp *Comparison, onlyDiff bool) {
	rows, title := cmp.Checks, "Checks"
	if onlyDiff {
		rows, title = diffRows(rows), "Checks that differ"
	}
	b.p("## %s (%d of %d differ)\n\n", title, cmp.Differing, len(cmp.Checks))
	if len(rows) == 0 {
		b.p("None.\n")
		return
	}
	b.p("| Check | Id | Status | Clause |")
	for i := range cmp.Runs {
		b.p(" Run %d |", i+1)
	}
	b.p(" Δ |\n|---|---|---|---|%s---|\n", strings.Repeat("---|", len(cmp.Runs)))
	failing := failingRuns(cmp.Gate)
	for _, r := range rows {
		b.p("| %s | %s | %s | %s |", cell(r.Text), code(r.ID), code(r.Status), code(r.Check))
		for i, o := range r.Outcomes {
			b.p(" %s |", cellOutcome(r, i, o))
		}
		switch {
		case len(failing[r.ID]) > 0:
			b.p(" 🔻 **gate** (run %s) |\n", strings.Join(failing[r.ID], ", "))
		case r.Differs:
			b.p(" ≠ |\n")
		default:
			b.p(" |\n")
		}
	}
}

// failingRuns maps a check id to the runs (1-based) in which it fails the gate.
func failingRuns(g *Gate) map[string][]string {
	out := map[string][]string{}
	if g == nil {
		return out
	}
	for _, rg := range g.Runs {
		for _, f := range rg.Findings {
			if f.Fails && f.ID != "" {
				out[f.ID] = append(out[f.ID], fmt.Sprint(rg.Run))
			}
		}
	}
	return out
}

func cellOutcome(r Row, i int, o report.Outcome) string {
	if o == report.NoOutcome {
		return "—"
	}
	s := emoji(o) + " " + o.String()
	if r.SkipKinds != nil && r.SkipKinds[i] != "" {
		s += " (" + cell(r.SkipKinds[i]) + ")"
	}
	return s
}
