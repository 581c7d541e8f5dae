package report

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
)

// The secrets planted in the synthetic report. None of them may reach an output file.
const (
	plantedKey    = "sk_test_DISTINCTIVE123456"
	plantedSecret = "hunter2-vendor-token-XYZ" // not shaped like a Stripe key: only Options.Secrets masks it
	suiteDesc     = "PaymentIntent cancel conformance"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type spec struct {
	containers []string
	text       string
	id         string // the id:* label; "" for none (a report of an older suite)
	status     string
	op         string
	check      string
	state      types.SpecState
	msg        string
	entries    []types.ReportEntry
	panic      string
	line       int
	runtime    time.Duration
}

func entry(name string, value any) types.ReportEntry {
	return types.ReportEntry{Name: name, Value: types.WrapEntryValue(value), Visibility: types.ReportEntryVisibilityNever}
}

func schemaEntry(t testing.TB, seen ...labels.SchemaSeen) types.ReportEntry {
	t.Helper()
	b, err := json.Marshal(seen)
	if err != nil {
		t.Fatal(err)
	}
	return entry(labels.EntrySchema, string(b))
}

func blockedEntry(t testing.TB, b labels.Blocked) types.ReportEntry {
	t.Helper()
	js, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return entry(labels.EntryBlocked, string(js))
}

// The schema violation the fixture plants: its report carries a key, which must be masked.
const fixtureViolation = "/canceled_at: expected integer, got string\n\nPOST /v1/payment_intents/pi_9/cancel (key " + plantedKey + ")\n200 OK\n{\"canceled_at\":\"soon\"}"

func exchangesEntry(t testing.TB, ex ...client.Exchange) types.ReportEntry {
	t.Helper()
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	return entry(labels.EntryExchanges, string(b))
}

func (s spec) report() types.SpecReport {
	var lbl []string
	if s.status != "" {
		lbl = append(lbl, labels.Status(s.status))
	}
	if s.op != "" {
		lbl = append(lbl, labels.Op(s.op))
	}
	if s.check != "" {
		lbl = append(lbl, labels.Check(s.check))
	}
	if s.id != "" {
		lbl = append(lbl, labels.ID(s.id))
	}
	loc := types.CodeLocation{FileName: "/nonexistent/suites/cancel/synthetic_test.go", LineNumber: s.line}
	sr := types.SpecReport{
		ContainerHierarchyTexts:  s.containers,
		ContainerHierarchyLabels: make([][]string, len(s.containers)),
		LeafNodeType:             types.NodeTypeIt,
		LeafNodeLocation:         loc,
		LeafNodeLabels:           lbl,
		LeafNodeText:             s.text,
		State:                    s.state,
		StartTime:                t0,
		EndTime:                  t0.Add(s.runtime),
		RunTime:                  s.runtime,
		NumAttempts:              1,
		ReportEntries:            s.entries,
	}
	if s.msg != "" || s.panic != "" {
		sr.Failure = types.Failure{
			Message:         s.msg,
			Location:        types.CodeLocation{FileName: loc.FileName, LineNumber: s.line + 3},
			ForwardedPanic:  s.panic,
			FailureNodeType: types.NodeTypeIt,
		}
	}
	return sr
}

// fixture returns a synthetic report with every outcome, tricky spec texts, planted secrets, schema entries (one
// violation), and the expected outcome of each spec (by full text). Some specs carry an id:* label, the others fall
// back to CheckID.
func fixture(t testing.TB) (types.Report, map[string]Outcome) {
	t.Helper()
	const desc = "Cancel a PaymentIntent"
	secretExchange := client.Exchange{
		Method: "POST",
		URL:    "http://127.0.0.1:12111/v1/payment_intents/pi_123/cancel?key=" + plantedKey,
		RequestHeader: http.Header{
			"Authorization":   {"Bearer " + plantedKey},
			"Idempotency-Key": {"idem-1"},
			"Stripe-Version":  {"2026-08-26.dahlia"},
			"Content-Type":    {"application/x-www-form-urlencoded"},
			"X-Vendor-Token":  {plantedSecret},
		},
		RequestBody:    "cancellation_reason=bogus&note=" + plantedKey,
		Status:         400,
		ResponseHeader: http.Header{"Request-Id": {"req_1"}, "X-Echo": {"Basic " + base64.StdEncoding.EncodeToString([]byte(plantedKey+":"))}},
		ResponseBody:   `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: ` + plantedKey + ` and ` + plantedSecret + `","param":"cancellation_reason","doc_url":"<script>alert(1)</script>"}}`,
		Started:        t0,
		Duration:       12 * time.Millisecond,
		Attempts:       2,
		RetryLog:       []string{"attempt 1: 503 Service Unavailable, retrying in 100ms"},
	}
	getExchange := client.Exchange{
		Method: "GET", URL: "http://127.0.0.1:12111/v1/payment_intents/pi_123", Status: 200,
		RequestHeader: http.Header{"Authorization": {"Bearer sk_test_[REDACTED]"}},
		ResponseBody:  `{"id":"pi_123","object":"payment_intent","status":"requires_payment_method"}`,
		Started:       t0, Duration: 3 * time.Millisecond, Attempts: 1,
	}
	unreachable := client.Exchange{
		Method: "POST", URL: "http://127.0.0.1:9/v1/payment_intents", Status: 0, Attempts: 3,
		Err: "dial tcp 127.0.0.1:9: connect: connection refused",
	}

	specs := []struct {
		spec
		want Outcome
	}{
		{spec{containers: []string{desc, "from a cancelable status"}, text: "cancels an intent in requires_payment_method: 200, status canceled", id: "cancel.rpm", status: "requires_payment_method", op: "cancel", check: "cancel", state: types.SpecStatePassed, line: 10, runtime: 120 * time.Millisecond,
			// The schema entry as a structured value (in-process AddReportEntry with a slice).
			entries: []types.ReportEntry{entry(labels.EntrySchema, []labels.SchemaSeen{
				{Operation: "create_payment_intent", Object: "payment_intent", Responses: 2},
				{Operation: "cancel_payment_intent", Object: "payment_intent", Responses: 1},
			})}}, Passed},
		// Shares a prefix with the passed one above and carries every regexp metacharacter.
		{spec{containers: []string{desc, "from a cancelable status"}, text: `cancels an intent in requires_payment_method: 200, status canceled (and a later GET shows the same) [x] {1,2} a|b .*+? ^$ \d`, id: "cancel.rpm-get", status: "requires_payment_method", op: "cancel", check: "cancel", state: types.SpecStateFailed, line: 20, runtime: 80 * time.Millisecond,
			msg:     "Expected status 200 but got 400 with key " + plantedKey + " and token " + plantedSecret + "\nline 2\nline 3",
			entries: []types.ReportEntry{exchangesEntry(t, secretExchange, getExchange)}}, Failed},
		// A passed spec whose text contains the failed one's text: anchoring keeps it out of the rerun.
		{spec{containers: []string{desc, "cancellation_reason"}, text: "refuses cancellation_reason=bogus", id: "reason.bogus", status: "requires_payment_method", op: "cancel", check: "reason", state: types.SpecStateFailed, line: 30,
			msg: "Expected error.param to be cancellation_reason", entries: []types.ReportEntry{exchangesEntry(t, getExchange)}}, Failed},
		{spec{containers: []string{desc, "cancellation_reason"}, text: "refuses cancellation_reason=bogus (not a reason at all)", status: "requires_payment_method", op: "cancel", check: "reason", state: types.SpecStatePassed, line: 31}, Passed},
		{spec{containers: []string{desc, "cancellation_reason"}, text: "x refuses cancellation_reason=bogus", status: "requires_payment_method", op: "cancel", check: "reason", state: types.SpecStatePassed, line: 32}, Passed},
		// Errored in the four ways.
		{spec{containers: []string{desc}, text: "releases the authorization (errored by prefix)", id: "refund.release", status: "requires_capture", op: "retrieve_charge", check: "refund", state: types.SpecStateFailed, line: 40,
			msg:     labels.PrefixErrored + "the target could not be reached or did not answer: connection refused",
			entries: []types.ReportEntry{entry(labels.EntryOutcome, "errored"), exchangesEntry(t, unreachable)}}, Errored},
		{spec{containers: []string{desc}, text: "lists the refunds (errored by entry only)", status: "requires_capture", op: "list_refunds", check: "refund", state: types.SpecStateFailed, line: 41,
			msg: "something else broke", entries: []types.ReportEntry{entry(labels.EntryOutcome, "errored")}}, Errored},
		{spec{containers: []string{desc}, text: "refuses to cancel a succeeded intent (panicked)", status: "succeeded", op: "cancel", check: "rejection", state: types.SpecStatePanicked, line: 50,
			msg: "Test Panicked", panic: "runtime error: index out of range; key " + plantedKey}, Errored},
		{spec{containers: []string{desc}, text: "refuses to cancel a canceled intent (timed out)", status: "canceled", op: "cancel", check: "rejection", state: types.SpecStateTimedout, line: 51, msg: "A spec timeout occurred"}, Errored},
		{spec{containers: []string{desc}, text: "lets exactly one of several concurrent cancels succeed (interrupted)", status: "requires_payment_method", op: "cancel", check: "races", state: types.SpecStateInterrupted, line: 60, msg: "Interrupted by User"}, Errored},
		{spec{containers: []string{desc}, text: "the canceled intent conforms to the schema (aborted)", status: "requires_payment_method", op: "cancel", check: "schema", state: types.SpecStateAborted, line: 61, msg: "the target answered with livemode: true"}, Errored},
		// A plain failure in the same cell as a passed and a disabled check of another cell.
		{spec{containers: []string{desc}, text: "a 404 for an unknown intent", status: "any", op: "cancel", check: "errors", state: types.SpecStatePassed, line: 70}, Passed},
		// Disabled in both ways, skipped in three.
		{spec{containers: []string{desc, "from processing"}, text: "either cancels a processing intent or refuses it", status: "processing", op: "cancel", check: "cancel", state: types.SpecStateSkipped, line: 80,
			msg: labels.PrefixDisabled + `profile "stripe-mock" does not support "processing"`, entries: []types.ReportEntry{entry(labels.EntryDisabled, "processing")}}, Disabled},
		{spec{containers: []string{desc}, text: "replays the first 200 (disabled by entry only)", status: "requires_payment_method", op: "cancel", check: "idempotency", state: types.SpecStateSkipped, line: 81,
			msg: "some other skip text", entries: []types.ReportEntry{entry(labels.EntryDisabled, "idempotency")}}, Disabled},
		// Passes its own check, but received a response that violated the schema: the synthetic check fails.
		{spec{containers: []string{desc}, text: "refuses the same Idempotency-Key with different parameters", id: "idempotency.mismatch", status: "requires_payment_method", op: "cancel", check: "idempotency", state: types.SpecStatePassed, line: 82,
			entries: []types.ReportEntry{schemaEntry(t,
				labels.SchemaSeen{Operation: "cancel_payment_intent", Object: "payment_intent", Responses: 2, Violating: 1, Violations: fixtureViolation},
				labels.SchemaSeen{Operation: "create_payment_intent", Object: "payment_intent", Responses: 1},
			)}}, Passed},
		// The reach column: requires_capture was reached, requires_action was not, and two checks of that row are blocked.
		{spec{containers: []string{desc, "status drivers"}, text: "reach requires_capture", id: "reach.requires_capture", status: "requires_capture", op: "confirm", check: "reach", state: types.SpecStatePassed, line: 110}, Passed},
		{spec{containers: []string{desc, "status drivers"}, text: "reach requires_action", id: "reach.requires_action", status: "requires_action", op: "confirm", check: "reach", state: types.SpecStateFailed, line: 111,
			msg: "confirm with pm_card_authenticationRequired answered 402 card_declined"}, Failed},
		{spec{containers: []string{desc}, text: "cancels an intent in requires_action", id: "cancel.ra", status: "requires_action", op: "cancel", check: "cancel", state: types.SpecStateSkipped, line: 112,
			msg:     labels.PrefixBlocked + "requires_action could not be reached",
			entries: []types.ReportEntry{blockedEntry(t, labels.Blocked{Status: "requires_action", Step: "reach requires_action", Reason: "confirm answered 402 card_declined, key " + plantedKey})}}, Blocked},
		{spec{containers: []string{desc}, text: "echoes a reason from requires_action (blocked by prefix only)", id: "reason.ra", status: "requires_action", op: "cancel", check: "reason", state: types.SpecStateSkipped, line: 113,
			msg: labels.PrefixBlocked + "the set-up cancel was refused"}, Blocked},
		{spec{containers: []string{desc}, text: "cancel racing capture (requests did not overlap)", id: "races.capture", status: "requires_capture", op: "capture", check: "races", state: types.SpecStateSkipped, line: 114,
			msg: "the racing requests were not in flight at the same time", entries: []types.ReportEntry{entry(labels.EntrySkipKind, "timing")}}, Skipped},
		{spec{containers: []string{desc}, text: "a metadata-only update after cancel (skipped by Skip)", status: "canceled", op: "update", check: "post-cancel", state: types.SpecStateSkipped, line: 90, msg: "not applicable to this target " + plantedKey}, Skipped},
		{spec{containers: []string{desc}, text: "a capture after cancel (pending)", status: "canceled", op: "capture", check: "post-cancel", state: types.SpecStatePending, line: 91}, Skipped},
		{spec{containers: []string{desc}, text: "a confirm after cancel (filtered out)", status: "canceled", op: "confirm", check: "post-cancel", state: types.SpecStateSkipped, line: 92}, Skipped},
		// A failed spec whose text holds a key: the rerun expression must match it without spelling the key out.
		{spec{containers: []string{desc}, text: "answers a cancel with key " + plantedKey + " with 401", status: "requires_payment_method", op: "cancel", check: "errors", state: types.SpecStateFailed, line: 100, msg: "Expected 401"}, Failed},
	}

	r := types.Report{
		SuitePath:        "/nonexistent/suites/cancel",
		SuiteDescription: suiteDesc,
		SuiteSucceeded:   false,
		StartTime:        t0,
		EndTime:          t0.Add(95 * time.Second),
		PreRunStats:      types.PreRunStats{TotalSpecs: len(specs), SpecsThatWillRun: len(specs) - 1},
	}
	r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed})
	want := map[string]Outcome{}
	for _, s := range specs {
		sr := s.report()
		r.SpecReports = append(r.SpecReports, sr)
		want[sr.FullText()] = s.want
	}
	r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedAfterSuite, State: types.SpecStateFailed,
		Failure: types.Failure{Message: "cleanup failed: " + plantedKey, Location: types.CodeLocation{FileName: "/nonexistent/suites/cancel/suite_test.go", LineNumber: 66}}})
	return r, want
}

func fixtureMeta() RunMeta {
	return RunMeta{
		RunID: "20260301T120000-abcdef", TargetHost: "127.0.0.1:12111", Profile: "reference",
		StripeVersion: "2026-08-26.dahlia", SpecVersion: "v2026-08-26", SuiteVersion: "devel",
		Embedded: true, Started: t0, Finished: t0.Add(95 * time.Second),
	}
}

func fixtureOptions() Options {
	return Options{Secrets: []string{plantedSecret}, Now: t0.Add(100 * time.Second)}
}
