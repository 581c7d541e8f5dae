package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
)

// it is a labelled It of a small synthetic report.
func it(text, id, status, check string, state types.SpecState, msg string, entries ...types.ReportEntry) types.SpecReport {
	lbl := []string{labels.Status(status), labels.Op("cancel"), labels.Check(check)}
	if id != "" {
		lbl = append(lbl, labels.ID(id))
	}
	return types.SpecReport{
		LeafNodeType: types.NodeTypeIt, LeafNodeText: text, LeafNodeLabels: lbl, State: state,
		LeafNodeLocation: types.CodeLocation{FileName: "/nonexistent/x_test.go", LineNumber: len(text)},
		Failure:          types.Failure{Message: msg}, ReportEntries: entries,
	}
}

func byID(res *Results) map[string]Check {
	out := map[string]Check{}
	for _, c := range res.Checks {
		out[c.ID] = c
	}
	return out
}

func TestCheckIDFromLabel(t *testing.T) {
	r := types.Report{SuiteDescription: "S", SuiteSucceeded: true, SpecReports: types.SpecReports{
		it("cancels", "cancel.rpm", "requires_payment_method", "cancel", types.SpecStatePassed, ""),
		it("cancels, reworded", "", "requires_payment_method", "cancel", types.SpecStatePassed, ""),
	}}
	res := Build(RunMeta{}, r, Options{})
	ids := byID(res)
	if c, ok := ids["cancel.rpm"]; !ok || c.Text != "S cancels" && c.Text != "cancels" {
		t.Errorf("the id:* label is not the check's id: %v", ids)
	}
	if _, ok := ids[CheckID("cancels, reworded")]; !ok {
		t.Errorf("without an id:* label the id is not the text hash: %v", ids)
	}
	// The id survives a change of wording.
	r.SpecReports[0].LeafNodeText = "cancels an intent"
	if _, ok := byID(Build(RunMeta{}, r, Options{}))["cancel.rpm"]; !ok {
		t.Error("rewording changed the id")
	}
}

func TestBlockedChecks(t *testing.T) {
	blocked := labels.Blocked{Status: "requires_action", Step: "reach requires_action", Reason: "confirm answered 402 card_declined"}
	r := types.Report{SuiteDescription: "S", SuiteSucceeded: true, SpecReports: types.SpecReports{
		it("reach requires_action", "reach.ra", "requires_action", "reach", types.SpecStateFailed, "402"),
		// The entry as a structured value (in-process) and as a JSON string.
		it("cancels from requires_action", "cancel.ra", "requires_action", "cancel", types.SpecStateSkipped, labels.PrefixBlocked+"requires_action could not be reached", entry(labels.EntryBlocked, blocked)),
		it("echoes a reason from requires_action", "reason.ra", "requires_action", "reason", types.SpecStateSkipped, labels.PrefixBlocked+"x", blockedEntry(t, blocked)),
		it("refuses capture after a cancel from requires_capture", "post.rc", "requires_capture", "post-cancel", types.SpecStateSkipped, labels.PrefixBlocked+"the cancel was refused",
			blockedEntry(t, labels.Blocked{Step: "cancel from requires_capture", Reason: "400 payment_intent_unexpected_state"})),
		it("refuses update after cancel", "post.x", "requires_capture", "post-cancel", types.SpecStateSkipped, labels.PrefixBlocked+"no entry here"),
		it("cancels from requires_capture", "cancel.rc", "requires_capture", "cancel", types.SpecStatePassed, ""),
	}}
	res := Build(RunMeta{}, r, Options{})
	ids := byID(res)
	c := ids["cancel.ra"]
	if c.Outcome != Blocked || c.Reason != "reach requires_action: confirm answered 402 card_declined" ||
		c.BlockedBy == nil || *c.BlockedBy != (Blocker{Status: "requires_action", Step: "reach requires_action"}) || c.Failure != nil {
		t.Errorf("blocked by entry: %s %q %+v", c.Outcome, c.Reason, c.BlockedBy)
	}
	if ids["reason.ra"].Reason != c.Reason {
		t.Errorf("the JSON-string entry reads differently: %q", ids["reason.ra"].Reason)
	}
	if c := ids["post.x"]; c.Outcome != Blocked || c.Reason != "no entry here" || c.BlockedBy != nil {
		t.Errorf("blocked by prefix: %s %q %+v", c.Outcome, c.Reason, c.BlockedBy)
	}
	// Not applicable: the index drops; the score does not move.
	if res.Totals.Count(Blocked) != 4 || res.Totals.Applicable() != 2 || *res.ConformanceIndex != 2.0/6 || *res.Score != 0.5 {
		t.Errorf("totals %+v index %v score %v", res.Totals, *res.ConformanceIndex, *res.Score)
	}
	// Ginkgo says the suite succeeded apart from the failed reach; the blocked checks fail the run on their own.
	want := []string{
		"1 check failed",
		"requires_action could not be reached: 2 checks blocked",
		"the starting point could not be reached: 1 check blocked", // report order: the shorter text has the lower line here
		"cancel from requires_capture failed: 1 check blocked",
	}
	if got := res.GateFailures(); !reflect.DeepEqual(got, want) || res.Suite.Succeeded {
		t.Errorf("gate failures %q (succeeded %v), want %q", got, res.Suite.Succeeded, want)
	}
	if m := res.Matrix.Cell("requires_action", "cancel"); m == nil || m.Outcome != Blocked {
		t.Errorf("matrix cell: %+v", m)
	}
	// The blocked specs are re-run with the failures.
	for _, text := range []string{"cancels from requires_action", "refuses update after cancel", "reach requires_action"} {
		if ok, _ := FocusMatches(res.Rerun.Focus, "S", text); !ok {
			t.Errorf("rerun does not select %q", text)
		}
	}
	if ok, _ := FocusMatches(res.Rerun.Focus, "S", "cancels from requires_capture"); ok || res.Rerun.Count != 5 {
		t.Errorf("rerun selects a passed spec, or counts %d", res.Rerun.Count)
	}

	// Blocked alone fails the run.
	only := types.Report{SuiteDescription: "S", SuiteSucceeded: true, SpecReports: r.SpecReports[1:2]}
	if res := Build(RunMeta{}, only, Options{}); res.Suite.Succeeded || len(res.GateFailures()) != 1 {
		t.Errorf("only blocked: succeeded %v, %q", res.Suite.Succeeded, res.GateFailures())
	}
}

// Two specs report their schema entries; one received a violating response although it passed its own check.
func schemaReport(t *testing.T) types.Report {
	violation := "/canceled_at: expected integer, got string\n\nPOST /v1/payment_intents/pi_1/cancel\n200 OK"
	return types.Report{SuiteDescription: "S", SuiteSucceeded: true, SpecReports: types.SpecReports{
		it("cancels", "cancel.a", "requires_payment_method", "cancel", types.SpecStatePassed, "",
			entry(labels.EntrySchema, []labels.SchemaSeen{
				{Operation: "create_payment_intent", Object: "payment_intent", Responses: 2},
				{Operation: "cancel_payment_intent", Object: "payment_intent", Responses: 1},
			})),
		it("echoes the reason", "reason.b", "requires_payment_method", "reason", types.SpecStatePassed, "",
			schemaEntry(t,
				labels.SchemaSeen{Operation: "create_payment_intent", Object: "payment_intent", Responses: 1},
				labels.SchemaSeen{Operation: "cancel_payment_intent", Object: "payment_intent", Responses: 2, Violating: 1, Violations: violation},
				labels.SchemaSeen{Operation: "create_payment_intent", Object: "payment_intent", Responses: 1}, // the same pair again: still one spec
				labels.SchemaSeen{Operation: "cancel_payment_intent", Object: "error", Responses: 1},
			)),
		it("is not counted", "other.c", "any", "errors", types.SpecStatePassed, ""),
	}}
}

func TestSchemaChecksFromEntries(t *testing.T) {
	r := schemaReport(t)
	now := time.Unix(1_800_000_000, 0) // both builds stamp the same generated_at
	res := Build(RunMeta{}, r, Options{Now: now})
	ids := byID(res)
	if len(res.Checks) != 6 || len(res.SchemaChecks()) != 3 {
		t.Fatalf("%d checks, %d synthetic", len(res.Checks), len(res.SchemaChecks()))
	}
	bad := ids["schema/cancel_payment_intent/payment_intent"]
	wantTally := SchemaTally{Operation: "cancel_payment_intent", Object: "payment_intent", Responses: 3, Violating: 1, Specs: 2, ViolatingSpecs: []string{"reason.b"}}
	if !bad.Synthetic || bad.Outcome != Failed || bad.Status != "any" || bad.Check != "schema" || bad.Op != "cancel_payment_intent" ||
		bad.Schema == nil || !reflect.DeepEqual(*bad.Schema, wantTally) {
		t.Errorf("violated pair: %+v %+v", bad, bad.Schema)
	}
	if bad.Failure == nil || !strings.Contains(bad.Failure.Message, "/canceled_at: expected integer, got string\n\nPOST /v1/payment_intents/pi_1/cancel") ||
		!strings.Contains(bad.Failure.Message, "1 of 3 payment_intent responses to cancel_payment_intent") || !strings.Contains(bad.Failure.Message, "in reason.b (") {
		t.Errorf("failure: %+v", bad.Failure)
	}
	for id, want := range map[string]SchemaTally{
		"schema/create_payment_intent/payment_intent": {Operation: "create_payment_intent", Object: "payment_intent", Responses: 4, Specs: 2},
		"schema/cancel_payment_intent/error":          {Operation: "cancel_payment_intent", Object: "error", Responses: 1, Specs: 1},
	} {
		c := ids[id]
		if c.Outcome != Passed || c.Failure != nil || c.Schema == nil || !reflect.DeepEqual(*c.Schema, want) || !c.Synthetic {
			t.Errorf("%s: %s %+v", id, c.Outcome, c.Schema)
		}
	}
	// They count like any check, in the any × schema cell.
	if res.Totals != tally(Passed, Passed, Passed, Passed, Passed, Failed) || res.Matrix.Cell("any", "schema").Outcome != Failed {
		t.Errorf("totals %+v cell %+v", res.Totals, res.Matrix.Cell("any", "schema"))
	}
	// The run fails although every spec passed; rerun.txt selects the spec that received the violating response.
	if got := res.GateFailures(); !reflect.DeepEqual(got, []string{"1 schema violation in cancel_payment_intent/payment_intent (3 responses checked)"}) || res.Suite.Succeeded {
		t.Errorf("gate failures %q, succeeded %v", got, res.Suite.Succeeded)
	}
	if got := matchSet(t, res.Rerun.Focus, "S", []string{"cancels", "echoes the reason", "is not counted"}); !reflect.DeepEqual(got, map[string]bool{"echoes the reason": true}) || res.Rerun.Count != 1 {
		t.Errorf("rerun selects %v (count %d)", got, res.Rerun.Count)
	}

	// The merged report of a parallel run carries the entries JSON-decoded: the same checks.
	b, _ := json.Marshal(r)
	var back types.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(res)
	jb, _ := json.Marshal(Build(RunMeta{}, back, Options{Now: now}))
	if string(ja) != string(jb) {
		t.Errorf("parallel form differs:\n%s\n%s", ja, jb)
	}

	// GateFailures reads a loaded file the same way.
	dir := t.TempDir()
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(filepath.Join(dir, ResultsFile))
	if err != nil || !reflect.DeepEqual(loaded.GateFailures(), res.GateFailures()) {
		t.Errorf("loaded: %v, %q", err, loaded.GateFailures())
	}
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	checkXHTML(t, page)
}

func TestUnreadableSchemaEntryErrors(t *testing.T) {
	r := types.Report{SuiteDescription: "S", SuiteSucceeded: true, SpecReports: types.SpecReports{
		it("cancels", "cancel.a", "requires_payment_method", "cancel", types.SpecStatePassed, "", entry(labels.EntrySchema, "not json")),
	}}
	res := Build(RunMeta{}, r, Options{})
	c := byID(res)[UnreadableSchemaID]
	if c.Outcome != Errored || c.Failure == nil || !strings.Contains(c.Failure.Message, "cancel.a: ") {
		t.Fatalf("unreadable entry: %+v", c)
	}
	if got := res.GateFailures(); len(got) != 1 || res.Suite.Succeeded || res.Rerun.Count != 1 {
		t.Errorf("gate %q succeeded %v rerun %d", got, res.Suite.Succeeded, res.Rerun.Count)
	}
}

func TestGateFailuresOfAPassingRun(t *testing.T) {
	r := schemaReport(t)
	r.SpecReports[1].ReportEntries = nil // no violation
	res := Build(RunMeta{}, r, Options{})
	if got := res.GateFailures(); len(got) != 0 || !res.Suite.Succeeded || res.Rerun.Focus != "" {
		t.Errorf("gate %q succeeded %v focus %q", got, res.Suite.Succeeded, res.Rerun.Focus)
	}
	// Ginkgo's own verdict still counts (a failed suite-level node).
	r.SuiteSucceeded = false
	if res := Build(RunMeta{}, r, Options{}); res.Suite.Succeeded {
		t.Error("Succeeded ignores Ginkgo's verdict")
	}
	// A skipped or disabled check fails nothing.
	r.SuiteSucceeded = true
	r.SpecReports = append(r.SpecReports, it("skips", "s.1", "any", "errors", types.SpecStateSkipped, "timing", entry(labels.EntrySkipKind, "timing")),
		it("disabled", "s.2", "any", "errors", types.SpecStateSkipped, labels.PrefixDisabled+"x"))
	if res := Build(RunMeta{}, r, Options{}); !res.Suite.Succeeded || byID(res)["s.1"].SkipKind != "timing" {
		t.Errorf("skips fail the run: %q", res.GateFailures())
	}
}

func TestEvidenceAndVersionNote(t *testing.T) {
	cs := []Check{
		{ID: "cancel.from-requires_capture", Outcome: Passed},
		{ID: "refund.refund-reason", Outcome: Passed},
		{ID: "refund.charge-released", Outcome: Failed},
		{ID: "schema/create_payment_intent/payment_intent", Outcome: Passed, Synthetic: true},
		{ID: "not-in-the-table", Outcome: Passed},
	}
	counts := attachEvidence(cs)
	want := []EvidenceCount{{"documented", 2, 2}, {"recorded", 1, 0}, {"unconfirmed", 1, 1}}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("evidence counts = %+v, want %+v", counts, want)
	}
	if cs[1].Evidence == nil || cs[1].Evidence.Level != "unconfirmed" || cs[2].Evidence.Year == 0 || cs[4].Evidence != nil {
		t.Errorf("evidence per check: %+v %+v %+v", cs[1].Evidence, cs[2].Evidence, cs[4].Evidence)
	}
	res := Build(RunMeta{StripeVersion: "2024-06-20", SpecVersion: "2026-08-26.dahlia"}, types.Report{}, Options{})
	if !strings.Contains(res.Meta.VersionNote, "pinned document (version 2026-08-26.dahlia) only") || !strings.Contains(string(res.Markdown()), "2024-06-20 was sent") {
		t.Errorf("version note: %q", res.Meta.VersionNote)
	}
	if res := Build(RunMeta{StripeVersion: "v", SpecVersion: "v"}, types.Report{}, Options{}); res.Meta.VersionNote != "" {
		t.Errorf("same version noted: %q", res.Meta.VersionNote)
	}
}
