package perf

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func perfEntry(p SpecPerf) types.ReportEntry {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	// The session attaches the JSON as a string, as framework.Session.report does.
	return types.ReportEntry{Name: EntryPerf, Value: types.WrapEntryValue(string(b)), Visibility: types.ReportEntryVisibilityNever}
}

func it(container, text, file string, line, proc int, startMS, runMS int, state types.SpecState, entries ...types.ReportEntry) types.SpecReport {
	return types.SpecReport{
		ContainerHierarchyTexts: []string{container},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            text,
		LeafNodeLocation:        types.CodeLocation{FileName: file, LineNumber: line},
		State:                   state,
		StartTime:               at(startMS),
		EndTime:                 at(startMS + runMS),
		RunTime:                 time.Duration(runMS) * time.Millisecond,
		ParallelProcess:         proc,
		ReportEntries:           entries,
	}
}

func suiteNode(nt types.NodeType, proc, startMS, endMS int) types.SpecReport {
	return types.SpecReport{LeafNodeType: nt, State: types.SpecStatePassed, StartTime: at(startMS), EndTime: at(endMS),
		RunTime: time.Duration(endMS-startMS) * time.Millisecond, ParallelProcess: proc}
}

// syntheticReport is a two-process run: set-up ends at 30 ms on process 2, the report ends at 250 ms.
func syntheticReport(t *testing.T) []byte {
	t.Helper()
	a := it("Outer", "a", "/repo/suites/cancel/a_test.go", 10, 1, 30, 100, types.SpecStatePassed,
		perfEntry(SpecPerf{Requests: 4, Attempts: 5, Wait: 60 * time.Millisecond, Throttle: time.Millisecond, Backoff: 2 * time.Millisecond}),
		types.ReportEntry{Name: "conformance.outcome", Value: types.WrapEntryValue("errored")})
	a.SpecEvents = []types.SpecEvent{
		// only "Node (End)" events count (this start event's duration is made up to check that)
		{SpecEventType: types.SpecEventNodeStart, NodeType: types.NodeTypeCleanupAfterEach, Duration: time.Hour},
		{SpecEventType: types.SpecEventNodeEnd, NodeType: types.NodeTypeIt, Duration: 90 * time.Millisecond},
		{SpecEventType: types.SpecEventNodeEnd, NodeType: types.NodeTypeCleanupAfterEach, Duration: 5 * time.Millisecond},
		{SpecEventType: types.SpecEventNodeEnd, NodeType: types.NodeTypeCleanupAfterEach, Duration: time.Millisecond},
	}
	// b sends its 8 requests concurrently: 80 ms of summed wait within 50 ms.
	b := it("Races", "b", "/repo/suites/cancel/b_test.go", 20, 2, 31, 50, types.SpecStateFailed,
		perfEntry(SpecPerf{Requests: 8, Attempts: 8, Wait: 80 * time.Millisecond}))
	c := it("Outer", "c without a session", "/repo/suites/cancel/a_test.go", 30, 1, 130, 20, types.SpecStatePassed)
	// d made two sessions: their entries add up.
	d := it("Outer", "d", "/repo/suites/cancel/a_test.go", 40, 2, 170, 30, types.SpecStatePassed,
		perfEntry(SpecPerf{Requests: 1, Attempts: 1, Wait: 5 * time.Millisecond}),
		perfEntry(SpecPerf{Requests: 1, Attempts: 1, Wait: 5 * time.Millisecond}))
	pending := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "pending", State: types.SpecStatePending}
	filtered := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "filtered", State: types.SpecStateSkipped}

	r := types.Report{
		SuiteDescription: "synthetic",
		SuiteSucceeded:   false,
		StartTime:        t0,
		EndTime:          at(250),
		SpecReports: types.SpecReports{
			suiteNode(types.NodeTypeSynchronizedBeforeSuite, 1, 1, 20),
			suiteNode(types.NodeTypeSynchronizedBeforeSuite, 2, 2, 30),
			a, b, c, d, pending, filtered,
			suiteNode(types.NodeTypeSynchronizedAfterSuite, 1, 201, 249),
			suiteNode(types.NodeTypeReportAfterSuite, 1, 250, 260),
		},
	}
	data, err := json.Marshal([]types.Report{r})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseReportAggregates(t *testing.T) {
	run, err := ParseReport(syntheticReport(t))
	if err != nil {
		t.Fatal(err)
	}
	if run.Suite != "synthetic" || run.Succeeded || run.Failed != 1 {
		t.Errorf("suite %q, succeeded %v, failed %d; want synthetic, false, 1", run.Suite, run.Succeeded, run.Failed)
	}
	if len(run.Specs) != 4 {
		t.Fatalf("%d specs, want the 4 that ran (pending and filtered ones excluded)", len(run.Specs))
	}
	if !run.SetupEnd.Equal(at(30)) {
		t.Errorf("SetupEnd = %v, want the later of the two SynchronizedBeforeSuite ends (30 ms)", run.SetupEnd.Sub(t0))
	}
	if run.Wall() != 250*time.Millisecond || run.Window() != 220*time.Millisecond || run.Startup() != 30*time.Millisecond {
		t.Errorf("wall %v, window %v, startup %v; want 250ms, 220ms, 30ms", run.Wall(), run.Window(), run.Startup())
	}
	if !run.LastSpecEnd().Equal(at(200)) || run.Teardown() != 50*time.Millisecond {
		t.Errorf("last spec end %v, teardown %v; want 200ms, 50ms", run.LastSpecEnd().Sub(t0), run.Teardown())
	}

	got := run.Totals()
	want := Totals{
		Specs: 4, SpecsWithPerf: 3,
		SpecPerf: SpecPerf{
			Requests: 14, Attempts: 15,
			Wait:     150 * time.Millisecond,
			Throttle: time.Millisecond, Backoff: 2 * time.Millisecond,
		},
		RunTime: 200 * time.Millisecond,
		Cleanup: 6 * time.Millisecond, // only the DeferCleanup ends, not the It's
	}
	if got != want {
		t.Errorf("Totals =\n  %+v\nwant\n  %+v", got, want)
	}

	a := run.Specs[0]
	if a.Text != "Outer a" || a.Location != "a_test.go:10" || a.Path != "/repo/suites/cancel/a_test.go" || a.Process != 1 || a.State != "passed" {
		t.Errorf("spec a = %+v", a)
	}
	if d := run.Specs[3]; d.Perf == nil || d.Perf.Requests != 2 || d.Perf.Wait != 10*time.Millisecond {
		t.Errorf("spec d's two entries should add up to 2 requests and 10ms, got %+v", d.Perf)
	}
	if c := run.Specs[2]; c.Perf != nil || c.Requests() != 0 {
		t.Errorf("spec c has no entry, got %+v", c.Perf)
	}

	if rps := run.RequestsPerSpec(); rps != (Spread{N: 3, Min: 2, Median: 4, Max: 8}) {
		t.Errorf("RequestsPerSpec = %+v, want 2/4/8 over 3 specs (c has no entry)", rps)
	}
	top := run.TopByRequests(2)
	if len(top) != 2 || top[0].Text != "Races b" || top[1].Text != "Outer a" {
		t.Errorf("TopByRequests(2) = %v", texts(top))
	}
	if all := run.TopByRequests(10); len(all) != 4 || all[3].Text != "Outer c without a session" {
		t.Errorf("TopByRequests(10) = %v, want all 4 with c last", texts(all))
	}
	if l, ok := run.Longest(); !ok || l.Text != "Outer a" {
		t.Errorf("Longest = %q, want Outer a", l.Text)
	}

	procs := run.Processes()
	wantProcs := []Process{
		{Process: 1, Specs: 2, Requests: 4, Busy: 120 * time.Millisecond, LastEnd: at(150)},
		{Process: 2, Specs: 2, Requests: 10, Busy: 80 * time.Millisecond, LastEnd: at(200)},
	}
	if len(procs) != 2 {
		t.Fatalf("Processes = %+v", procs)
	}
	for i := range procs {
		if procs[i].Process != wantProcs[i].Process || procs[i].Specs != wantProcs[i].Specs || procs[i].Requests != wantProcs[i].Requests ||
			procs[i].Busy != wantProcs[i].Busy || !procs[i].LastEnd.Equal(wantProcs[i].LastEnd) {
			t.Errorf("Processes[%d] = %+v, want %+v", i, procs[i], wantProcs[i])
		}
	}
}

func texts(ss []Spec) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Text)
	}
	return out
}

func TestTopByRequestsTies(t *testing.T) {
	p := func(n int64) *SpecPerf { return &SpecPerf{Requests: n} }
	run := Run{Specs: []Spec{
		{Text: "a short", Perf: p(6), RunTime: time.Millisecond},
		{Text: "b long", Perf: p(6), RunTime: 9 * time.Millisecond},
		{Text: "a long", Perf: p(6), RunTime: 9 * time.Millisecond},
		{Text: "most", Perf: p(7)},
	}}
	want := []string{"most", "a long", "b long", "a short"}
	got := texts(run.TopByRequests(4))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("TopByRequests = %v, want %v (requests, then run time, then text)", got, want)
	}
	if run.Specs[0].Text != "a short" {
		t.Error("TopByRequests reordered the run's specs")
	}
}

func TestBound(t *testing.T) {
	if got := Bound(274, 100*time.Millisecond, 8); got != 3425*time.Millisecond {
		t.Errorf("Bound(274, 100ms, 8) = %v, want 3.425s", got)
	}
	if got := Bound(10, time.Second, 0); got != 0 {
		t.Errorf("Bound with 0 processes = %v, want 0", got)
	}
}

// A spec report as Ginkgo v2.34 writes it (trimmed), with the entry value double-encoded in AsJSON.
const ginkgoJSON = `[{"SuiteDescription":"PaymentIntent cancel conformance","SuiteSucceeded":true,
"StartTime":"2026-11-30T00:03:44.783178464Z","EndTime":"2026-11-30T00:03:44.988038143Z","RunTime":204859669,
"SpecReports":[
{"LeafNodeType":"SynchronizedBeforeSuite","LeafNodeLocation":{"FileName":"/work/main/suites/cancel/suite_test.go","LineNumber":45},
 "State":"passed","StartTime":"2026-11-30T00:03:44.783253576Z","EndTime":"2026-11-30T00:03:44.807411206Z","RunTime":24157630,"ParallelProcess":1},
{"ContainerHierarchyTexts":["Cancel a PaymentIntent","from a cancelable status"],"LeafNodeType":"It",
 "LeafNodeLocation":{"FileName":"/work/main/suites/cancel/cancel_test.go","LineNumber":59},"LeafNodeText":"cancels an intent in requires_action",
 "State":"passed","StartTime":"2026-11-30T00:03:44.808030843Z","EndTime":"2026-11-30T00:03:44.812402277Z","RunTime":4371434,"ParallelProcess":1,
 "ReportEntries":[{"Visibility":"never","Name":"conformance.perf","Time":"2026-11-30T00:03:44.812395097Z",
   "Value":{"AsJSON":"\"{\\\"requests\\\":4,\\\"attempts\\\":4,\\\"wait_ns\\\":1730976,\\\"throttle_ns\\\":0,\\\"backoff_ns\\\":0}\"",
            "Representation":"{\"requests\":4,\"attempts\":4,\"wait_ns\":1730976,\"throttle_ns\":0,\"backoff_ns\":0}"}}],
 "SpecEvents":[{"SpecEventType":"Node (End)","Duration":456736,"NodeType":"DeferCleanup (Each)"},
               {"SpecEventType":"Node (End)","Duration":3704958,"NodeType":"It"}]}
]}]`

func TestParseReportGinkgoFormat(t *testing.T) {
	run, err := ParseReport([]byte(ginkgoJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Specs) != 1 {
		t.Fatalf("%d specs, want 1", len(run.Specs))
	}
	s := run.Specs[0]
	if s.Perf == nil || *s.Perf != (SpecPerf{Requests: 4, Attempts: 4, Wait: 1730976}) {
		t.Errorf("perf = %+v", s.Perf)
	}
	if s.Cleanup != 456736 || s.Text != "Cancel a PaymentIntent from a cancelable status cancels an intent in requires_action" {
		t.Errorf("cleanup %v, text %q", s.Cleanup, s.Text)
	}
	if want := time.Duration(988038143 - 807411206); run.Window() != want {
		t.Errorf("Window = %v, want %v", run.Window(), want)
	}
}

func TestParseReportErrors(t *testing.T) {
	two, _ := json.Marshal([]types.Report{{StartTime: t0, EndTime: at(1)}, {StartTime: t0, EndTime: at(1)}})
	noTimes, _ := json.Marshal([]types.Report{{}})
	bad := it("X", "bad entry", "/x_test.go", 1, 1, 0, 1, types.SpecStatePassed,
		types.ReportEntry{Name: EntryPerf, Value: types.WrapEntryValue("requests: 4")})
	badEntry, _ := json.Marshal([]types.Report{{StartTime: t0, EndTime: at(1), SpecReports: types.SpecReports{bad}}})
	for name, data := range map[string][]byte{
		"not json":       []byte("PASS"),
		"no suite":       []byte("[]"),
		"two suites":     two,
		"no times":       noTimes,
		"bad perf entry": badEntry,
	} {
		if _, err := ParseReport(data); err == nil {
			t.Errorf("%s: ParseReport succeeded, want an error", name)
		}
	}
}

// The entry harness/framework writes (labels.SpecPerf, marshalled as JSON) is read back field by field.
func TestReadsTheFrameworkEntry(t *testing.T) {
	in := labels.SpecPerf{Requests: 3, Attempts: 4, Wait: 5, Throttle: 6, Backoff: 7}
	sp, err := specOf(it("Outer", "x", "/x_test.go", 1, 1, 0, 1, types.SpecStatePassed, perfEntry(in)))
	if err != nil || sp.Perf == nil || *sp.Perf != in {
		t.Errorf("specOf read %+v, %v; want %+v", sp.Perf, err, in)
	}
}
