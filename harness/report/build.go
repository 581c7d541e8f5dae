package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/redact"
)

// Options tunes Build and WriteAllWith.
type Options struct {
	// Secrets are masked wherever they appear, besides anything shaped like a Stripe key and the secrets registered
	// with harness/redact.
	Secrets []string
	// Now stamps GeneratedAt (time.Now when zero).
	Now time.Time
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
