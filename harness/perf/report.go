package perf

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
)

// EntryPerf is the name of the report entry every spec's session attaches (labels.EntryPerf).
const EntryPerf = labels.EntryPerf

// SpecPerf is the value of a spec's "conformance.perf" entry (labels.SpecPerf, written by harness/framework).
type SpecPerf = labels.SpecPerf

// Spec is one spec (an It) of a suite run.
type Spec struct {
	// Text is the container texts and the spec's own text, joined by spaces.
	Text string
	// Location is "file.go:line" of the It (the file's base name).
	Location string
	// Path is the It's file path as recorded in the report.
	Path    string
	Process int
	State   string
	Start   time.Time
	End     time.Time
	RunTime time.Duration
	// Cleanup is the time spent in the spec's DeferCleanup nodes.
	Cleanup time.Duration
	// Perf is the spec's perf entry, nil when it attached none (it made no session, or was skipped first).
	Perf *SpecPerf
}

// Requests is the spec's request count (0 without a perf entry).
func (s Spec) Requests() int64 {
	if s.Perf == nil {
		return 0
	}
	return s.Perf.Requests
}

// Run is what one suite run's report says about its cost.
type Run struct {
	Suite string
	// Start and End are the report's StartTime and EndTime (the merged report's, for a parallel run).
	Start, End time.Time
	// SetupEnd is the latest end of a BeforeSuite or SynchronizedBeforeSuite node, over all processes; Start when
	// the suite has none. Everything before it is process start-up, spec-tree building and suite set-up.
	SetupEnd time.Time
	// Specs are the It nodes that ran (started), in report order.
	Specs []Spec
	// Succeeded is the report's SuiteSucceeded.
	Succeeded bool
	// Failed counts specs that failed, panicked, timed out or were interrupted or aborted.
	Failed int
}

// LoadReport reads a Ginkgo JSON report (the file written by --json-report) that holds exactly one suite.
func LoadReport(path string) (Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Run{}, err
	}
	return ParseReport(data)
}

// ParseReport parses a Ginkgo JSON report holding exactly one suite and analyses it.
func ParseReport(data []byte) (Run, error) {
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return Run{}, fmt.Errorf("not a Ginkgo JSON report: %w", err)
	}
	switch len(reports) {
	case 0:
		return Run{}, errors.New("the Ginkgo report holds no suite")
	case 1:
	default:
		return Run{}, fmt.Errorf("the Ginkgo report holds %d suites; expected one", len(reports))
	}
	return Analyze(reports[0])
}

// Analyze extracts the specs, their perf entries and the suite's set-up end from a report.
func Analyze(r types.Report) (Run, error) {
	run := Run{Suite: r.SuiteDescription, Start: r.StartTime, End: r.EndTime, SetupEnd: r.StartTime, Succeeded: r.SuiteSucceeded}
	if r.StartTime.IsZero() || r.EndTime.IsZero() {
		return run, errors.New("the Ginkgo report has no start or end time (did the suite run?)")
	}
	for _, sr := range r.SpecReports {
		switch {
		case sr.LeafNodeType.Is(types.NodeTypeBeforeSuite | types.NodeTypeSynchronizedBeforeSuite):
			if sr.EndTime.After(run.SetupEnd) {
				run.SetupEnd = sr.EndTime
			}
		case sr.LeafNodeType == types.NodeTypeIt:
			if sr.StartTime.IsZero() || sr.State.Is(types.SpecStatePending) {
				continue // filtered out or pending: never ran
			}
			sp, err := specOf(sr)
			if err != nil {
				return run, err
			}
			if sr.State.Is(types.SpecStateFailureStates) {
				run.Failed++
			}
			run.Specs = append(run.Specs, sp)
		}
	}
	return run, nil
}

func specOf(sr types.SpecReport) (Spec, error) {
	texts := append(slices.Clone(sr.ContainerHierarchyTexts), sr.LeafNodeText)
	sp := Spec{
		Text:     strings.Join(texts, " "),
		Location: filepath.Base(sr.LeafNodeLocation.FileName) + ":" + strconv.Itoa(sr.LeafNodeLocation.LineNumber),
		Path:     sr.LeafNodeLocation.FileName,
		Process:  sr.ParallelProcess,
		State:    sr.State.String(),
		Start:    sr.StartTime,
		End:      sr.EndTime,
		RunTime:  sr.RunTime,
	}
	for _, ev := range sr.SpecEvents {
		if ev.SpecEventType == types.SpecEventNodeEnd && ev.NodeType == types.NodeTypeCleanupAfterEach {
			sp.Cleanup += ev.Duration
		}
	}
	for _, e := range sr.ReportEntries {
		if e.Name != EntryPerf {
			continue
		}
		var p SpecPerf
		if err := json.Unmarshal([]byte(e.StringRepresentation()), &p); err != nil {
			return sp, fmt.Errorf("spec %q (%s): the %s entry %q is not the expected JSON: %w", sp.Text, sp.Location, EntryPerf, e.StringRepresentation(), err)
		}
		if sp.Perf != nil { // more than one session: add them up
			p.Add(*sp.Perf)
		}
		sp.Perf = &p
	}
	return sp, nil
}

// Totals are sums over the specs of a run.
type Totals struct {
	Specs, SpecsWithPerf int
	// SpecPerf sums the specs' perf entries.
	SpecPerf
	// RunTime is the sum of the specs' run times; Cleanup of their DeferCleanup nodes.
	RunTime, Cleanup time.Duration
}

// Totals adds up the run's specs.
func (r Run) Totals() Totals {
	var t Totals
	for _, s := range r.Specs {
		t.Specs++
		t.RunTime += s.RunTime
		t.Cleanup += s.Cleanup
		if s.Perf == nil {
			continue
		}
		t.SpecsWithPerf++
		t.SpecPerf.Add(*s.Perf)
	}
	return t
}

// Wall is the report's end minus its start.
func (r Run) Wall() time.Duration { return r.End.Sub(r.Start) }

// Window is the wall time after process start and spec loading: from the end of the suite's set-up
// (SynchronizedBeforeSuite) to the report's end.
func (r Run) Window() time.Duration { return r.End.Sub(r.SetupEnd) }

// Startup is the time from the report's start to the end of the suite's set-up.
func (r Run) Startup() time.Duration { return r.SetupEnd.Sub(r.Start) }

// LastSpecEnd is the latest end of a spec (SetupEnd when none ran).
func (r Run) LastSpecEnd() time.Time {
	t := r.SetupEnd
	for _, s := range r.Specs {
		if s.End.After(t) {
			t = s.End
		}
	}
	return t
}

// Teardown is the time from the last spec's end to the report's end (after-suite nodes, waiting for processes).
func (r Run) Teardown() time.Duration { return r.End.Sub(r.LastSpecEnd()) }

// RequestsPerSpec summarises the request counts of the specs that attached a perf entry.
func (r Run) RequestsPerSpec() Spread {
	var xs []float64
	for _, s := range r.Specs {
		if s.Perf != nil {
			xs = append(xs, float64(s.Perf.Requests))
		}
	}
	return Summarize(xs)
}

// TopByRequests returns the n specs with the most requests (ties: longer run time first, then text).
func (r Run) TopByRequests(n int) []Spec {
	s := slices.Clone(r.Specs)
	slices.SortStableFunc(s, func(a, b Spec) int {
		return cmp.Or(
			cmp.Compare(b.Requests(), a.Requests()),
			cmp.Compare(b.RunTime, a.RunTime),
			strings.Compare(a.Text, b.Text),
		)
	})
	return s[:min(n, len(s))]
}

// Longest returns the spec with the longest run time (ok false when none ran).
func (r Run) Longest() (Spec, bool) {
	if len(r.Specs) == 0 {
		return Spec{}, false
	}
	return slices.MaxFunc(r.Specs, func(a, b Spec) int { return cmp.Compare(a.RunTime, b.RunTime) }), true
}

// Process is what one parallel process did.
type Process struct {
	Process  int
	Specs    int
	Requests int64
	// Busy is the sum of its specs' run times.
	Busy time.Duration
	// LastEnd is the end of its last spec.
	LastEnd time.Time
}

// Processes returns per-process figures, ordered by process number.
func (r Run) Processes() []Process {
	by := map[int]*Process{}
	for _, s := range r.Specs {
		p := by[s.Process]
		if p == nil {
			p = &Process{Process: s.Process}
			by[s.Process] = p
		}
		p.Specs++
		p.Requests += s.Requests()
		p.Busy += s.RunTime
		if s.End.After(p.LastEnd) {
			p.LastEnd = s.End
		}
	}
	out := make([]Process, 0, len(by))
	for _, p := range by {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Process) int { return cmp.Compare(a.Process, b.Process) })
	return out
}

// Bound is the latency bound of a run against a target that answers every request after delay: every request
// waits delay, and procs processes share them. It ignores requests a spec sends concurrently.
func Bound(requests int64, delay time.Duration, procs int) time.Duration {
	if procs <= 0 {
		return 0
	}
	return time.Duration(requests) * delay / time.Duration(procs)
}
