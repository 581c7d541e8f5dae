package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
)

func build(t *testing.T) (*Results, types.Report, map[string]Outcome) {
	t.Helper()
	r, want := fixture(t)
	return Build(fixtureMeta(), r, fixtureOptions()), r, want
}

// tally counts the given outcomes.
func tally(os ...Outcome) Totals {
	var t Totals
	for _, o := range os {
		t.Add(o)
	}
	return t
}

func TestLadderOrder(t *testing.T) {
	order := []Outcome{Disabled, Skipped, Blocked, Passed, Failed, Errored}
	if len(Ladder) != len(order) || int(NumOutcomes) != len(order)+1 {
		t.Fatalf("ladder %v, NumOutcomes %d", Ladder, NumOutcomes)
	}
	for i, o := range order {
		if Ladder[i] != o {
			t.Errorf("Ladder[%d] = %s, want %s", i, Ladder[i], o)
		}
		if !o.Valid() || !(NoOutcome < o) {
			t.Errorf("%s: valid %v, above NoOutcome %v", o, o.Valid(), NoOutcome < o)
		}
		for j, p := range order {
			if (o < p) != (i < j) {
				t.Errorf("%s < %s is %v, want %v", o, p, o < p, i < j)
			}
			want := o
			if j > i {
				want = p
			}
			if got := Worse(o, p); got != want {
				t.Errorf("Worse(%s, %s) = %s, want %s", o, p, got, want)
			}
		}
	}
	if Worse(NoOutcome, Disabled) != Disabled || NoOutcome.Valid() || NumOutcomes.Valid() {
		t.Error("NoOutcome must rank below Disabled, and neither it nor NumOutcomes is a valid outcome")
	}
	if Blocked.Applicable() || !Blocked.FailsRun() || Blocked.Bad() || Skipped.FailsRun() || !Errored.FailsRun() {
		t.Error("blocked: not applicable, not bad, but fails the run")
	}
	if Blocked.Emoji() == Disabled.Emoji() || Blocked.Title() != "Blocked" || Blocked.Letter() != "B" || Outcome(200).Emoji() != "?" {
		t.Errorf("tables: %q %q %q", Blocked.Emoji(), Blocked.Title(), Blocked.Letter())
	}
}

func TestOutcomeJSONRoundTrip(t *testing.T) {
	names := map[Outcome]string{Disabled: "disabled", Skipped: "skipped", Blocked: "blocked", Passed: "passed", Failed: "failed", Errored: "errored", NoOutcome: ""}
	for o, name := range names {
		b, err := json.Marshal(o)
		if err != nil || string(b) != `"`+name+`"` {
			t.Errorf("Marshal(%d) = %s, %v; want %q", o, b, err, name)
		}
		var back Outcome = 99
		if err := json.Unmarshal(b, &back); err != nil || back != o {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", b, back, err, o)
		}
		if o.String() != name {
			t.Errorf("String(%d) = %q", o, o.String())
		}
	}
	var o Outcome
	for _, bad := range []string{`"great"`, `"Passed"`, `3`, `null`} {
		if err := json.Unmarshal([]byte(bad), &o); err == nil && bad != "null" {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	if _, err := json.Marshal(Outcome(NumOutcomes)); err == nil {
		t.Error("an out-of-range outcome was encoded")
	}
	// In a struct, as results.json and compat write it.
	b, _ := json.Marshal(struct{ O []Outcome }{[]Outcome{Blocked, NoOutcome}})
	if string(b) != `{"O":["blocked",""]}` {
		t.Errorf("slice: %s", b)
	}
}

func TestTotalsCountsAndJSON(t *testing.T) {
	tt := tally(Passed, Passed, Failed, Blocked, Skipped, Disabled, Errored, NoOutcome)
	if tt.Counts[Passed] != 2 || tt.Counts[Blocked] != 1 || tt.Counts[NoOutcome] != 0 || tt.All() != 7 || tt.Applicable() != 4 || tt.Worst() != Errored {
		t.Fatalf("totals %+v all %d applicable %d worst %s", tt, tt.All(), tt.Applicable(), tt.Worst())
	}
	if (Totals{}).Worst() != NoOutcome || tally(Blocked, Skipped).Worst() != Blocked || tally(Blocked).Applicable() != 0 {
		t.Error("worst or applicable of blocked")
	}
	b, err := json.Marshal(tt)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"all":7,"applicable":4,"disabled":1,"skipped":1,"blocked":1,"passed":2,"failed":1,"errored":1}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Totals
	if err := json.Unmarshal(b, &back); err != nil || back != tt {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	// A file written before blocked existed.
	if err := json.Unmarshal([]byte(`{"all":3,"applicable":2,"disabled":1,"skipped":0,"passed":1,"failed":1,"errored":0}`), &back); err != nil || back != tally(Disabled, Passed, Failed) {
		t.Errorf("old totals: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"passed":-1}`), &back); err == nil {
		t.Error("a negative count was accepted")
	}
}

func TestClassify(t *testing.T) {
	sk := func(state types.SpecState, msg string, entries ...types.ReportEntry) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, State: state, Failure: types.Failure{Message: msg}, ReportEntries: entries}
	}
	cases := []struct {
		name string
		sr   types.SpecReport
		want Outcome
	}{
		{"passed", sk(types.SpecStatePassed, ""), Passed},
		{"failed", sk(types.SpecStateFailed, "Expected 200, got 400"), Failed},
		{"failed mentioning errored later", sk(types.SpecStateFailed, "status 400; "+labels.PrefixErrored), Failed},
		{"errored by prefix", sk(types.SpecStateFailed, labels.PrefixErrored+"connection refused"), Errored},
		{"errored by prefix after whitespace", sk(types.SpecStateFailed, "\n"+labels.PrefixErrored+"connection refused"), Errored},
		{"errored by entry", sk(types.SpecStateFailed, "x", entry(labels.EntryOutcome, "errored")), Errored},
		{"other outcome entry", sk(types.SpecStateFailed, "x", entry(labels.EntryOutcome, "failed")), Failed},
		{"panicked", sk(types.SpecStatePanicked, "Test Panicked"), Errored},
		{"interrupted", sk(types.SpecStateInterrupted, "Interrupted by User"), Errored},
		{"aborted", sk(types.SpecStateAborted, "livemode"), Errored},
		{"timedout", sk(types.SpecStateTimedout, "A spec timeout occurred"), Errored},
		{"invalid state", sk(types.SpecStateInvalid, ""), Errored},
		{"disabled by prefix", sk(types.SpecStateSkipped, labels.PrefixDisabled+"profile x does not support y"), Disabled},
		{"disabled by entry", sk(types.SpecStateSkipped, "whatever", entry(labels.EntryDisabled, "races")), Disabled},
		{"user skip", sk(types.SpecStateSkipped, "not applicable"), Skipped},
		{"timing skip", sk(types.SpecStateSkipped, "did not overlap", entry(labels.EntrySkipKind, "timing")), Skipped},
		{"blocked by prefix", sk(types.SpecStateSkipped, labels.PrefixBlocked+"requires_action could not be reached"), Blocked},
		{"blocked by entry", sk(types.SpecStateSkipped, "x", entry(labels.EntryBlocked, `{"step":"reach requires_action","reason":"402"}`)), Blocked},
		{"failed with a blocked entry", sk(types.SpecStateFailed, "x", entry(labels.EntryBlocked, `{"step":"s","reason":"r"}`)), Failed},
		{"passed mentioning blocked", sk(types.SpecStatePassed, labels.PrefixBlocked), Passed},
		{"filtered out", sk(types.SpecStateSkipped, ""), Skipped},
		{"pending", sk(types.SpecStatePending, ""), Skipped},
	}
	for _, c := range cases {
		if got := Classify(c.sr); got != c.want {
			t.Errorf("%s: Classify = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestEveryCheckIsReportedWithItsOutcome(t *testing.T) {
	res, r, want := build(t)
	if len(res.Checks) != len(want)+2 {
		t.Fatalf("%d checks, want %d and 2 synthetic schema checks (suite-level nodes must not count)", len(res.Checks), len(want))
	}
	byID := map[string]Check{}
	for _, c := range res.Checks {
		if _, dup := byID[c.ID]; dup {
			t.Errorf("duplicate id %q", c.ID)
		}
		byID[c.ID] = c
	}
	for _, sr := range r.SpecReports {
		if !IsCheck(sr) {
			continue
		}
		id := labels.Value(sr.Labels(), labels.FamilyID)
		if id == "" {
			id = CheckID(sr.FullText())
		}
		c, ok := byID[id]
		if !ok {
			t.Errorf("check %q missing", sr.FullText())
			continue
		}
		if c.Outcome != want[sr.FullText()] {
			t.Errorf("%q: outcome %s, want %s", sr.FullText(), c.Outcome, want[sr.FullText()])
		}
		if got := labels.Value(sr.Labels(), labels.FamilyStatus); c.Status != got {
			t.Errorf("%q: status %q, want %q", sr.FullText(), c.Status, got)
		}
		if c.Outcome.Bad() != (c.Failure != nil) {
			t.Errorf("%q: failure details present=%v for outcome %s", sr.FullText(), c.Failure != nil, c.Outcome)
		}
	}
	// Full text is container texts and leaf text joined by " ".
	c := byID["cancel.rpm"] // from the id:* label
	if c.Text != "Cancel a PaymentIntent from a cancelable status cancels an intent in requires_payment_method: 200, status canceled" {
		t.Errorf("text = %q", c.Text)
	}
	if c.Location != "/nonexistent/suites/cancel/synthetic_test.go:10" || c.DurationSeconds != 0.12 || c.Op != "cancel" || c.Check != "cancel" {
		t.Errorf("check fields: %+v", c)
	}
	// Checks are ordered by matrix row, then column.
	for i := 1; i < len(res.Checks); i++ {
		a, b := res.Checks[i-1], res.Checks[i]
		ra, rb := indexOf(labels.Statuses, a.Status), indexOf(labels.Statuses, b.Status)
		if ra > rb || ra == rb && indexOf(labels.Checks, a.Check) > indexOf(labels.Checks, b.Check) {
			t.Errorf("checks out of order: %s/%s before %s/%s", a.Status, a.Check, b.Status, b.Check)
		}
	}
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return len(list)
}

func TestFailureDetails(t *testing.T) {
	res, _, _ := build(t)
	var f *Failure
	for _, c := range res.Checks {
		if strings.Contains(c.Text, "[x] {1,2}") {
			f = c.Failure
		}
	}
	if f == nil {
		t.Fatal("failed check not found")
	}
	if !strings.HasPrefix(f.Message, "Expected status 200 but got 400 with key sk_test_[REDACTED] and token [REDACTED]") {
		t.Errorf("message not redacted as expected: %q", f.Message)
	}
	if f.Location != "/nonexistent/suites/cancel/synthetic_test.go:23" || f.Node != "It" {
		t.Errorf("location %q node %q", f.Location, f.Node)
	}
	if len(f.Exchanges) != 2 {
		t.Fatalf("%d exchanges, want 2", len(f.Exchanges))
	}
	e := f.Exchanges[0]
	if e.Method != "POST" || e.Status != 400 || e.Attempts != 2 || e.DurationMS != 12 || e.Path != "/v1/payment_intents/pi_123/cancel?key=sk_test_[REDACTED]" {
		t.Errorf("exchange: %+v", e)
	}
	if !strings.Contains(e.Curl, "$CONFORMANCE_API_KEY") || !strings.HasPrefix(e.Curl, "curl ") {
		t.Errorf("curl line does not read the key from the environment: %s", e.Curl)
	}
	if got := e.RequestHeader.Get("Authorization"); got != "Bearer [REDACTED]" {
		t.Errorf("Authorization header = %q", got)
	}
	if len(e.RetryLog) != 1 {
		t.Errorf("retry log: %v", e.RetryLog)
	}
	// The panicked check carries its panic, redacted.
	for _, c := range res.Checks {
		if c.State == "panicked" && (c.Failure == nil || c.Failure.Panic != "runtime error: index out of range; key sk_test_[REDACTED]") {
			t.Errorf("panic not reported: %+v", c.Failure)
		}
	}
}

func TestSuiteProblems(t *testing.T) {
	res, _, _ := build(t)
	if len(res.Suite.Problems) != 1 || res.Suite.Problems[0].Node != "SynchronizedAfterSuite" || res.Suite.Problems[0].State != "failed" {
		t.Fatalf("suite problems: %+v", res.Suite.Problems)
	}
	if res.Suite.Path != "/nonexistent/suites/cancel" || res.Suite.Description != suiteDesc || res.Suite.TotalSpecs != len(res.Checks)-len(res.SchemaChecks()) {
		t.Errorf("suite: %+v", res.Suite)
	}
}

func TestMatrixWorstOf(t *testing.T) {
	res, _, _ := build(t)
	m := res.Matrix
	if strings.Join(m.Rows, ",") != strings.Join(labels.Statuses, ",") || strings.Join(m.Columns, ",") != strings.Join(labels.Checks, ",") {
		t.Fatalf("rows %v columns %v", m.Rows, m.Columns)
	}
	cases := []struct {
		row, col string
		want     Outcome
		counts   Totals
	}{
		{"requires_payment_method", "cancel", Failed, tally(Passed, Failed)},
		{"requires_payment_method", "reason", Failed, tally(Passed, Passed, Failed)},
		{"requires_payment_method", "idempotency", Passed, tally(Passed, Disabled)},
		{"requires_payment_method", "errors", Failed, tally(Failed)},
		{"requires_payment_method", "races", Errored, tally(Errored)},
		{"requires_action", "reach", Failed, tally(Failed)},
		{"requires_action", "cancel", Blocked, tally(Blocked)},
		{"requires_action", "reason", Blocked, tally(Blocked)},
		{"requires_capture", "reach", Passed, tally(Passed)},
		{"requires_capture", "refund", Errored, tally(Errored, Errored)},
		{"requires_capture", "races", Skipped, tally(Skipped)},
		{"processing", "cancel", Disabled, tally(Disabled)},
		{"canceled", "post-cancel", Skipped, tally(Skipped, Skipped, Skipped)},
		{"canceled", "rejection", Errored, tally(Errored)},
		{"any", "errors", Passed, tally(Passed)},
		{"any", "schema", Failed, tally(Passed, Failed)}, // the synthetic schema checks
	}
	present := 0
	for _, c := range cases {
		cell := m.Cell(c.row, c.col)
		if cell == nil {
			t.Errorf("%s × %s: absent", c.row, c.col)
			continue
		}
		if cell.Outcome != c.want || cell.Counts != c.counts {
			t.Errorf("%s × %s: %s %+v, want %s %+v", c.row, c.col, cell.Outcome, cell.Counts, c.want, c.counts)
		}
		if cell.First == "" {
			t.Errorf("%s × %s: no first check id", c.row, c.col)
		}
	}
	for _, row := range m.Rows {
		for _, col := range m.Columns {
			if m.Cell(row, col) != nil {
				present++
			}
		}
	}
	// the cases above + succeeded×rejection + requires_payment_method×schema.
	if present != len(cases)+2 {
		t.Errorf("%d cells present, want %d", present, len(cases)+2)
	}
	if m.Cell("succeeded", "cancel") != nil || m.Cell("nope", "cancel") != nil {
		t.Error("a cell without checks must be absent")
	}
	// The failed cell links to the failed check, not the passed one.
	first := m.Cell("requires_payment_method", "cancel").First
	for _, c := range res.Checks {
		if c.ID == first && c.Outcome != Failed {
			t.Errorf("cell's first check is %s, want the failed one", c.Outcome)
		}
	}
}

func TestUnlabelledChecksGetTheirOwnRowAndColumn(t *testing.T) {
	r := types.Report{SuiteDescription: "s", SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "no labels", State: types.SpecStatePassed},
	}}
	res := Build(RunMeta{}, r, Options{})
	if c := res.Matrix.Cell(Unlabelled, Unlabelled); c == nil || c.Outcome != Passed {
		t.Fatalf("unlabelled cell: %+v (rows %v, columns %v)", c, res.Matrix.Rows, res.Matrix.Columns)
	}
}

func TestScoreIndexAndTotals(t *testing.T) {
	res, _, _ := build(t)
	want := Totals{Counts: [NumOutcomes]int{Disabled: 2, Skipped: 4, Blocked: 2, Passed: 7, Failed: 5, Errored: 6}}
	if res.Totals != want || res.Totals.All() != 26 || res.Totals.Applicable() != 18 {
		t.Fatalf("totals %+v, want %+v", res.Totals, want)
	}
	if res.Score == nil || *res.Score != 7.0/18 {
		t.Errorf("score = %v, want 7/18", res.Score)
	}
	// Blocked checks are not applicable: the index drops.
	if res.ConformanceIndex == nil || *res.ConformanceIndex != 18.0/26 {
		t.Errorf("index = %v, want 18/26", res.ConformanceIndex)
	}
	if Pct(res.Score) != "38.9 %" || Pct(res.ConformanceIndex) != "69.2 %" || Pct(nil) != "n/a" {
		t.Errorf("Pct: %s %s", Pct(res.Score), Pct(res.ConformanceIndex))
	}

	// Nothing applicable: the score is null, not 0 or NaN; no checks at all: the index is null too.
	only := Build(RunMeta{}, types.Report{SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped}}}, Options{})
	if only.Score != nil || only.ConformanceIndex == nil || *only.ConformanceIndex != 0 {
		t.Errorf("all skipped: score %v index %v", only.Score, only.ConformanceIndex)
	}
	empty := Build(RunMeta{}, types.Report{}, Options{})
	if empty.Score != nil || empty.ConformanceIndex != nil || empty.Checks == nil {
		t.Errorf("empty: score %v index %v checks %v", empty.Score, empty.ConformanceIndex, empty.Checks)
	}
	js, _ := json.Marshal(empty)
	if !bytes.Contains(js, []byte(`"score":null`)) || !bytes.Contains(js, []byte(`"checks":[]`)) {
		t.Errorf("empty results JSON: %s", js)
	}
}

func TestMetaNeverHoldsTheKey(t *testing.T) {
	meta := fixtureMeta()
	meta.TargetHost = "user:" + plantedKey + "@vendor.example:443"
	res := Build(meta, types.Report{}, Options{})
	if strings.Contains(res.Meta.TargetHost, "DISTINCTIVE") {
		t.Fatalf("target host leaks the key: %s", res.Meta.TargetHost)
	}
	if res.Meta.DurationSeconds != 95 || !res.Meta.Started.Equal(t0) || res.Meta.Profile != "reference" || !res.Meta.Embedded {
		t.Errorf("meta: %+v", res.Meta)
	}
	// Missing times fall back to the report's.
	res = Build(RunMeta{}, types.Report{StartTime: t0, EndTime: t0.Add(time.Second)}, Options{})
	if !res.Meta.Started.Equal(t0) || res.Meta.DurationSeconds != 1 {
		t.Errorf("fallback times: %+v", res.Meta)
	}
}

// A merged parallel report (and one read back from Ginkgo's JSON) carries entry values JSON-decoded; the results
// must be the same.
func TestParallelReportFormGivesTheSameResults(t *testing.T) {
	r, _ := fixture(t)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back types.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	a := Build(fixtureMeta(), r, fixtureOptions())
	z := Build(fixtureMeta(), back, fixtureOptions())
	ja, _ := json.Marshal(a)
	jz, _ := json.Marshal(z)
	if !bytes.Equal(ja, jz) {
		t.Fatalf("results differ after a JSON round trip of the report:\n%s\n%s", ja, jz)
	}
}

func TestEntryTextForms(t *testing.T) {
	list := []map[string]any{{"method": "GET"}}
	b, _ := json.Marshal(list)
	for name, e := range map[string]types.ReportEntry{
		"string":        entry("x", string(b)),
		"bytes":         entry("x", b),
		"structured":    entry("x", list),
		"decoded empty": {Name: "x", Value: types.ReportEntryValue{AsJSON: fmt.Sprintf("%q", b)}},
	} {
		if got := entryText(e); got != string(b) {
			t.Errorf("%s: %q", name, got)
		}
	}
}

func TestUndecodableExchangesAreNoted(t *testing.T) {
	r := types.Report{SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, State: types.SpecStateFailed,
		Failure: types.Failure{Message: "boom"}, ReportEntries: types.ReportEntries{entry(labels.EntryExchanges, "not json")}}}}
	res := Build(RunMeta{}, r, Options{})
	if f := res.Checks[0].Failure; f == nil || len(f.Notes) != 1 || len(f.Exchanges) != 0 {
		t.Fatalf("failure: %+v", f)
	}
}

// --- rerun ---

func matchSet(t *testing.T, expr, desc string, texts []string) map[string]bool {
	t.Helper()
	re, err := regexp.Compile(expr)
	if err != nil {
		t.Fatalf("expression does not compile: %v\n%s", err, expr)
	}
	out := map[string]bool{}
	for _, x := range texts {
		if re.MatchString(desc + " " + x) { // what Ginkgo's focus matches against
			out[x] = true
		}
	}
	return out
}

func TestRerunSelectsExactlyTheFailedAndErrored(t *testing.T) {
	res, r, want := build(t)
	var all []string
	wantSet := map[string]bool{}
	for _, sr := range r.SpecReports {
		if IsCheck(sr) {
			all = append(all, sr.FullText())
			// What fails the run, and the spec that received the response violating the schema.
			if want[sr.FullText()].FailsRun() || strings.HasSuffix(sr.FullText(), "refuses the same Idempotency-Key with different parameters") {
				wantSet[sr.FullText()] = true
			}
		}
	}
	got := matchSet(t, res.Rerun.Focus, r.SuiteDescription, all)
	if len(got) != len(wantSet) {
		t.Errorf("selects %d checks, want %d", len(got), len(wantSet))
	}
	for x := range wantSet {
		if !got[x] {
			t.Errorf("does not select failed check %q", x)
		}
	}
	for x := range got {
		if !wantSet[x] {
			t.Errorf("selects check %q which did not fail", x)
		}
	}
	if !res.Rerun.Exact || res.Rerun.Count != 13 {
		t.Errorf("rerun: exact %v count %d, want true 13", res.Rerun.Exact, res.Rerun.Count)
	}
	if strings.Contains(res.Rerun.Focus, "DISTINCTIVE") {
		t.Error("the focus expression spells out a key")
	}
	// A different suite's spec with the same text is not selected.
	if ok, _ := FocusMatches(res.Rerun.Focus, "Another suite", "Cancel a PaymentIntent lists the refunds (errored by entry only)"); ok {
		t.Error("focus matches a spec of another suite")
	}
	if ok, _ := FocusMatches(res.Rerun.Focus, suiteDesc, "Cancel a PaymentIntent lists the refunds (errored by entry only)"); !ok {
		t.Error("focus does not match an errored spec")
	}
}

// Random texts built from regexp metacharacters and shared prefixes: the expression selects exactly the chosen ones.
func TestFocusExpressionProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	alphabet := []string{"a", "b", " ", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "^", "$", `\`, "-", "=", ",", "é", "\n", "ab", "a b"}
	for round := 0; round < 300; round++ {
		seen := map[string]bool{}
		var texts []string
		for len(texts) < 12 {
			var b strings.Builder
			for n := rng.Intn(8); n >= 0; n-- {
				b.WriteString(alphabet[rng.Intn(len(alphabet))])
			}
			s := b.String()
			if len(texts) > 0 && rng.Intn(3) == 0 { // extend an existing text: prefixes and superstrings
				s = texts[rng.Intn(len(texts))] + s
			}
			if !seen[s] {
				seen[s] = true
				texts = append(texts, s)
			}
		}
		var chosen []string
		wantSet := map[string]bool{}
		for _, x := range texts {
			if rng.Intn(2) == 0 {
				chosen = append(chosen, x)
				wantSet[x] = true
			}
		}
		desc := "Suite (" + alphabet[rng.Intn(len(alphabet))] + ")"
		expr := FocusExpression(desc, chosen)
		if len(chosen) == 0 {
			if expr != "" {
				t.Fatalf("no texts: expression %q", expr)
			}
			continue
		}
		got := matchSet(t, expr, desc, texts)
		for _, x := range texts {
			if got[x] != wantSet[x] {
				t.Fatalf("round %d: text %q selected=%v, want %v\nexpr: %s", round, x, got[x], wantSet[x], expr)
			}
		}
	}
}

func TestRerunReportsDuplicateTexts(t *testing.T) {
	r := types.Report{SuiteDescription: "S", SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "same", State: types.SpecStateFailed, Failure: types.Failure{Message: "x"}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "same", State: types.SpecStatePassed},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "other", State: types.SpecStatePassed},
	}}
	res := Build(RunMeta{}, r, Options{})
	if res.Rerun.Exact || len(res.Rerun.Extra) != 1 || res.Rerun.Extra[0] != "same" {
		t.Fatalf("rerun: %+v", res.Rerun)
	}
	txt := string(res.RerunText("out"))
	if !strings.Contains(txt, "# Not exact") {
		t.Errorf("rerun.txt does not warn:\n%s", txt)
	}
}

// A key in a failed spec's text is written as .+; when that also matches a passed spec, the expression says so.
func TestRerunReportsMaskedTextsThatMatchOthers(t *testing.T) {
	r := types.Report{SuiteDescription: "S", SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "key sk_test_AAAAAAAAAAAAAAAA works", State: types.SpecStateFailed, Failure: types.Failure{Message: "x"}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "key sk_test_BBBBBBBBBBBBBBBB works", State: types.SpecStatePassed},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "key other works", State: types.SpecStatePassed},
	}}
	res := Build(RunMeta{}, r, Options{})
	if res.Rerun.Exact || len(res.Rerun.Extra) != 1 || res.Rerun.Extra[0] != "key sk_test_[REDACTED] works" || strings.Contains(res.Rerun.Focus, "AAAA") {
		t.Fatalf("rerun: %+v", res.Rerun)
	}
}

func TestRerunFile(t *testing.T) {
	res, _, _ := build(t)
	dir := filepath.Join(t.TempDir(), "conformance report")
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, RerunFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	last := lines[len(lines)-1]
	if last != res.Rerun.Focus {
		t.Errorf("last line %q, want the focus expression %q", last, res.Rerun.Focus)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "#") {
			t.Errorf("non-comment line before the expression: %q", l)
		}
	}
	cmd := fmt.Sprintf(`#   go tool ginkgo run --focus="$(tail -1 '%s/rerun.txt')" ./suites/...`, filepath.ToSlash(dir))
	if !strings.Contains(string(b), cmd+"\n") {
		t.Errorf("rerun.txt lacks the command line %q:\n%s", cmd, b)
	}

	// Nothing failed: a comment and an empty last line.
	ok := Build(fixtureMeta(), types.Report{SuiteDescription: "S", SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, State: types.SpecStatePassed}}}, Options{})
	txt := string(ok.RerunText("out"))
	if !strings.HasPrefix(txt, "# Nothing to re-run") || !strings.HasSuffix(txt, "\n\n") || ok.Rerun.Focus != "" {
		t.Errorf("rerun.txt with no failure:\n%q", txt)
	}
}

// --- output files ---

func writeFixture(t *testing.T) (string, *Results) {
	t.Helper()
	res, _, _ := build(t)
	dir := filepath.Join(t.TempDir(), "rep")
	if err := res.WriteFiles(dir, plantedSecret); err != nil {
		t.Fatal(err)
	}
	return dir, res
}

func TestWriteAllWritesEveryFileAndNoSecret(t *testing.T) {
	// The env var holds a non-Stripe-shaped secret too: WriteAll masks it.
	t.Setenv("CONFORMANCE_API_KEY", plantedSecret)
	r, _ := fixture(t)
	base := t.TempDir()
	t.Chdir(base)
	if err := WriteAll("nested/report", fixtureMeta(), r); err != nil { // relative, not yet existing
		t.Fatal(err)
	}
	dir := filepath.Join(base, "nested/report")
	for _, name := range []string{ResultsFile, MarkdownFile, HTMLFile, RerunFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
		}
		for _, secret := range []string{plantedKey, "DISTINCTIVE123456", plantedSecret, "hunter2"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains the secret %q", name, secret)
			}
		}
		// The Basic-auth form of the key (base64 of "key:") is masked as well when the key is a known secret; the
		// key itself is Stripe-shaped, so at least its plain form never appears (checked above).
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestLoadRoundTrip(t *testing.T) {
	dir, res := writeFixture(t)
	got, err := Load(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("Load does not give back what was written:\n%s\n%s", a, b)
	}
	if got.Score == nil || got.Matrix.Cell("requires_capture", "refund").Outcome != Errored {
		t.Error("loaded results lack score or matrix")
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	for content, wantErr := range map[string]string{
		"{":                                    "not a conformance results file",
		`{"foo": 1}`:                           "no schema_version",
		`{"schema_version": 99, "checks": []}`: "newer",
		`{"schema_version": 1, "checks": [{"outcome": "great"}]}`: "unknown outcome",
	} {
		os.WriteFile(bad, []byte(content), 0o644)
		if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Load(%s): %v, want an error containing %q", content, err, wantErr)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestResultsJSONSchema(t *testing.T) {
	dir, _ := writeFixture(t)
	b, _ := os.ReadFile(filepath.Join(dir, ResultsFile))
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "checks,conformance_index,generated_at,matrix,meta,rerun,schema_version,score,suite,totals" {
		t.Errorf("top-level keys: %s", got)
	}
	meta := doc["meta"].(map[string]any)
	for _, k := range []string{"run_id", "target_host", "profile", "stripe_version", "spec_version", "suite_version", "started", "finished"} {
		if _, ok := meta[k]; !ok {
			t.Errorf("meta lacks %s", k)
		}
	}
	cell := doc["matrix"].(map[string]any)["cells"].(map[string]any)["requires_payment_method"].(map[string]any)["cancel"].(map[string]any)
	if cell["outcome"] != "failed" || cell["counts"].(map[string]any)["passed"] != 1.0 {
		t.Errorf("cell: %v", cell)
	}
}

func TestMarkdown(t *testing.T) {
	dir, res := writeFixture(t)
	b, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
	md := string(b)
	for _, want := range []string{
		"# PaymentIntent cancel conformance — 127.0.0.1:12111",
		"**Score: 38.9 %** (7 passed of 18 applicable) · **Conformance index: 69.2 %** (18 applicable of 26 checks)",
		"💥 6 errored · ❌ 5 failed · ✅ 7 passed · 🧱 2 blocked · ⏭ 4 skipped · 🚫 2 disabled",
		"**The run fails:**\n\n- 4 checks failed\n- 6 checks errored\n- 1 schema violation in cancel_payment_intent/payment_intent (3 responses checked)\n- requires_action could not be reached: 1 check blocked\n",
		"| `requires_payment_method` | · | ❌ 1/2 | ❌ 2/3 |",
		"| `requires_action` | ❌ 0/1 | 🧱 1 | 🧱 1 |",
		"| `processing` | · | 🚫 1 |",
		"| `any` | · | · | · | · | · | · | ❌ 1/2 | ✅ 1/1 |",
		"Legend: 💥 errored · ❌ failed · ✅ passed · 🧱 blocked · ⏭ skipped · 🚫 disabled · · no check",
		"🧱 Blocked sits between skipped and passed on the ladder",
		"The reach column says whether the status drivers could bring a fresh intent into the row's status",
		"## Failures and errors (11)",
		"## Blocked (2)",
		"| `requires_action` | `cancel` | Cancel a PaymentIntent cancels an intent in requires_action | reach requires_action: confirm answered 402 card_declined, key sk_test_\\[REDACTED\\] |",
		"## Schema conformance by operation (2)",
		"| ❌ failed | `cancel_payment_intent` | `payment_intent` | 3 | 1 | idempotency.mismatch |",
		"| ✅ passed | `create_payment_intent` | `payment_intent` | 3 | 0 |  |",
		"/canceled_at: expected integer, got string\n",
		"| ⏭ skipped (timing) | `requires_capture` | `races` |",
		"| ✅ passed | `requires_payment_method` | `cancel` | `cancel` | `cancel.rpm` |",
		"#### Exchange 1: `POST /v1/payment_intents/pi_123/cancel?key=sk_test_[REDACTED]` → 400 Bad Request (2 attempts, 12 ms)",
		"-H \"Authorization: Bearer $CONFORMANCE_API_KEY\"",
		"Transport error: `dial tcp 127.0.0.1:9: connect: connection refused`",
		"The run itself had problems",
		"| ⏭ skipped | `canceled` | `post-cancel` | Cancel a PaymentIntent a confirm after cancel (filtered out) | not selected by the run's filters |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// Every failure and error is listed with its spec text.
	for _, c := range res.Failures() {
		if !strings.Contains(md, mdText(c.Text)) {
			t.Errorf("report.md lacks the failure %q", c.Text)
		}
	}
	// Metacharacters in spec text do not break the table or inject HTML.
	if strings.Contains(withoutCodeBlocks(md), "<script>") {
		t.Error("report.md contains raw HTML from a response body outside a code block")
	}
}

// withoutCodeBlocks drops fenced code blocks (whose content Markdown shows verbatim).
func withoutCodeBlocks(md string) string {
	var out []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(l, "`")
		n := len(l) - len(trimmed)
		switch {
		case fence == "" && n >= 3:
			fence = l[:n]
		case fence != "" && l == fence:
			fence = ""
		case fence == "":
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMarkdownBodyExcerpt(t *testing.T) {
	big := `{"data":"` + strings.Repeat("x", 5000) + `"}`
	b, _ := json.Marshal([]client.Exchange{{Method: "GET", URL: "http://h/v1/x", Status: 200, ResponseBody: big}})
	r := types.Report{SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: "big", State: types.SpecStateFailed,
		Failure: types.Failure{Message: strings.Repeat("line\n", 100)}, ReportEntries: types.ReportEntries{entry(labels.EntryExchanges, string(b))}}}}
	md := string(Build(RunMeta{}, r, Options{}).Markdown())
	i := strings.Index(md, "```json\n")
	if i < 0 {
		t.Fatal("no JSON body block")
	}
	block := md[i+len("```json\n"):]
	block = block[:strings.Index(block, "\n```")]
	body, trailer, _ := strings.Cut(block, "\n… (")
	if len(body) > BodyExcerpt || !strings.HasSuffix(trailer, "bytes in all)") {
		t.Errorf("body excerpt is %d bytes (max %d), trailer %q", len(body), BodyExcerpt, trailer)
	}
	if !strings.Contains(md, "… (80 more lines in results.json)") {
		t.Error("a long failure message is not cut to its first lines")
	}
}

func TestFenceAndCode(t *testing.T) {
	if got := fence("text", "a ``` b"); !strings.HasPrefix(got, "````text\n") || !strings.HasSuffix(got, "\n````\n") {
		t.Errorf("fence: %q", got)
	}
	if got := mdCode("a`b|c"); got != "`` a`b\\|c ``" {
		t.Errorf("mdCode: %q", got)
	}
}

// --- HTML ---

// checkXHTML parses page as XML: every element must be closed, and nothing may be loaded from outside the page.
func checkXHTML(t *testing.T, page []byte) (elements map[string]int, ids map[string]bool) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	elements, ids = map[string]int{}, map[string]bool{}
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report.html is not well-formed: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(x.Name.Local)
			elements[name]++
			stack = append(stack, name)
			for _, a := range x.Attr {
				an := strings.ToLower(a.Name.Local)
				if an == "id" {
					if ids[a.Value] {
						t.Errorf("duplicate id %q", a.Value)
					}
					ids[a.Value] = true
				}
				if an == "src" || an == "href" || an == "srcset" || an == "action" || an == "data" || an == "poster" {
					if !strings.HasPrefix(a.Value, "#") {
						t.Errorf("<%s %s=%q> references something outside the page", name, an, a.Value)
					}
				}
				if strings.HasPrefix(an, "on") {
					t.Errorf("<%s> has an event handler %s", name, an)
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "style" {
				css := string(x)
				if strings.Contains(css, "url(") || strings.Contains(css, "@import") {
					t.Error("inline CSS loads an external resource")
				}
			}
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements: %v", stack)
	}
	for _, banned := range []string{"script", "link", "img", "iframe", "object", "embed"} {
		if elements[banned] > 0 {
			t.Errorf("report.html has <%s>", banned)
		}
	}
	return elements, ids
}

func TestHTMLWellFormedAndSelfContained(t *testing.T) {
	dir, res := writeFixture(t)
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	elements, ids := checkXHTML(t, page)
	if elements["style"] != 1 || elements["table"] < 3 {
		t.Errorf("elements: %v", elements)
	}
	if !ids["matrix"] {
		t.Error("no matrix table")
	}
	// Every link points at an element of the page.
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllSubmatch(page, -1) {
		if !ids[string(m[1])] {
			t.Errorf("link to missing id %q", m[1])
		}
	}
	for _, c := range res.Failures() {
		if !ids["f-"+c.ID] {
			t.Errorf("failure %q has no section", c.Text)
		}
	}
	if n := bytes.Count(page, []byte(`<details class="exchange">`)); n != 4 {
		t.Errorf("%d exchange <details> blocks, want 4", n)
	}
	s := string(page)
	for _, want := range []string{
		`<td class="o-failed" title="requires_payment_method × cancel: 1 failed, 1 passed">`,
		`<td class="o-errored"`, `<td class="o-disabled"`, `<td class="o-skipped"`, `<td class="o-passed"`, `<td class="o-none"`,
		`id="score">38.9 %</span>`,
		`<td class="o-blocked" title="requires_action × cancel: 1 blocked">`,
		`<h2 id="blocked">Blocked (2)</h2>`,
		`<h2 id="schema">Schema conformance by operation (2)</h2>`,
		`<a class="badge o-failed" href="#f-schema/cancel_payment_intent/payment_intent">failed</a>`,
		`<li>1 schema violation in cancel_payment_intent/payment_intent (3 responses checked)</li>`,
		`<span class="badge o-skipped">skipped</span> <small class="note">timing</small>`,
		"&lt;script&gt;alert(1)&lt;/script&gt;", // a response body is escaped, not executed
		"[x] {1,2} a|b .*&#43;? ^$ \\d",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(s, "<script>") || regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?https?://`).MatchString(s) {
		t.Error("report.html loads something from outside")
	}
}
