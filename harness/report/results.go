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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/docs"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/redact"
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

// Options tunes Build and WriteAllWith.
type Options struct {
	// Secrets are masked wherever they appear, besides anything shaped like a Stripe key and the secrets registered
	// with harness/redact.
	Secrets []string
	// Now stamps GeneratedAt (time.Now when zero).
	Now time.Time
}

// secretEnv are environment variables whose values WriteAll masks too (defence in depth: the client already
// redacts its exchanges, and redact masks anything shaped like a Stripe key).
var secretEnv = []string{"CONFORMANCE_API_KEY", "CONFORMANCE_OTHER_API_KEY"}

// minSecretLen keeps a short value (say "test") from masking every occurrence of a common word.
const minSecretLen = 8

func envSecrets() []string {
	var out []string
	for _, k := range secretEnv {
		if v := strings.TrimSpace(os.Getenv(k)); len(v) >= minSecretLen {
			out = append(out, v)
		}
	}
	return out
}

// WriteAll writes results.json, report.md, report.html and rerun.txt into dir (created if needed). The values of
// $CONFORMANCE_API_KEY and $CONFORMANCE_OTHER_API_KEY are masked besides anything shaped like a Stripe key; use
// WriteAllWith to pass the resolved key explicitly.
func WriteAll(dir string, meta RunMeta, r types.Report) error {
	return WriteAllWith(dir, meta, r, Options{Secrets: envSecrets()})
}

// WriteAllWith is WriteAll with explicit options.
func WriteAllWith(dir string, meta RunMeta, r types.Report, opts Options) error {
	res := Build(meta, r, opts)
	return res.WriteFiles(dir, opts.Secrets...)
}

// WriteFiles renders res into dir. Each file is passed through redact.String with secrets and the registered ones
// (redact.Secrets) before it is written, and written atomically (temporary file, then rename).
func (res *Results) WriteFiles(dir string, secrets ...string) error {
	secrets = redact.Secrets(secrets...)
	if dir == "" {
		return errors.New("report: no report directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode %s: %w", ResultsFile, err)
	}
	page, err := res.HTML()
	if err != nil {
		return fmt.Errorf("report: render %s: %w", HTMLFile, err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{ResultsFile, append(js, '\n')},
		{MarkdownFile, res.Markdown()},
		{HTMLFile, page},
		{RerunFile, res.RerunText(dir)},
	}
	var errs []error
	for _, f := range files {
		data := []byte(redact.String(string(f.data), secrets...))
		if err := writeAtomic(filepath.Join(dir, f.name), data); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Load reads a results.json written by WriteAll.
func Load(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: not a conformance results file: %w", path, err)
	}
	if res.SchemaVersion == 0 || res.Checks == nil && res.Matrix.Rows == nil {
		return nil, fmt.Errorf("%s: not a conformance results file (no schema_version, checks or matrix)", path)
	}
	if res.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%s: results format version %d is newer than this tool understands (%d)", path, res.SchemaVersion, SchemaVersion)
	}
	for i := range res.Checks {
		if !res.Checks[i].Outcome.Valid() {
			return nil, fmt.Errorf("%s: check %q has unknown outcome %q", path, res.Checks[i].Text, res.Checks[i].Outcome)
		}
	}
	return &res, nil
}

// Build computes the results of a run from its Ginkgo report. Every text that comes from the report is redacted.
func Build(meta RunMeta, r types.Report, opts Options) *Results {
	secrets := redact.Secrets(opts.Secrets...)
	red := func(s string) string { return redact.String(s, secrets...) }
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if meta.Started.IsZero() {
		meta.Started = r.StartTime
	}
	if meta.Finished.IsZero() {
		meta.Finished = r.EndTime
	}
	res := &Results{
		SchemaVersion: SchemaVersion,
		GeneratedAt:   now.UTC().Format(time.RFC3339),
		Meta: Meta{
			RunID:         red(meta.RunID),
			TargetHost:    red(meta.TargetHost),
			Embedded:      meta.Embedded,
			Profile:       red(meta.Profile),
			StripeVersion: red(meta.StripeVersion),
			SpecVersion:   red(meta.SpecVersion),
			SuiteVersion:  red(meta.SuiteVersion),
			Started:       meta.Started,
			Finished:      meta.Finished,
		},
		Suite: Suite{
			Description:      red(r.SuiteDescription),
			Path:             red(relPath(r.SuitePath)),
			Succeeded:        r.SuiteSucceeded,
			TotalSpecs:       r.PreRunStats.TotalSpecs,
			SpecsThatWillRun: r.PreRunStats.SpecsThatWillRun,
		}.withReasons(r.SpecialSuiteFailureReasons, red),
		Checks: []Check{},
	}
	if !meta.Started.IsZero() && !meta.Finished.IsZero() {
		res.Meta.DurationSeconds = meta.Finished.Sub(meta.Started).Seconds()
	}
	if meta.StripeVersion != "" && meta.SpecVersion != "" && meta.StripeVersion != meta.SpecVersion {
		res.Meta.VersionNote = red(fmt.Sprintf("Stripe-Version %s was sent, but every response was validated against the pinned document (version %s) only",
			meta.StripeVersion, meta.SpecVersion))
	}

	for _, sr := range r.SpecReports {
		if !IsCheck(sr) {
			if sr.State.Is(types.SpecStateFailureStates) {
				res.Suite.Problems = append(res.Suite.Problems, Problem{
					Node:     sr.LeafNodeType.String(),
					State:    sr.State.String(),
					Message:  red(sr.Failure.Message),
					Location: red(location(sr.Failure.Location)),
				})
			}
			continue
		}
		res.Checks = append(res.Checks, buildCheck(sr, red, secrets))
	}
	sortChecks(res.Checks)
	res.Checks = append(res.Checks, schemaChecks(res.Checks, red)...)
	sortChecks(res.Checks)
	res.Evidence = attachEvidence(res.Checks)
	for _, c := range res.Checks {
		res.Totals.Add(c.Outcome)
	}
	res.Score, res.ConformanceIndex = scoreAndIndex(res.Totals)
	res.Matrix = buildMatrix(res.Checks)
	res.Rerun = buildRerun(r.SuiteDescription, res.Checks, red)
	res.Suite.Succeeded = r.SuiteSucceeded && len(res.GateFailures()) == 0
	return res
}

func (s Suite) withReasons(reasons []string, red func(string) string) Suite {
	for _, x := range reasons {
		s.FailureReasons = append(s.FailureReasons, red(x))
	}
	return s
}

// scoreAndIndex returns passed/applicable and applicable/all, nil where the denominator is 0.
func scoreAndIndex(t Totals) (score, index *float64) {
	if applicable := t.Applicable(); applicable > 0 {
		v := float64(t.Count(Passed)) / float64(applicable)
		score = &v
	}
	if all := t.All(); all > 0 {
		v := float64(t.Applicable()) / float64(all)
		index = &v
	}
	return score, index
}

// CheckID derives a check's id from its spec text: the id of a check whose spec has no id:* label (a report of an
// older suite).
func CheckID(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "c" + hex.EncodeToString(sum[:5])
}

func buildCheck(sr types.SpecReport, red func(string) string, secrets []string) Check {
	all := sr.Labels()
	text := sr.FullText()
	id := labels.Value(all, labels.FamilyID)
	if id == "" {
		id = CheckID(text)
	}
	c := Check{
		ID:              red(id),
		Text:            red(text),
		Labels:          redAll(all, red),
		Status:          red(labels.Value(all, labels.FamilyStatus)),
		Op:              red(labels.Value(all, labels.FamilyOp)),
		Check:           red(labels.Value(all, labels.FamilyCheck)),
		Outcome:         Classify(sr),
		State:           sr.State.String(),
		DurationSeconds: sr.RunTime.Seconds(),
		Location:        red(location(sr.LeafNodeLocation)),
	}
	c.text = text
	if sr.NumAttempts > 1 {
		c.Attempts = sr.NumAttempts
	}
	c.SkipKind = red(entryString(sr, labels.EntrySkipKind))
	c.seen, c.seenErrs = schemaEntries(sr, red)
	switch c.Outcome {
	case Disabled, Skipped, Blocked:
		msg := strings.TrimLeft(sr.Failure.Message, " \t\r\n")
		reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(msg, labels.PrefixDisabled), labels.PrefixBlocked))
		if c.Outcome == Blocked {
			if text := entryString(sr, labels.EntryBlocked); text != "" {
				var b labels.Blocked
				if err := json.Unmarshal([]byte(text), &b); err != nil {
					reason = strings.TrimSpace(reason + " (the blocked entry could not be decoded: " + err.Error() + ")")
				} else {
					c.BlockedBy = &Blocker{Status: red(strings.TrimSpace(b.Status)), Step: red(strings.TrimSpace(b.Step))}
					if r := joinNonEmpty(": ", b.Step, b.Reason); r != "" {
						reason = r
					}
				}
			}
		}
		if reason == "" && c.Outcome == Disabled {
			if capability := entryString(sr, labels.EntryDisabled); capability != "" {
				reason = "capability " + capability + " is disabled by the profile"
			}
		}
		if reason == "" && sr.State.Is(types.SpecStatePending) {
			reason = "pending"
		}
		c.Reason = red(reason)
	case Failed, Errored:
		f := &Failure{
			Message:  boundedText(sr.Failure.Message, secrets),
			Location: red(location(sr.Failure.Location)),
			Node:     sr.Failure.FailureNodeType.String(),
		}
		if sr.Failure.FailureNodeType == types.NodeTypeInvalid {
			f.Node = ""
		}
		if sr.Failure.ForwardedPanic != "" {
			f.Panic = boundedText(sr.Failure.ForwardedPanic, secrets)
		}
		for i, af := range sr.AdditionalFailures {
			if i == MaxAdditional {
				f.Additional = append(f.Additional, fmt.Sprintf("… and %d more failures", len(sr.AdditionalFailures)-i))
				break
			}
			f.Additional = append(f.Additional, boundedText(af.Failure.Message, secrets))
		}
		if f.Message == "" && len(f.Additional) == 0 {
			f.Message = "(no failure message: the spec ended " + sr.State.String() + ")"
		}
		f.Exchanges, f.Notes = exchanges(sr, red, secrets)
		c.Failure = f
	}
	return c
}

// joinNonEmpty joins the parts that are not blank, trimmed, with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func redAll(in []string, red func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = red(s)
	}
	return out
}

// Bounds of what one failed check keeps, whatever the spec's report holds: the reports stay small however large
// or many the target's answers were (the suite's client already keeps excerpts; these hold for any report).
const (
	MaxMessage    = 16 << 10 // bytes of a failure message (and of a panic, and of each later failure)
	MaxAdditional = 5        // later failures listed
	MaxExchanges  = 50       // exchanges listed: the first and the last ones
)

// boundedText redacts the beginning of a message, at most MaxMessage bytes, and says how long it was.
func boundedText(s string, secrets []string) string {
	head, cut := redact.Head(s, MaxMessage, secrets...)
	if cut {
		head += fmt.Sprintf("\n… (message cut: %d bytes in all)", len(s))
	}
	return head
}

// exchanges decodes every labels.EntryExchanges entry of a spec (a JSON array of client.Exchange).
func exchanges(sr types.SpecReport, red func(string) string, secrets []string) ([]Exchange, []string) {
	out, notes := decodeExchanges(sr, red, secrets)
	if len(out) > MaxExchanges {
		const first = 10
		notes = append(notes, fmt.Sprintf("%d exchanges are not listed: the first %d and the last %d of %d are", len(out)-MaxExchanges, first, MaxExchanges-first, len(out)))
		out = append(out[:first:first], out[len(out)-(MaxExchanges-first):]...)
	}
	return out, notes
}

// body is what a report keeps of a recorded body: a redacted excerpt of at most HTMLBodyLimit bytes (the suite's
// client records at most client.RecordedBody; this bounds a report built from any Ginkgo report).
func body(s string, secrets []string) string {
	head, _ := redact.Head(s, HTMLBodyLimit, secrets...)
	return head
}

func decodeExchanges(sr types.SpecReport, red func(string) string, secrets []string) ([]Exchange, []string) {
	var out []Exchange
	var notes []string
	for _, e := range sr.ReportEntries {
		if e.Name != labels.EntryExchanges {
			continue
		}
		var list []client.Exchange
		if err := json.Unmarshal([]byte(entryText(e)), &list); err != nil {
			notes = append(notes, "the recorded exchanges could not be decoded: "+red(err.Error()))
			continue
		}
		for i := range list {
			ce := &list[i]
			if ce.RequestBodyCut == nil && len(ce.RequestBody) > HTMLBodyLimit {
				// Recorded whole by another client: the curl line cannot carry it either.
				ce.RequestBodyCut = &client.BodyCut{Bytes: len(ce.RequestBody), SHA256: "not recorded"}
			}
			out = append(out, Exchange{
				Method:          red(ce.Method),
				URL:             red(ce.URL),
				Path:            red(ce.Path()),
				RequestHeader:   redact.Header(ce.RequestHeader, secrets...),
				RequestBody:     body(ce.RequestBody, secrets),
				RequestBodyCut:  ce.RequestBodyCut,
				Status:          ce.Status,
				ResponseHeader:  redact.Header(ce.ResponseHeader, secrets...),
				ResponseBody:    body(ce.ResponseBody, secrets),
				ResponseBodyCut: ce.ResponseBodyCut,
				Started:         ce.Started,
				DurationMS:      float64(ce.Duration) / float64(time.Millisecond),
				Attempts:        ce.Attempts,
				Error:           red(ce.Err),
				RetryLog:        redAll(ce.RetryLog, red),
				Curl:            red(ce.Curl()),
			})
		}
	}
	return out, notes
}

// sortChecks orders checks by matrix row, then column, then source location, then text.
func sortChecks(cs []Check) {
	rank := func(vocab []string, v string) int {
		for i, x := range vocab {
			if x == v {
				return i
			}
		}
		return len(vocab)
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if ra, rb := rank(labels.Statuses, a.Status), rank(labels.Statuses, b.Status); ra != rb {
			return ra < rb
		}
		if a.Status != b.Status {
			return a.Status < b.Status
		}
		if ca, cb := rank(labels.Checks, a.Check), rank(labels.Checks, b.Check); ca != cb {
			return ca < cb
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if fa, fb := fileOf(a.Location), fileOf(b.Location); fa != fb {
			return fa < fb
		}
		if la, lb := lineOf(a.Location), lineOf(b.Location); la != lb {
			return la < lb
		}
		return a.Text < b.Text
	})
}

func fileOf(loc string) string {
	if i := strings.LastIndexByte(loc, ':'); i >= 0 {
		return loc[:i]
	}
	return loc
}

func lineOf(loc string) int {
	n := 0
	if i := strings.LastIndexByte(loc, ':'); i >= 0 {
		fmt.Sscanf(loc[i+1:], "%d", &n)
	}
	return n
}

// Unlabelled is the row or column of a check that lacks a status:* or check:* label.
const Unlabelled = "(none)"

func buildMatrix(cs []Check) Matrix {
	m := Matrix{
		Rows:         append([]string(nil), labels.Statuses...),
		Columns:      append([]string(nil), labels.Checks...),
		ColumnTitles: map[string]string{},
		Cells:        map[string]map[string]*Cell{},
	}
	maps.Copy(m.ColumnTitles, labels.CheckTitles)
	for _, c := range cs {
		row, col := c.Status, c.Check
		if row == "" {
			row = Unlabelled
		}
		if col == "" {
			col = Unlabelled
		}
		if !slices.Contains(m.Rows, row) {
			m.Rows = append(m.Rows, row)
		}
		if !slices.Contains(m.Columns, col) {
			m.Columns = append(m.Columns, col)
		}
		if m.Cells[row] == nil {
			m.Cells[row] = map[string]*Cell{}
		}
		cell := m.Cells[row][col]
		if cell == nil {
			cell = &Cell{}
			m.Cells[row][col] = cell
		}
		cell.Counts.Add(c.Outcome)
		if w := Worse(cell.Outcome, c.Outcome); w != cell.Outcome || cell.First == "" {
			cell.Outcome = w
			cell.First = c.ID
		}
	}
	return m
}

var (
	rootMu    sync.Mutex
	rootCache = map[string]string{}
)

// location renders a code location as file:line, with the file relative to its Go module root when there is one.
func location(cl types.CodeLocation) string {
	if cl.FileName == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", relPath(cl.FileName), cl.LineNumber)
}

// relPath makes an absolute path relative to the nearest directory above it that holds a go.mod.
func relPath(p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return p
	}
	dir := filepath.Dir(p)
	rootMu.Lock()
	root, ok := rootCache[dir]
	rootMu.Unlock()
	if !ok {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				root = d
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
		rootMu.Lock()
		rootCache[dir] = root
		rootMu.Unlock()
	}
	if root == "" {
		return p
	}
	if rel, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}
