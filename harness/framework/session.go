package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/matchers"
	"github.com/pi-conformance/suite/harness/schema"
)

// Resp is a target response with its decoded JSON object (nil when the body is not a JSON object).
type Resp struct {
	*client.Response
	Obj map[string]any
}

// ClientResponse lets the matchers unwrap a Resp.
func (r *Resp) ClientResponse() *client.Response { return r.Response }

// Get returns the value at a dotted path of the body ("error.code"), or nil.
func (r *Resp) Get(path string) any {
	v, _ := matchers.Lookup(r.Obj, path)
	return v
}

// Str returns the string at path, or "".
func (r *Resp) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// Int returns the integer at path and whether there was one.
func (r *Resp) Int(path string) (int64, bool) { return matchers.AsInt(r.Get(path)) }

// ID is the "id" of the returned object.
func (r *Resp) ID() string { return r.Str("id") }

// Session is one spec's view of the target: its own recorder, the objects it created, and cleanup.
// Create it in a BeforeEach with f.NewSession(); it registers its own cleanup and reporting.
type Session struct {
	F      *Framework
	Client *client.Client
	Rec    *client.Recorder

	tracker tracker
	schema  schemaLog
	// strictSchema: the spec belongs to the schema column, so a violation fails it (elsewhere it is recorded and
	// judged by the schema checks of the report, so one defect does not fail every clause).
	strictSchema bool
	start        client.Stats
}

// NewSession starts a spec's session. Cleanup (LIFO: release whatever this spec created, by type) and the
// attachment of the schema observations and, on failure, of the redacted exchanges to the spec's report are
// registered with DeferCleanup, so they run even after a failed assertion.
func (f *Framework) NewSession() *Session {
	rec := client.NewRecorder()
	s := &Session{F: f, Client: f.Client.WithRecorder(rec), Rec: rec, start: f.Client.Stats()}
	s.strictSchema = labels.Value(CurrentSpecReport().Labels(), labels.FamilyCheck) == "schema"
	DeferCleanup(s.report)
	DeferCleanup(s.cleanup, NodeTimeout(s.cleanupTimeout()))
	return s
}

// cleanup talks to the target without the spec's recorder or assertions: a failure here must not hide the spec's
// own verdict, and it only ever touches objects this spec created.
//
// On a first interrupt (Ctrl-C) Ginkgo cancels the running node's context, skips the remaining specs and still runs
// the cleanup nodes, each with a fresh context bounded by its NodeTimeout. An interrupt that lands while this cleanup
// is already running cancels its context too, which would stop it half-way: so the releases run on a context that
// ignores that cancellation and keeps the same bound (Ginkgo waits up to its --grace-period for the node; a second
// interrupt abandons it). When the spec was interrupted, the console is told how to release what the run may have
// left behind (an object whose create answer never arrived is unknown to this cleanup).
func (s *Session) cleanup(ctx SpecContext) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cleanupTimeout())
	defer cancel()
	s.tracker.release(rctx, s.F.Client, s.F.RunID)
	// ctx is done when the interrupt (or the node's timeout) came during this cleanup: the spec itself may have passed.
	if (CurrentSpecReport().State.Is(types.SpecStateInterrupted) || ctx.Err() != nil) && !s.F.Config.Embedded() {
		fmt.Fprintf(GinkgoWriter, "\nconformance run %s was interrupted (or this cleanup cut short): this spec's cleanup released "+
			"what it knew of; to release anything else the run left behind: go run ./harness/cmd/sweep -run %s\n", s.F.RunID, s.F.RunID)
	}
}

// cleanupTimeout bounds one spec's cleanup (also its NodeTimeout).
func (s *Session) cleanupTimeout() time.Duration { return s.F.Config.RequestTimeout.Duration * 3 }

func (s *Session) report() {
	// One suite process runs one spec at a time, so the client's counters since the session began are this spec's.
	end := s.F.Client.Stats()
	p := labels.SpecPerf{
		Requests: end.Requests - s.start.Requests,
		Attempts: end.Attempts - s.start.Attempts,
		Wait:     end.WaitTime - s.start.WaitTime,
		Throttle: end.ThrottleTime - s.start.ThrottleTime,
		Backoff:  end.BackoffTime - s.start.BackoffTime,
	}
	if b, err := json.Marshal(p); err == nil {
		AddReportEntry(labels.EntryPerf, string(b), ReportEntryVisibilityNever)
	}
	if seen := s.schema.entries(); len(seen) > 0 {
		if b, err := json.Marshal(seen); err == nil {
			AddReportEntry(labels.EntrySchema, string(b), ReportEntryVisibilityNever)
		}
	}
	rep := CurrentSpecReport()
	if !rep.Failed() {
		return
	}
	ex := s.Rec.Exchanges()
	if len(ex) == 0 {
		return
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return
	}
	AddReportEntry(labels.EntryExchanges, string(b), ReportEntryVisibilityNever)
}

// Do sends one request, records it, and holds every response to the contract's general clauses:
//   - a transport failure (refused, reset, timeout) ends the spec as Errored, naming the request;
//   - a body that says livemode: true aborts the whole run (the suite never runs against live mode);
//   - the body is validated against the pinned OpenAPI document and the fields Stripe always sends, and recorded by
//     operation and object type (a violation fails only a schema spec; the reports judge the rest).
//
// The typed operations (ops.go) go through Do; a spec that needs a request no operation sends (a malformed one)
// calls Do itself.
func (s *Session) Do(ctx context.Context, req client.Request) *Resp {
	GinkgoHelper()
	r, err := s.Client.Do(ctx, req)
	if err != nil {
		Errored(err)
		return nil
	}
	out := &Resp{Response: r}
	out.Obj, _ = r.JSON()
	if LiveMode(out.Obj) {
		AbortSuite("the target answered with livemode: true — the suite only runs against test mode; stopping.\n" + r.Exchange.Summary(matchers.BodyExcerpt))
	}
	if req.Method == "GET" && r.Status == 200 {
		// Only a read is trusted to show the stored state (a broken target may answer a write without storing it).
		s.noteFinal(out.Obj)
	}
	s.checkSchema(req, r)
	return out
}

// LiveMode reports whether a response body shows a live-mode object: the object itself, an error's embedded
// payment_intent, or any item of a list.
func LiveMode(obj map[string]any) bool {
	if obj == nil {
		return false
	}
	if obj["livemode"] == true {
		return true
	}
	if e, ok := obj["error"].(map[string]any); ok {
		if pi, ok := e["payment_intent"].(map[string]any); ok && pi["livemode"] == true {
			return true
		}
	}
	if items, ok := obj["data"].([]any); ok {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok && m["livemode"] == true {
				return true
			}
		}
	}
	return false
}

// noteFinal remembers a PaymentIntent seen in a final status (canceled, succeeded never change again).
func (s *Session) noteFinal(obj map[string]any) {
	if obj == nil || obj["object"] != "payment_intent" {
		return
	}
	id, _ := obj["id"].(string)
	st, _ := obj["status"].(string)
	if id == "" || (st != "canceled" && st != "succeeded") {
		return
	}
	s.tracker.markFinal(id)
}

// checkSchema validates one response against the pinned document and the always-sent fields, and records the
// outcome under the response's operation and object type. In a schema spec a violation fails the spec; elsewhere it
// does not: the reports turn the records into schema checks of their own, and the run still fails.
func (s *Session) checkSchema(req client.Request, r *client.Response) {
	GinkgoHelper()
	path := req.Path
	var err error
	obj, jerr := r.JSON()
	if jerr == nil {
		err = s.F.Schema.ValidateResponseValue(req.Method, path, r.Status, r.Header, obj)
	} else {
		err = s.F.Schema.ValidateResponse(req.Method, path, r.Status, r.Header, r.Body)
	}
	if errors.Is(err, schema.ErrUnknownOperation) {
		return // an operation outside the pinned document (e.g. a test helper): nothing to validate against
	}
	template, _ := s.F.Schema.Operation(req.Method, path)
	op, object := OperationName(req.Method, template), objectKind(obj, jerr)
	var issues []string
	if err != nil {
		issues = append(issues, err.Error())
	}
	if missing := schema.CheckAlwaysSentValue(obj); jerr == nil && len(missing) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "response %d to %s %s omits fields Stripe always sends:", r.Status, req.Method, stripQuery(path))
		for _, m := range missing {
			b.WriteString("\n  " + m.String())
		}
		issues = append(issues, b.String())
	}
	if len(issues) == 0 {
		s.schema.observe(op, object, "")
		return
	}
	msg := "schema violation: " + strings.Join(issues, "\n") + matchers.ExchangeBlock(r.Exchange)
	s.schema.observe(op, object, msg)
	if s.strictSchema {
		Fail(msg)
	}
}

// objectKind is the type a body reports: its "object", "error" for an error envelope, or "non-json".
func objectKind(obj map[string]any, jerr error) string {
	switch {
	case jerr != nil || obj == nil:
		return "non-json"
	case obj["error"] != nil && obj["object"] == nil:
		return "error"
	}
	if o, ok := obj["object"].(string); ok && o != "" {
		if len(o) > 60 { // the target names it: a check id must stay short
			return o[:60] + "…"
		}
		return o
	}
	return "unknown"
}

func stripQuery(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// Errored ends the spec as Errored: the suite or the transport broke, not the target's conformance.
func Errored(err error) {
	GinkgoHelper()
	AddReportEntry(labels.EntryOutcome, "errored", ReportEntryVisibilityNever)
	msg := err.Error()
	var te *client.TransportError
	if errors.As(err, &te) && te.Exchange != nil {
		msg += matchers.ExchangeBlock(te.Exchange)
	}
	Fail(labels.PrefixErrored + "the target could not be reached or did not answer: " + msg)
}

// Disabled skips a spec because the active profile turns the capability off.
func Disabled(capability, profile string) {
	GinkgoHelper()
	AddReportEntry(labels.EntryDisabled, capability, ReportEntryVisibilityNever)
	Skip(fmt.Sprintf("%sprofile %q does not support %q", labels.PrefixDisabled, profile, capability))
}

// Require skips the spec (as Disabled) unless the active profile has the capability.
func (f *Framework) Require(capability string) {
	GinkgoHelper()
	if !f.Config.Capability(capability) {
		Disabled(capability, f.Config.Profile)
	}
}
