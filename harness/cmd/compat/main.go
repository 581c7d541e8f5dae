// Command compat compares conformance runs side by side: several results.json files (written by harness/report),
// the first one being the baseline.
//
// Usage (from the repository root):
//
//	go run ./harness/cmd/compat [-md | -json] [-only-diff] A/results.json B/results.json [...]
//
// A directory stands for its results.json. The output (Markdown by default) has a summary per run (target, profile,
// versions, score, conformance index, counts per outcome), the results matrix with every run's outcome per cell, and
// one row per check (keyed by its spec text) with each run's outcome and the differences marked. A regression is a
// check that passed in the first run and failed or errored in a later one.
//
// Exit status: 0 when there is no regression, 1 when there is at least one (usable as a CI gate), 2 on a usage or
// input error.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pi-conformance/suite/harness/report"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: go run ./harness/cmd/compat [-md | -json] [-only-diff] A/results.json B/results.json [...]

Compares conformance runs; the first is the baseline. A directory stands for its results.json.
Exit status: 0 no regression, 1 a check passed in the first run and failed or errored in a later one, 2 usage or input error.

Flags:
`

// Exit statuses.
const (
	exitOK         = 0
	exitRegression = 1
	exitUsage      = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	md := fs.Bool("md", false, "write Markdown (the default)")
	asJSON := fs.Bool("json", false, "write JSON instead of Markdown")
	onlyDiff := fs.Bool("only-diff", false, "list only the checks whose outcome differs between runs")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}

	// Flags may come before, between or after the files; everything after "--" is a file.
	var files, tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage // the flag package has printed the problem and the usage
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	files = append(files, tail...)

	if *md && *asJSON {
		fmt.Fprintln(stderr, "compat: -md and -json are exclusive")
		return exitUsage
	}
	if len(files) < 2 {
		fmt.Fprintf(stderr, "compat: need at least two results.json files to compare, got %d\n\n", len(files))
		fs.Usage()
		return exitUsage
	}

	runs := make([]input, 0, len(files))
	for _, f := range files {
		path := f
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			path = filepath.Join(f, report.ResultsFile)
		}
		res, err := report.Load(path)
		if err != nil {
			fmt.Fprintf(stderr, "compat: %v\n", err)
			return exitUsage
		}
		runs = append(runs, input{path: path, res: res})
	}

	cmp := Compare(runs)
	var err error
	if *asJSON {
		err = writeJSON(stdout, cmp, *onlyDiff)
	} else {
		err = writeMarkdown(stdout, cmp, *onlyDiff)
	}
	if err != nil {
		fmt.Fprintf(stderr, "compat: %v\n", err)
		return exitUsage
	}
	if cmp.Regressions > 0 {
		fmt.Fprintf(stderr, "compat: %d regression(s) against %s\n", cmp.Regressions, cmp.Runs[0].Path)
		return exitRegression
	}
	return exitOK
}

type input struct {
	path string
	res  *report.Results
}

// Comparison is the result of comparing runs; it is also the -json output.
type Comparison struct {
	Runs []Run `json:"runs"`
	// Caveats warn when the runs are not strictly comparable (different suite or spec versions).
	Caveats []string `json:"caveats,omitempty"`
	Matrix  Matrix   `json:"matrix"`
	Checks  []Row    `json:"checks"`
	// Differing counts the checks whose outcome is not the same in every run.
	Differing   int `json:"differing"`
	Regressions int `json:"regressions"`
}

// Run summarises one results file.
type Run struct {
	Label         string        `json:"label"`
	Path          string        `json:"path"`
	RunID         string        `json:"run_id"`
	TargetHost    string        `json:"target_host"`
	Embedded      bool          `json:"embedded"`
	Profile       string        `json:"profile"`
	StripeVersion string        `json:"stripe_version"`
	SpecVersion   string        `json:"spec_version"`
	SuiteVersion  string        `json:"suite_version"`
	Started       string        `json:"started,omitempty"`
	Score         *float64      `json:"score"`
	Index         *float64      `json:"conformance_index"`
	Totals        report.Totals `json:"totals"`
	// Regressions against the first run (always 0 for the first).
	Regressions int `json:"regressions"`
	// Absent counts the checks of the first run that this run did not report at all.
	Absent int `json:"absent"`
}

// Row is one check across runs. Outcomes[i] is run i's outcome, "" when run i did not report the check.
type Row struct {
	Text     string           `json:"text"`
	Status   string           `json:"status"`
	Check    string           `json:"check"`
	Outcomes []report.Outcome `json:"outcomes"`
	Differs  bool             `json:"differs"`
	// Change is "regression" (passed in run 1, failed or errored in a later run), "fixed" (failed or errored in run
	// 1, passed in every later run), "changed" for any other difference, or "".
	Change string `json:"change,omitempty"`
	// RegressedIn lists the (1-based) runs in which the check regressed.
	RegressedIn []int `json:"regressed_in,omitempty"`
}

// Matrix compares the runs' results matrices.
type Matrix struct {
	Rows    []string `json:"rows"`
	Columns []string `json:"columns"`
	// Cells[row][column][i] is run i's worst outcome in the cell ("" when it has no check there).
	Cells map[string]map[string][]report.Outcome `json:"cells"`
}

// Compare lines up the runs' checks by spec text; the first run is the baseline.
func Compare(runs []input) *Comparison {
	cmp := &Comparison{Checks: []Row{}}
	index := map[string]int{}
	n := len(runs)
	for i, in := range runs {
		res := in.res
		cmp.Runs = append(cmp.Runs, Run{
			Label: label(in.path, i), Path: in.path,
			RunID: res.Meta.RunID, TargetHost: res.Meta.TargetHost, Embedded: res.Meta.Embedded, Profile: res.Meta.Profile,
			StripeVersion: res.Meta.StripeVersion, SpecVersion: res.Meta.SpecVersion, SuiteVersion: res.Meta.SuiteVersion,
			Started: fmtTime(res), Score: res.Score, Index: res.ConformanceIndex, Totals: res.Totals,
		})
		seen := map[string]int{}
		for _, c := range res.Checks {
			key := c.Text
			if seen[c.Text]++; seen[c.Text] > 1 { // the same text twice in one run: keep both apart
				key = fmt.Sprintf("%s #%d", c.Text, seen[c.Text])
			}
			j, ok := index[key]
			if !ok {
				j = len(cmp.Checks)
				index[key] = j
				cmp.Checks = append(cmp.Checks, Row{Text: key, Status: c.Status, Check: c.Check, Outcomes: make([]report.Outcome, n)})
			}
			cmp.Checks[j].Outcomes[i] = c.Outcome
		}
	}
	for j := range cmp.Checks {
		r := &cmp.Checks[j]
		base := r.Outcomes[0]
		allPassedLater := n > 1
		for i := 1; i < n; i++ {
			o := r.Outcomes[i]
			if o != base {
				r.Differs = true
			}
			if base == report.Passed && o.Bad() {
				r.RegressedIn = append(r.RegressedIn, i+1)
				cmp.Runs[i].Regressions++
			}
			if base != report.NoOutcome && o == report.NoOutcome {
				cmp.Runs[i].Absent++
			}
			if o != report.Passed {
				allPassedLater = false
			}
		}
		switch {
		case len(r.RegressedIn) > 0:
			r.Change = "regression"
			cmp.Regressions++
		case base.Bad() && allPassedLater:
			r.Change = "fixed"
		case r.Differs:
			r.Change = "changed"
		}
		if r.Differs {
			cmp.Differing++
		}
	}
	cmp.Matrix = compareMatrix(runs)
	cmp.Caveats = caveats(cmp.Runs)
	return cmp
}

func compareMatrix(runs []input) Matrix {
	m := Matrix{Cells: map[string]map[string][]report.Outcome{}}
	add := func(list []string, v string) []string {
		for _, x := range list {
			if x == v {
				return list
			}
		}
		return append(list, v)
	}
	for _, in := range runs {
		for _, r := range in.res.Matrix.Rows {
			m.Rows = add(m.Rows, r)
		}
		for _, c := range in.res.Matrix.Columns {
			m.Columns = add(m.Columns, c)
		}
	}
	for i, in := range runs {
		for _, row := range m.Rows {
			for _, col := range m.Columns {
				cell := in.res.Matrix.Cell(row, col)
				if cell == nil {
					continue
				}
				if m.Cells[row] == nil {
					m.Cells[row] = map[string][]report.Outcome{}
				}
				if m.Cells[row][col] == nil {
					m.Cells[row][col] = make([]report.Outcome, len(runs))
				}
				m.Cells[row][col][i] = cell.Outcome
			}
		}
	}
	return m
}

func caveats(runs []Run) []string {
	var out []string
	differ := func(name string, get func(Run) string) {
		v := get(runs[0])
		for _, r := range runs[1:] {
			if get(r) != v {
				vals := make([]string, len(runs))
				for i, r := range runs {
					vals[i] = orDash(get(r))
				}
				out = append(out, fmt.Sprintf("the runs used different %s (%s): differences may come from the suite, not the targets", name, strings.Join(vals, " / ")))
				return
			}
		}
	}
	differ("suite versions", func(r Run) string { return r.SuiteVersion })
	differ("pinned spec versions", func(r Run) string { return r.SpecVersion })
	differ("Stripe-Version headers", func(r Run) string { return r.StripeVersion })
	for i, r := range runs[1:] {
		if r.Absent > 0 {
			out = append(out, fmt.Sprintf("run %d did not report %d check(s) of run 1 (renamed, filtered out, or the run broke)", i+2, r.Absent))
		}
	}
	return out
}

// label names a run after its directory (A/results.json → "A"), or its file name.
func label(path string, i int) string {
	base := filepath.Base(path)
	if base == report.ResultsFile {
		if d := filepath.Base(filepath.Dir(path)); d != "." && d != string(filepath.Separator) {
			return d
		}
		return fmt.Sprintf("run %d", i+1)
	}
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func fmtTime(res *report.Results) string {
	if res.Meta.Started.IsZero() {
		return ""
	}
	return res.Meta.Started.UTC().Format("2006-01-02 15:04:05Z")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

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

func cellOutcome(o report.Outcome) string {
	if o == report.NoOutcome {
		return "—"
	}
	return o.Emoji() + " " + o.String()
}

func changeText(r Row) string {
	switch r.Change {
	case "regression":
		ins := make([]string, len(r.RegressedIn))
		for i, n := range r.RegressedIn {
			ins[i] = fmt.Sprint(n)
		}
		return "🔻 **regression** (run " + strings.Join(ins, ", ") + ")"
	case "fixed":
		return "🔺 fixed"
	case "changed":
		return "≠"
	}
	return ""
}

func writeMarkdown(w io.Writer, cmp *Comparison, onlyDiff bool) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	runs := cmp.Runs

	p("# Conformance comparison of %d runs\n\n", len(runs))
	p("Run 1 is the baseline. A **regression** is a check that passed in run 1 and failed or errored in a later run.\n\n")

	// Summary per run.
	p("| |")
	for i, r := range runs {
		p(" Run %d: %s |", i+1, mdText(r.Label))
	}
	p("\n|---|")
	for range runs {
		p("---|")
	}
	p("\n")
	row := func(name string, get func(Run) string) {
		p("| %s |", name)
		for _, r := range runs {
			p(" %s |", get(r))
		}
		p("\n")
	}
	code := func(s string) string {
		if s == "" {
			return "—"
		}
		return "`" + strings.ReplaceAll(s, "`", "'") + "`"
	}
	row("File", func(r Run) string { return code(r.Path) })
	row("Target", func(r Run) string {
		s := code(r.TargetHost)
		if r.Embedded {
			s += " (embedded)"
		}
		return s
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
	for i := len(report.Ladder) - 1; i >= 0; i-- {
		o := report.Ladder[i]
		row(o.Emoji()+" "+o.String(), func(r Run) string { return fmt.Sprint(r.Totals.Count(o)) })
	}
	row("Checks", func(r Run) string { return fmt.Sprint(r.Totals.All()) })
	p("| Regressions vs run 1 | — |")
	for _, r := range runs[1:] {
		if r.Regressions > 0 {
			p(" 🔻 **%d** |", r.Regressions)
		} else {
			p(" 0 |")
		}
	}
	p("\n\n")
	for _, c := range cmp.Caveats {
		p("> ⚠ %s\n", mdText(c))
	}
	if len(cmp.Caveats) > 0 {
		p("\n")
	}

	// Matrix.
	p("## Results matrix\n\nEach cell lists every run's worst outcome in order (run 1 first); a cell that differs is in bold.\n\n")
	p("| Status \\ Check |")
	for _, c := range cmp.Matrix.Columns {
		p(" `%s` |", c)
	}
	p("\n|---|")
	for range cmp.Matrix.Columns {
		p(":---:|")
	}
	p("\n")
	for _, r := range cmp.Matrix.Rows {
		if len(cmp.Matrix.Cells[r]) == 0 {
			continue
		}
		p("| `%s` |", r)
		for _, c := range cmp.Matrix.Columns {
			outs := cmp.Matrix.Cells[r][c]
			if outs == nil {
				p(" · |")
				continue
			}
			parts := make([]string, len(outs))
			same := true
			for i, o := range outs {
				parts[i] = "·"
				if o != report.NoOutcome {
					parts[i] = o.Emoji()
				}
				if o != outs[0] {
					same = false
				}
			}
			s := strings.Join(parts, " ")
			if !same {
				s = "**" + s + "**"
			}
			p(" %s |", s)
		}
		p("\n")
	}
	p("\nLegend: ")
	for i := len(report.Ladder) - 1; i >= 0; i-- {
		p("%s %s · ", report.Ladder[i].Emoji(), report.Ladder[i])
	}
	p("· not in that run\n\n")

	// Regressions.
	if cmp.Regressions > 0 {
		p("## Regressions (%d)\n\n", cmp.Regressions)
		for _, r := range cmp.Checks {
			if r.Change != "regression" {
				continue
			}
			for _, i := range r.RegressedIn {
				p("- run %d (%s): %s — passed → %s %s\n", i, mdText(runs[i-1].Label), mdText(r.Text), r.Outcomes[i-1].Emoji(), r.Outcomes[i-1])
			}
		}
		p("\n")
	}

	// Checks.
	rows := cmp.Checks
	title := "Checks"
	if onlyDiff {
		rows = diffRows(rows)
		title = "Checks that differ"
	}
	p("## %s (%d of %d differ)\n\n", title, cmp.Differing, len(cmp.Checks))
	if len(rows) == 0 {
		p("None.\n")
	} else {
		p("| Check | Status | Clause |")
		for i := range runs {
			p(" Run %d |", i+1)
		}
		p(" Δ |\n|---|---|---|")
		for range runs {
			p("---|")
		}
		p("---|\n")
		for _, r := range rows {
			p("| %s | `%s` | `%s` |", mdText(r.Text), r.Status, r.Check)
			for _, o := range r.Outcomes {
				p(" %s |", cellOutcome(o))
			}
			p(" %s |\n", changeText(r))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText escapes text for a Markdown table cell.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "<", "&lt;", ">", "&gt;", "|", `\|`, "[", `\[`, "]", `\]`).Replace(s)
}
