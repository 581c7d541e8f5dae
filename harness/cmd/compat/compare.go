package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pi-conformance/suite/harness/report"
)

// Comparison is the result of comparing runs; it is also the -json output.
type Comparison struct {
	// Mode is "compare" (side by side) or "gate" (later runs judged against the first).
	Mode string `json:"mode"`
	Runs []Run  `json:"runs"`
	// Caveats warn when the runs are not strictly comparable (different suite or spec versions, ...).
	Caveats []string `json:"caveats,omitempty"`
	Matrix  Matrix   `json:"matrix"`
	Checks  []Row    `json:"checks"`
	// Differing counts the checks whose outcome is not the same in every run.
	Differing int `json:"differing"`
	// Gate is the verdict in gate mode (nil otherwise).
	Gate *Gate `json:"gate,omitempty"`
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
	// Counts are the checks per outcome, counted by compat (they include blocked).
	Counts map[report.Outcome]int `json:"counts"`
	// Missing lists the ids of the first run's checks that this run did not report; Appeared the ids of this run's
	// checks that the first run did not report. Both are empty for the first run.
	Missing  []string `json:"missing,omitempty"`
	Appeared []string `json:"appeared,omitempty"`
}

// Row is one check across runs, matched by id. Outcomes[i] is run i's outcome, "" when run i did not report it.
type Row struct {
	ID       string           `json:"id"`
	Text     string           `json:"text"`
	Status   string           `json:"status"`
	Check    string           `json:"check"`
	Outcomes []report.Outcome `json:"outcomes"`
	// SkipKinds[i] is run i's skip_kind ("timing" for a suite-declared timing skip); omitted when no run has one.
	SkipKinds []string `json:"skip_kinds,omitempty"`
	Differs   bool     `json:"differs"`
}

// Matrix compares the runs' results matrices.
type Matrix struct {
	Rows    []string `json:"rows"`
	Columns []string `json:"columns"`
	// Cells[row][column][i] is run i's worst outcome in the cell ("" when it has no check there).
	Cells map[string]map[string][]report.Outcome `json:"cells"`
}

// Compare lines up the runs' checks by id; the first run is the baseline.
func Compare(runs []input) *Comparison {
	cmp := &Comparison{Mode: "compare", Checks: []Row{}}
	index := map[string]int{}
	n := len(runs)
	for i, in := range runs {
		cmp.Runs = append(cmp.Runs, summarise(in, i))
		seen := map[string]int{}
		for _, c := range in.res.Checks {
			key := c.ID
			if seen[c.ID]++; seen[c.ID] > 1 { // the same id twice in one run: keep both apart, and say so
				key = fmt.Sprintf("%s#%d", c.ID, seen[c.ID])
				cmp.Caveats = append(cmp.Caveats, fmt.Sprintf("run %d reports id %s more than once (%q)", i+1, c.ID, c.Text))
			}
			j, ok := index[key]
			if !ok {
				j = len(cmp.Checks)
				index[key] = j
				cmp.Checks = append(cmp.Checks, Row{ID: key, Text: c.Text, Status: c.Status, Check: c.Check, Outcomes: make([]report.Outcome, n)})
			}
			r := &cmp.Checks[j]
			r.Outcomes[i] = c.Outcome
			if c.SkipKind != "" {
				if r.SkipKinds == nil {
					r.SkipKinds = make([]string, n)
				}
				r.SkipKinds[i] = c.SkipKind
			}
		}
	}
	for j := range cmp.Checks {
		r := &cmp.Checks[j]
		for i := 1; i < n; i++ {
			o := r.Outcomes[i]
			r.Differs = r.Differs || o != r.Outcomes[0]
			switch {
			case r.Outcomes[0] != report.NoOutcome && o == report.NoOutcome:
				cmp.Runs[i].Missing = append(cmp.Runs[i].Missing, r.ID)
			case r.Outcomes[0] == report.NoOutcome && o != report.NoOutcome:
				cmp.Runs[i].Appeared = append(cmp.Runs[i].Appeared, r.ID)
			}
		}
		if r.Differs {
			cmp.Differing++
		}
	}
	cmp.Matrix = compareMatrix(runs)
	cmp.Caveats = append(cmp.Caveats, caveats(cmp.Runs)...)
	return cmp
}

func summarise(in input, i int) Run {
	m := in.res.Meta
	r := Run{
		Label: label(in.path, i), Path: in.path,
		RunID: m.RunID, TargetHost: m.TargetHost, Embedded: m.Embedded, Profile: m.Profile,
		StripeVersion: m.StripeVersion, SpecVersion: m.SpecVersion, SuiteVersion: m.SuiteVersion,
		Started: report.FormatTime(m.Started), Score: in.res.Score, Index: in.res.ConformanceIndex, Totals: in.res.Totals,
		Counts: map[report.Outcome]int{},
	}
	for _, c := range in.res.Checks {
		r.Counts[c.Outcome]++
	}
	return r
}

func compareMatrix(runs []input) Matrix {
	m := Matrix{Cells: map[string]map[string][]report.Outcome{}}
	for _, in := range runs {
		for _, r := range in.res.Matrix.Rows {
			if !slices.Contains(m.Rows, r) {
				m.Rows = append(m.Rows, r)
			}
		}
		for _, c := range in.res.Matrix.Columns {
			if !slices.Contains(m.Columns, c) {
				m.Columns = append(m.Columns, c)
			}
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
		if len(r.Missing) > 0 {
			out = append(out, fmt.Sprintf("run %d did not report %d check(s) of run 1 (renamed, filtered out, or the run broke)", i+2, len(r.Missing)))
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

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// rowsByID indexes rows by id.
func rowsByID(rows []Row) map[string]*Row {
	m := make(map[string]*Row, len(rows))
	for i := range rows {
		m[rows[i].ID] = &rows[i]
	}
	return m
}
