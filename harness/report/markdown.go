package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/pi-conformance/suite/docs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// BodyExcerpt is how many bytes of a response body report.md shows.
const BodyExcerpt = 800

// HTMLBodyLimit is how many bytes of a body report.html shows.
const HTMLBodyLimit = 16 << 10

// ReasonLines is how many lines of a failure message report.md shows.
const ReasonLines = 20

// Pct renders a ratio as a percentage with one decimal, or "n/a".
func Pct(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + " %"
}

// Title is the report's title.
func (res *Results) Title() string {
	t := res.Suite.Description
	if t == "" {
		t = "Conformance"
	}
	if res.Meta.TargetHost != "" {
		t += " — " + res.Meta.TargetHost
	}
	return t
}

// Blocked returns the blocked checks in report order.
func (res *Results) Blocked() []Check {
	var out []Check
	for _, c := range res.Checks {
		if c.Outcome == Blocked {
			out = append(out, c)
		}
	}
	return out
}

// SchemaChecks returns the synthetic schema checks (one per operation/object pair) in report order.
func (res *Results) SchemaChecks() []Check {
	var out []Check
	for _, c := range res.Checks {
		if c.Synthetic {
			out = append(out, c)
		}
	}
	return out
}

// Failures returns the failed and errored checks in report order.
func (res *Results) Failures() []Check {
	var out []Check
	for _, c := range res.Checks {
		if c.Outcome.Bad() {
			out = append(out, c)
		}
	}
	return out
}

// MetaRows are the header's label/value pairs.
func (res *Results) MetaRows() [][2]string {
	m := res.Meta
	kind := "external"
	if m.Embedded {
		kind = "embedded reference target (in-process)"
	}
	rows := [][2]string{
		{"Target", orNone(m.TargetHost)},
		{"Target kind", kind},
		{"Profile", m.Profile},
		{"Stripe-Version", m.StripeVersion},
		{"Pinned OpenAPI spec", m.SpecVersion},
		{"Suite version", m.SuiteVersion},
		{"Run id", m.RunID},
		{"Started", fmtTime(m.Started)},
		{"Finished", fmtTime(m.Finished)},
	}
	if m.DurationSeconds > 0 {
		rows = append(rows, [2]string{"Duration", (time.Duration(m.DurationSeconds * float64(time.Second))).Round(time.Millisecond).String()})
	}
	if m.VersionNote != "" {
		rows = append(rows, [2]string{"Versions", m.VersionNote})
	}
	if len(res.Evidence) > 0 {
		var parts []string
		for _, e := range res.Evidence {
			parts = append(parts, fmt.Sprintf("%s %d (%d passed)", e.Level, e.Checks, e.Passed))
		}
		rows = append(rows, [2]string{"Evidence of the checks", strings.Join(parts, ", ")})
	}
	return rows
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ScoreLine summarises score and index in words.
func (res *Results) ScoreLine() string {
	t := res.Totals
	return fmt.Sprintf("Score %s (%d passed of %d applicable) · Conformance index %s (%d applicable of %d checks)",
		Pct(res.Score), t.Count(Passed), t.Applicable(), Pct(res.ConformanceIndex), t.Applicable(), t.All())
}

// LadderNote explains where Blocked sits on the ladder, for both reports.
const LadderNote = "Blocked sits between skipped and passed on the ladder: the check could not reach its starting point " +
	"(a status the drivers could not bring a fresh intent into, see the reach column, or a set-up step the target refused). " +
	"It is not applicable, so the conformance index drops, and it fails the run."

// MatrixNote explains the reach and schema columns, for both reports.
const MatrixNote = "The reach column says whether the status drivers could bring a fresh intent into the row's status " +
	"(when they could not, the row's other checks are blocked). The schema column's any row holds the schema " +
	"conformance of every operation, one check per operation and object type."

// OutcomeText is a check's outcome in words, with its skip kind: "skipped (timing)".
func OutcomeText(c Check) string {
	if c.SkipKind != "" {
		return c.Outcome.String() + " (" + c.SkipKind + ")"
	}
	return c.Outcome.String()
}

// CellText is a matrix cell's short text: passed/applicable, or the number of checks when none is applicable.
func CellText(c *Cell) string {
	if c == nil {
		return ""
	}
	if n := c.Counts.Applicable(); n > 0 {
		return fmt.Sprintf("%d/%d", c.Counts.Count(Passed), n)
	}
	return strconv.Itoa(c.Counts.All())
}

// CellTitle lists a cell's counts per outcome ("2 passed, 1 failed").
func CellTitle(c *Cell) string {
	if c == nil {
		return "no check"
	}
	var parts []string
	for i := len(Ladder) - 1; i >= 0; i-- {
		if n := c.Counts.Count(Ladder[i]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, Ladder[i]))
		}
	}
	return strings.Join(parts, ", ")
}

// Markdown renders report.md.
func (res *Results) Markdown() []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	res.mdSummary(w)
	res.mdMatrix(w)
	res.mdFailures(w)
	res.mdBlocked(w)
	res.mdSchema(w)
	res.mdNotRun(w)
	res.mdAllChecks(w)
	return b.Bytes()
}

// mdSummary writes the title, the run's metadata, score, index and gate, evidence and warnings.
func (res *Results) mdSummary(w func(format string, a ...any)) {
	w("# %s\n\n", mdText(res.Title()))
	w("| | |\n|---|---|\n")
	for _, r := range res.MetaRows() {
		if r[1] == "" {
			continue
		}
		w("| %s | %s |\n", r[0], mdCode(r[1]))
	}
	t := res.Totals
	w("\n**Score: %s** (%d passed of %d applicable) · **Conformance index: %s** (%d applicable of %d checks)\n\n",
		Pct(res.Score), t.Count(Passed), t.Applicable(), Pct(res.ConformanceIndex), t.Applicable(), t.All())
	var counts []string
	for i := len(Ladder) - 1; i >= 0; i-- {
		counts = append(counts, fmt.Sprintf("%s %d %s", Ladder[i].Emoji(), t.Count(Ladder[i]), Ladder[i]))
	}
	w("%s\n\n", strings.Join(counts, " · "))
	w("The score is passed / applicable (applicable = passed + failed + errored); the conformance index is applicable / all checks. ")
	w("Failed means the target misbehaved; errored means the suite broke or the target could not be reached; ")
	w("blocked means the check could not reach its starting point. Failed, errored and blocked checks fail the run.\n\n")
	if gate := res.GateFailures(); len(gate) > 0 {
		w("**The run fails:**\n\n")
		for _, g := range gate {
			w("- %s\n", mdText(oneLine(g)))
		}
		w("\n")
	} else if res.Suite.Succeeded {
		w("**The run passes:** no check failed, errored or was blocked, and every response conformed to the schema.\n\n")
	}

	if len(res.Evidence) > 0 {
		w("**How sure the verdicts are** (docs/evidence.yaml): ")
		var parts []string
		for _, e := range res.Evidence {
			parts = append(parts, fmt.Sprintf("%s %d checks (%d passed)", e.Level, e.Checks, e.Passed))
		}
		w("%s. Documented: Stripe's docs or OpenAPI document; recorded: a public recorded response of real Stripe; unconfirmed: no such evidence, every outcome Stripe might give is accepted.\n\n", strings.Join(parts, " · "))
	}
	if res.Meta.VersionNote != "" {
		w("> **⚠ %s.**\n\n", mdText(res.Meta.VersionNote))
	}

	if p := res.suiteWarnings(); len(p) > 0 {
		w("> **⚠ The run itself had problems:**\n")
		for _, x := range p {
			w("> - %s\n", mdText(oneLine(firstLines(x, 3))))
		}
		w("\n")
	}
}

// mdMatrix writes the results matrix and its legend.
func (res *Results) mdMatrix(w func(format string, a ...any)) {
	w("## Results matrix\n\n")
	w("Rows are the starting status, columns the clause checked. A cell shows its worst outcome, then passed/applicable ")
	w("(or the number of checks when none is applicable). %s\n\n", mdText(MatrixNote))
	w("| Status \\ Check |")
	for _, col := range res.Matrix.Columns {
		title := res.Matrix.ColumnTitles[col]
		if title == "" {
			title = col
		}
		w(" %s<br>`%s` |", mdText(title), col)
	}
	w("\n|---|")
	for range res.Matrix.Columns {
		w(":---:|")
	}
	w("\n")
	for _, row := range res.Matrix.Rows {
		w("| `%s` |", row)
		for _, col := range res.Matrix.Columns {
			if c := res.Matrix.Cell(row, col); c != nil {
				w(" %s %s |", c.Outcome.Emoji(), CellText(c))
			} else {
				w(" · |")
			}
		}
		w("\n")
	}
	w("\nLegend: ")
	for i := len(Ladder) - 1; i >= 0; i-- {
		w("%s %s · ", Ladder[i].Emoji(), Ladder[i])
	}
	w("· no check\n\n")
	w("%s %s\n\n", Blocked.Emoji(), mdText(LadderNote))
}

// mdFailures writes every failed and errored check, with its exchanges and a curl line for each.
func (res *Results) mdFailures(w func(format string, a ...any)) {
	fails := res.Failures()
	w("## Failures and errors (%d)\n\n", len(fails))
	if len(fails) == 0 {
		w("None.\n\n")
	}
	if res.Rerun.Focus != "" {
		w("Re-run them with `go tool ginkgo run --focus=\"$(tail -1 rerun.txt)\" ./suites/...` (rerun.txt is next to this report).\n\n")
	}
	for i, c := range fails {
		w("### %d. %s %s: %s\n\n", i+1, c.Outcome.Emoji(), c.Outcome.Title(), mdText(c.Text))
		w("- Labels: %s\n", mdLabels(c.Labels))
		if c.Synthetic {
			w("- Synthetic check `%s`: no spec of its own; the specs that received a violating response are named below and in rerun.txt\n\n", c.ID)
		} else {
			w("- Spec: %s", mdCode(c.Location))
			if f := c.Failure; f != nil && f.Location != "" && f.Location != c.Location {
				w(", failed at %s", mdCode(f.Location))
				if f.Node != "" && f.Node != "It" {
					w(" (in %s)", f.Node)
				}
			}
			w("\n- Duration: %s\n\n", fmtSeconds(c.DurationSeconds))
		}
		if f := c.Failure; f != nil {
			w("Reason:\n\n%s\n", fence("text", firstLines(f.Message, ReasonLines)))
			if f.Panic != "" {
				w("Panic:\n\n%s\n", fence("text", firstLines(f.Panic, ReasonLines)))
			}
			for _, a := range f.Additional {
				w("Later failure:\n\n%s\n", fence("text", firstLines(a, ReasonLines)))
			}
			for _, n := range f.Notes {
				w("> %s\n\n", mdText(n))
			}
			for j, e := range f.Exchanges {
				w("#### Exchange %d: %s → %s\n\n", j+1, mdCode(e.Method+" "+e.Path), ExchangeStatus(e))
				if e.RequestBody != "" {
					w("Request body:\n\n%s\n", fence("text", Excerpt(e.RequestBody, BodyExcerpt)))
					if e.RequestBodyCut != nil {
						w("(an excerpt; %s)\n\n", e.RequestBodyCut)
					}
				}
				if e.Error != "" {
					w("Transport error: %s\n\n", mdCode(oneLine(e.Error)))
				}
				if e.Status != 0 {
					if e.ResponseBody == "" {
						w("Response body: (empty)\n\n")
					} else {
						w("Response body (at most %d bytes):\n\n%s\n", BodyExcerpt, fence(bodyLang(e.ResponseBody), Excerpt(PrettyBody(e.ResponseBody), BodyExcerpt)))
						if e.ResponseBodyCut != nil {
							w("(an excerpt; %s)\n\n", e.ResponseBodyCut)
						}
					}
				}
				for _, l := range e.RetryLog {
					w("- retry: %s\n", mdText(l))
				}
				if len(e.RetryLog) > 0 {
					w("\n")
				}
				w("Reproduce (reads the key from the environment):\n\n%s\n", fence("sh", e.Curl))
			}
		}
	}
}

// mdBlocked writes the blocked checks.
func (res *Results) mdBlocked(w func(format string, a ...any)) {
	if blocked := res.Blocked(); len(blocked) > 0 {
		w("## Blocked (%d)\n\n", len(blocked))
		w("These checks could not reach their starting point; they were not run, and they fail the run. ")
		w("Re-run them with the failures (rerun.txt selects them too).\n\n")
		w("| Status | Check | Spec | Reason |\n|---|---|---|---|\n")
		for _, c := range blocked {
			w("| `%s` | `%s` | %s | %s |\n", c.Status, c.Check, mdCell(c.Text), mdCell(firstLines(c.Reason, 3)))
		}
		w("\n")
	}
}

// mdSchema writes the schema verdicts per operation and object.
func (res *Results) mdSchema(w func(format string, a ...any)) {
	if sc := res.SchemaChecks(); len(sc) > 0 {
		w("## Schema conformance by operation (%d)\n\n", len(sc))
		w("Every response any spec received is validated against the pinned OpenAPI document and the fields Stripe always sends; ")
		w("each operation and object type is a check of its own (column `schema`, row `any`), failed when any of its responses violated. ")
		w("The specs that received a violating response are in rerun.txt.\n\n")
		w("| Outcome | Operation | Object | Responses | Violating | Specs with violations |\n|---|---|---|---:|---:|---|\n")
		for _, c := range sc {
			if t := c.Schema; t != nil {
				w("| %s %s | `%s` | `%s` | %d | %d | %s |\n", c.Outcome.Emoji(), c.Outcome, t.Operation, t.Object, t.Responses, t.Violating,
					mdCell(strings.Join(firstN(t.ViolatingSpecs, violatingListed), ", ")))
			} else {
				w("| %s %s | %s | | | | |\n", c.Outcome.Emoji(), c.Outcome, mdCell(c.Text))
			}
		}
		w("\n")
	}
}

// mdNotRun writes the disabled and skipped checks, with why.
func (res *Results) mdNotRun(w func(format string, a ...any)) {
	var others []Check
	for _, c := range res.Checks {
		if c.Outcome == Disabled || c.Outcome == Skipped {
			others = append(others, c)
		}
	}
	if len(others) > 0 {
		w("## Disabled and skipped (%d)\n\n| Outcome | Status | Check | Spec | Reason |\n|---|---|---|---|---|\n", len(others))
		for _, c := range others {
			reason := c.Reason
			if reason == "" {
				reason = "not selected by the run's filters"
			}
			w("| %s %s | `%s` | `%s` | %s | %s |\n", c.Outcome.Emoji(), OutcomeText(c), c.Status, c.Check, mdCell(c.Text), mdCell(reason))
		}
		w("\n")
	}
}

// mdAllChecks writes every check in one table, and the footer.
func (res *Results) mdAllChecks(w func(format string, a ...any)) {
	w("## All checks (%d)\n\n| Outcome | Status | Check | Op | Id | Spec | Evidence | Time |\n|---|---|---|---|---|---|---|---:|\n", len(res.Checks))
	for _, c := range res.Checks {
		w("| %s %s | `%s` | `%s` | `%s` | %s | %s | %s | %s |\n", c.Outcome.Emoji(), OutcomeText(c), c.Status, c.Check, c.Op, mdCode(c.ID), mdCell(c.Text), evidenceText(c.Evidence), fmtSeconds(c.DurationSeconds))
	}
	w("\n")
	w("_Generated %s; machine-readable results in results.json._\n", res.GeneratedAt)
}

// suiteWarnings lists suite-level problems worth a banner.
func (res *Results) suiteWarnings() []string {
	var out []string
	for _, p := range res.Suite.Problems {
		msg := p.Node + " " + p.State
		if p.Message != "" {
			msg += ": " + p.Message
		}
		out = append(out, msg)
	}
	out = append(out, res.Suite.FailureReasons...)
	if missing := res.Suite.TotalSpecs - len(res.Checks); res.Suite.TotalSpecs > 0 && missing > 0 {
		out = append(out, fmt.Sprintf("%d of %d checks did not report at all (a suite-level node failed or the run was cut short)", missing, res.Suite.TotalSpecs))
	}
	return out
}

// ExchangeStatus renders an exchange's outcome: "400 Bad Request (2 attempts, 12 ms)" or "no response".
func ExchangeStatus(e Exchange) string {
	s := "no response"
	if e.Status != 0 {
		s = strconv.Itoa(e.Status)
		if t := http.StatusText(e.Status); t != "" {
			s += " " + t
		}
	}
	var extra []string
	if e.Attempts > 1 {
		extra = append(extra, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if e.DurationMS > 0 {
		extra = append(extra, strconv.FormatFloat(e.DurationMS, 'f', 0, 64)+" ms")
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// PrettyBody indents a JSON body; anything else is returned unchanged.
func PrettyBody(s string) string {
	var buf bytes.Buffer
	if json.Valid([]byte(s)) && json.Indent(&buf, []byte(s), "", "  ") == nil {
		return buf.String()
	}
	return s
}

func bodyLang(s string) string {
	if json.Valid([]byte(s)) {
		return "json"
	}
	return "text"
}

// Excerpt cuts s to at most max bytes (without splitting a UTF-8 sequence) and says how long it was.
func Excerpt(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("\n… (%d bytes in all)", len(s))
}

func firstLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n… (%d more lines in results.json)", len(lines)-n)
}

func fmtSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// fence wraps s in a code fence longer than any run of backticks in s.
func fence(lang, s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + f + "\n"
}

// mdCode renders s as inline code, with a delimiter longer than any backtick run inside.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	d := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return d + " " + strings.ReplaceAll(s, "|", `\|`) + " " + d
	}
	return d + strings.ReplaceAll(s, "|", `\|`) + d
}

// mdText escapes text for Markdown prose: no raw HTML, no accidental emphasis, links or table breaks. Underscores
// are left alone: GitHub-flavoured Markdown does not emphasise inside words (requires_capture).
func mdText(s string) string {
	r := strings.NewReplacer(
		`\`, `\\`, "`", "\\`", "*", `\*`, "<", "&lt;", ">", "&gt;", "|", `\|`, "[", `\[`, "]", `\]`,
	)
	return r.Replace(s)
}

// mdCell is mdText on one line, for a table cell.
func mdCell(s string) string { return mdText(oneLine(s)) }

func mdLabels(ls []string) string {
	if len(ls) == 0 {
		return "(none)"
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = mdCode(l)
	}
	return strings.Join(out, " ")
}

// MarkdownCell escapes text for one Markdown table cell (on one line, no raw HTML, emphasis, links or cell breaks),
// as report.md does; harness/cmd/compat renders with it too.
func MarkdownCell(s string) string { return mdCell(s) }

// MarkdownCode renders s as inline code on one line, as report.md does ("" for an empty s).
func MarkdownCode(s string) string { return mdCode(s) }

// FormatTime renders a time as report.md does (RFC 3339, UTC; "" for the zero time).
func FormatTime(t time.Time) string { return fmtTime(t) }

// evidenceText is a check's evidence in a table cell: its level, and the year of a recording.
func evidenceText(e *docs.Evidence) string {
	switch {
	case e == nil:
		return ""
	case e.Year > 0:
		return fmt.Sprintf("%s (%d)", e.Level, e.Year)
	}
	return e.Level
}
