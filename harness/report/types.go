// Package report turns a Ginkgo report of the conformance suite into the files CI gates and vendors read:
//
//	results.json  every check with its outcome, the results matrix, score and conformance index (see Results)
//	report.md     the same in Markdown, with every failure's exchanges and a curl line to reproduce each
//	report.html   a self-contained page (inline CSS, no scripts, no external assets) with a coloured matrix
//	rerun.txt     a Ginkgo --focus expression that selects exactly the specs that failed the run
//
// A check is a spec (an It), identified by its id:* label. Its outcome sits on the ladder Disabled < Skipped <
// Blocked < Passed < Failed < Errored (see Classify); its row in the matrix is its status:* label, its column its
// check:* label (package labels). Schema conformance is a verdict of its own: every spec's labels.EntrySchema
// entries are summed into one synthetic check per operation/object pair (column "schema", row "any"), which fails
// when any response of the pair violated the pinned document. The score is passed / applicable and the conformance
// index applicable / all, where applicable = passed + failed + errored. The run fails (Suite.Succeeded false, see
// GateFailures) when any check failed, errored or was blocked.
//
// Everything that reaches a file goes through redact.String: failure messages, exchanges, curl lines, even spec texts
// and run metadata; the finished files are passed through it once more before they are written.
package report

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pi-conformance/suite/docs"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
)

// SchemaVersion is the version of the results.json format. Load refuses a file with a newer major version.
const SchemaVersion = 1

// File names written by WriteAll.
const (
	ResultsFile  = "results.json"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
	RerunFile    = "rerun.txt"
)

// RunMeta describes a run. It never holds the API key: TargetHost is a host (and port) only.
type RunMeta struct {
	RunID, TargetHost, Profile, StripeVersion, SpecVersion, SuiteVersion string
	Embedded                                                             bool
	Started, Finished                                                    time.Time
}

// Results is the content of results.json.
type Results struct {
	SchemaVersion int    `json:"schema_version"`
	GeneratedAt   string `json:"generated_at"` // RFC 3339, UTC
	Meta          Meta   `json:"meta"`
	Suite         Suite  `json:"suite"`
	Totals        Totals `json:"totals"`
	// Score is passed / applicable; null when no check was applicable.
	Score *float64 `json:"score"`
	// ConformanceIndex is applicable / all checks; null when there are no checks.
	ConformanceIndex *float64 `json:"conformance_index"`
	Matrix           Matrix   `json:"matrix"`
	Checks           []Check  `json:"checks"`
	Rerun            Rerun    `json:"rerun"`
	// Evidence counts the checks, and the passed checks, per level of evidence (docs/evidence.yaml): how much of the
	// score rests on Stripe's documentation, on recorded responses, and on UNCONFIRMED clauses.
	Evidence []EvidenceCount `json:"evidence,omitempty"`
}

// EvidenceCount is the number of checks, and of passed checks, with one level of evidence.
type EvidenceCount struct {
	Level  string `json:"level"`
	Checks int    `json:"checks"`
	Passed int    `json:"passed"`
}

// Meta is the run's metadata.
type Meta struct {
	RunID           string    `json:"run_id"`
	TargetHost      string    `json:"target_host"`
	Embedded        bool      `json:"embedded"` // the embedded reference target, not a vendor's
	Profile         string    `json:"profile"`
	StripeVersion   string    `json:"stripe_version"`
	SpecVersion     string    `json:"spec_version"` // version of the pinned OpenAPI document
	SuiteVersion    string    `json:"suite_version"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	DurationSeconds float64   `json:"duration_seconds"`
	// VersionNote is set when the Stripe-Version sent is not the pinned document's: responses are validated
	// against the pinned document only.
	VersionNote string `json:"version_note,omitempty"`
}

// Suite describes the Ginkgo suite run itself.
type Suite struct {
	Description string `json:"description"`
	Path        string `json:"path,omitempty"`
	// Succeeded is Ginkgo's verdict on the suite and no check failing the run (GateFailures is empty): a blocked
	// check or a schema violation makes it false although Ginkgo counts neither as a failure.
	Succeeded bool `json:"succeeded"`
	// FailureReasons are Ginkgo's suite-level failure reasons (interrupted, timeout, BeforeSuite skipped, ...).
	FailureReasons []string `json:"failure_reasons,omitempty"`
	// TotalSpecs and SpecsThatWillRun are Ginkgo's pre-run counts. When a suite-level node (BeforeSuite) fails, no
	// check is reported at all: len(checks) < total_specs then says how many are missing.
	TotalSpecs       int `json:"total_specs"`
	SpecsThatWillRun int `json:"specs_that_will_run"`
	// Problems are failed suite-level nodes (BeforeSuite, AfterSuite, ReportAfterSuite, ...).
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is a failed suite-level node.
type Problem struct {
	Node     string `json:"node"`
	State    string `json:"state"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// Totals counts the checks per outcome. In JSON it is an object with the keys all, applicable and one per outcome
// (disabled, skipped, blocked, passed, failed, errored).
type Totals struct {
	// Counts[o] is the number of checks with outcome o (Counts[NoOutcome] stays 0).
	Counts [NumOutcomes]int
}

// Add counts one outcome; NoOutcome and out-of-range values are not counted.
func (t *Totals) Add(o Outcome) {
	if o.Valid() {
		t.Counts[o]++
	}
}

// Count returns the number of checks with outcome o.
func (t Totals) Count(o Outcome) int {
	if !o.Valid() {
		return 0
	}
	return t.Counts[o]
}

// All is the number of checks counted.
func (t Totals) All() int {
	n := 0
	for _, o := range Ladder {
		n += t.Counts[o]
	}
	return n
}

// Applicable is passed + failed + errored: the checks that count towards the score.
func (t Totals) Applicable() int {
	n := 0
	for _, o := range Ladder {
		if o.Applicable() {
			n += t.Counts[o]
		}
	}
	return n
}

// Worst is the worst outcome counted (NoOutcome when nothing was counted).
func (t Totals) Worst() Outcome {
	for o := NumOutcomes - 1; o > NoOutcome; o-- {
		if t.Counts[o] > 0 {
			return o
		}
	}
	return NoOutcome
}

// MarshalJSON writes {"all":…,"applicable":…,"disabled":…,…,"errored":…}, the outcomes in ladder order.
func (t Totals) MarshalJSON() ([]byte, error) {
	b := []byte(`{"all":`)
	b = strconv.AppendInt(b, int64(t.All()), 10)
	b = append(b, `,"applicable":`...)
	b = strconv.AppendInt(b, int64(t.Applicable()), 10)
	for _, o := range Ladder {
		b = append(b, `,"`+o.String()+`":`...)
		b = strconv.AppendInt(b, int64(t.Counts[o]), 10)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads the counts per outcome; all and applicable are derived from them, and an outcome missing from
// an older file (blocked) counts 0.
func (t *Totals) UnmarshalJSON(b []byte) error {
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("totals: %w", err)
	}
	*t = Totals{}
	for _, o := range Ladder {
		if n := m[o.String()]; n < 0 {
			return fmt.Errorf("totals: %s is negative", o)
		} else {
			t.Counts[o] = n
		}
	}
	return nil
}

// Matrix is the results matrix: rows are starting statuses (labels.Statuses order), columns are checks
// (labels.Checks order). Cells[row][column] is absent when no check falls in that cell.
type Matrix struct {
	Rows         []string                    `json:"rows"`
	Columns      []string                    `json:"columns"`
	ColumnTitles map[string]string           `json:"column_titles"`
	Cells        map[string]map[string]*Cell `json:"cells"`
}

// Cell is one matrix cell: the worst outcome of its checks and the count per outcome.
type Cell struct {
	Outcome Outcome `json:"outcome"`
	Counts  Totals  `json:"counts"`
	// First is the id of the first check (in report order) with the cell's outcome, for links.
	First string `json:"first"`
}

// Cell returns the cell at row, column, or nil.
func (m Matrix) Cell(row, column string) *Cell {
	if m.Cells == nil {
		return nil
	}
	return m.Cells[row][column]
}

// Check is one spec's result, or a synthetic schema check (Synthetic) that the report derives from every spec's
// labels.EntrySchema entries.
type Check struct {
	// ID is the value of the spec's id:* label (stable across rewording); for a report of a suite without id labels,
	// a hash of the text (CheckID). A synthetic check's id is "schema/<operation>/<object>".
	ID     string   `json:"id"`
	Text   string   `json:"text"` // container texts and the It's text joined by " " (Ginkgo's FullText)
	Labels []string `json:"labels"`
	Status string   `json:"status"` // value of the status:* label: the matrix row
	Op     string   `json:"op"`     // value of the op:* label (a synthetic check: the API operation)
	Check  string   `json:"check"`  // value of the check:* label: the matrix column
	// Synthetic marks a check that is no spec of its own: the schema conformance of one operation/object pair.
	Synthetic bool `json:"synthetic,omitempty"`
	// Outcome is the check's place on the ladder; State is Ginkgo's own spec state ("" for a synthetic check).
	Outcome         Outcome `json:"outcome"`
	State           string  `json:"state"`
	DurationSeconds float64 `json:"duration_seconds"`
	Attempts        int     `json:"attempts,omitempty"`
	Location        string  `json:"location"` // of the It ("" for a synthetic check)
	// Reason is the skip message of a disabled, skipped or blocked check (empty when Ginkgo filtered it out); for a
	// blocked check, the set-up step that failed and what the target answered.
	Reason string `json:"reason,omitempty"`
	// SkipKind is the labels.EntrySkipKind entry ("timing": the suite skipped because a timing precondition did
	// not hold).
	SkipKind string `json:"skip_kind,omitempty"`
	// BlockedBy says where a blocked check's set-up stopped (from labels.EntryBlocked; nil without the entry).
	BlockedBy *Blocker `json:"blocked_by,omitempty"`
	// Schema tallies a synthetic check's responses.
	Schema *SchemaTally `json:"schema,omitempty"`
	// Evidence says how sure the check's verdict is (docs/evidence.yaml): documented, recorded, or unconfirmed.
	Evidence *docs.Evidence `json:"evidence,omitempty"`
	// Failure is set for failed and errored checks.
	Failure *Failure `json:"failure,omitempty"`

	text     string              // the unredacted full text, for the rerun expression (never written)
	seen     []labels.SchemaSeen // the spec's schema entries, before they are turned into synthetic checks
	seenErrs []string            // schema entries that could not be decoded
}

// Blocker is where a blocked check's set-up stopped.
type Blocker struct {
	// Status is the starting status that could not be reached ("" when another set-up step failed).
	Status string `json:"status,omitempty"`
	// Step names the set-up step that failed ("reach requires_action").
	Step string `json:"step,omitempty"`
}

// SchemaTally is what a synthetic schema check counted over the run.
type SchemaTally struct {
	Operation string `json:"operation"`
	Object    string `json:"object"`
	// Responses is how many responses of the pair were validated, Violating how many broke the schema or lacked a
	// field Stripe always sends.
	Responses int `json:"responses"`
	Violating int `json:"violating"`
	// Specs is how many specs received a response of the pair.
	Specs int `json:"specs"`
	// ViolatingSpecs are the ids of the specs that received a violating response, in report order.
	ViolatingSpecs []string `json:"violating_specs,omitempty"`
}

// Failure details a failed or errored check.
type Failure struct {
	Message  string `json:"message"`
	Location string `json:"location"`
	// Node is the kind of node that failed (It, BeforeEach, DeferCleanup, ...).
	Node  string `json:"node,omitempty"`
	Panic string `json:"panic,omitempty"`
	// Additional are the messages of failures after the first one (e.g. in cleanup).
	Additional []string   `json:"additional,omitempty"`
	Exchanges  []Exchange `json:"exchanges,omitempty"`
	// Notes report problems reading the attached exchanges.
	Notes []string `json:"notes,omitempty"`
}

// Exchange is one redacted HTTP exchange attached to a failed check, with a curl line to reproduce it. The key never
// appears: curl reads it from $CONFORMANCE_API_KEY (or $CONFORMANCE_OTHER_API_KEY for a per-request key).
type Exchange struct {
	Method         string      `json:"method"`
	URL            string      `json:"url"`
	Path           string      `json:"path"`
	RequestHeader  http.Header `json:"request_header,omitempty"`
	RequestBody    string      `json:"request_body,omitempty"`
	Status         int         `json:"status"` // 0: no response
	ResponseHeader http.Header `json:"response_header,omitempty"`
	ResponseBody   string      `json:"response_body,omitempty"`
	// RequestBodyCut and ResponseBodyCut are set when the body is an excerpt: the whole body's size and digest.
	RequestBodyCut  *client.BodyCut `json:"request_body_cut,omitempty"`
	ResponseBodyCut *client.BodyCut `json:"response_body_cut,omitempty"`
	Started         time.Time       `json:"started"`
	DurationMS      float64         `json:"duration_ms"`
	Attempts        int             `json:"attempts,omitempty"`
	Error           string          `json:"error,omitempty"`
	RetryLog        []string        `json:"retry_log,omitempty"`
	Curl            string          `json:"curl"`
}

// Rerun describes the expression that re-runs what failed the run: the failed, errored and blocked checks, and the
// specs that received a response violating the schema (a failed synthetic check is no spec of its own).
type Rerun struct {
	// Focus is a Ginkgo --focus regular expression matching exactly those specs ("" if none).
	Focus string `json:"focus"`
	// Count is the number of specs it selects.
	Count int `json:"count"`
	// Exact is false when the expression would re-run other specs too (see Extra): a spec text holding something
	// shaped like a key is written with ".+" in place of the key, which may match another spec's text.
	Exact bool     `json:"exact"`
	Extra []string `json:"extra,omitempty"`
}
