// Package labels is the closed label vocabulary of the conformance suite.
//
// Every spec carries labels from three families, each written "family:value":
//
//	status:<starting PaymentIntent status>   the row of the results matrix ("status:any" when no status applies)
//	op:<operation exercised>                 cancel, confirm, capture, update, increment_authorization, retrieve, ...
//	check:<clause of the contract>           the column of the results matrix
//	id:<stable id>                            the check's id in results.json and compat: explicit, so that it survives a
//	                                         change of wording (lower case letters, digits and - _ .)
//
// Ginkgo treats "family:value" labels as label sets, so a run can be narrowed with
// --label-filter='status: containsAny {requires_capture}' or --label-filter='check: containsAny {refund}'.
// Validate is called while the spec tree is built, so an unknown label fails the run before any request is sent.
package labels

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Families of labels.
const (
	FamilyStatus = "status"
	FamilyOp     = "op"
	FamilyCheck  = "check"
	FamilyID     = "id"
)

// Statuses are the PaymentIntent statuses the suite drives, in lifecycle order, plus "any".
var Statuses = []string{
	"requires_payment_method",
	"requires_confirmation",
	"requires_action",
	"requires_capture",
	"processing",
	"succeeded",
	"canceled",
	"any",
}

// Cancelable are the statuses from which Stripe always allows a cancel (from processing only "in rare cases"),
// in lifecycle order: the one list of them for the suite, the drivers and cleanup.
var Cancelable = []string{"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}

// Ops are the operations a spec exercises.
var Ops = []string{
	"create",
	"retrieve",
	"update",
	"confirm",
	"capture",
	"cancel",
	"increment_authorization",
	"list_refunds",
	"retrieve_charge",
	"checkout_session",
}

// Checks are the clauses of the contract; they are the columns of the results matrix, in display order.
var Checks = []string{
	"reach",       // the status drivers can bring a fresh intent into the row's starting status
	"cancel",      // cancel from a cancelable status succeeds and persists
	"reason",      // cancellation_reason echo and validation
	"rejection",   // cancel refused from a non-cancelable status
	"post-cancel", // every state-changing operation fails after cancel
	"refund",      // cancel from requires_capture releases the authorization
	"schema",      // response bodies conform to the pinned OpenAPI document
	"errors",      // Stripe's errors for bad input (404, 401, unknown parameter, checkout)
	"idempotency", // Idempotency-Key replay and mismatch
	"races",       // concurrent cancels / cancel racing capture
	"events",      // a cancel's payment_intent.canceled event in GET /v1/events (and none for a refused one)
	"webhooks",    // that event delivered, signed, to a webhook endpoint
}

// CheckTitles gives each check a short human title for reports.
var CheckTitles = map[string]string{
	"reach":       "Status reached",
	"cancel":      "Cancel succeeds",
	"reason":      "Cancellation reason",
	"rejection":   "Cancel refused",
	"post-cancel": "Operations after cancel",
	"refund":      "Authorization released",
	"schema":      "Schema conformance",
	"errors":      "Error responses",
	"idempotency": "Idempotency",
	"races":       "Concurrency",
	"events":      "Cancel event",
	"webhooks":    "Webhook delivery",
}

var vocabulary = map[string][]string{
	FamilyStatus: Statuses,
	FamilyOp:     Ops,
	FamilyCheck:  Checks,
}

// Status, Op and Check build labels of each family; they panic on a value outside the vocabulary,
// which makes a typo fail while the spec tree is constructed.
func Status(s string) string { return must(FamilyStatus, s) }
func Op(s string) string     { return must(FamilyOp, s) }
func Check(s string) string  { return must(FamilyCheck, s) }

// ID builds the id label of a check; it panics on a malformed id.
func ID(s string) string { return must(FamilyID, s) }

// validID: lower-case ASCII letters and digits, then also - _ . (no spaces, no label-filter syntax: Ginkgo refuses
// labels with any of &|!,()/).
func validID(s string) bool {
	if s == "" || len(s) > 120 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case i > 0 && (r == '-' || r == '_' || r == '.'):
		default:
			return false
		}
	}
	return true
}

func must(family, value string) string {
	l := family + ":" + value
	if err := Validate(l); err != nil {
		panic(err)
	}
	return l
}

// Validate reports whether a label belongs to the closed vocabulary.
func Validate(label string) error {
	family, value, ok := strings.Cut(label, ":")
	if !ok {
		return fmt.Errorf("label %q is not of the form family:value (families: %s)", label, strings.Join(Families(), ", "))
	}
	if family == FamilyID {
		if !validID(value) {
			return fmt.Errorf("label %q: an id is lower-case letters and digits, then also - _ . (at most 120)", label)
		}
		return nil
	}
	values, known := vocabulary[family]
	if !known {
		return fmt.Errorf("label %q has unknown family %q (families: %s)", label, family, strings.Join(Families(), ", "))
	}
	for _, v := range values {
		if v == value {
			return nil
		}
	}
	return fmt.Errorf("label %q: %q is not a known %s (known: %s)", label, value, family, strings.Join(values, ", "))
}

// Families lists the label families in a stable order.
func Families() []string {
	out := make([]string, 0, len(vocabulary)+1)
	for f := range vocabulary {
		out = append(out, f)
	}
	out = append(out, FamilyID)
	sort.Strings(out)
	return out
}

// Value returns the value of the first label of the given family in labels, or "".
func Value(all []string, family string) string {
	for _, l := range all {
		if f, v, ok := strings.Cut(l, ":"); ok && f == family {
			return v
		}
	}
	return ""
}

// Report entry names shared by the suite (which writes them) and the reports (which read them).
const (
	// EntryOutcome carries "errored" when the suite or the transport broke rather than the target misbehaving.
	EntryOutcome = "conformance.outcome"
	// EntryExchanges carries the redacted HTTP exchanges of a spec as JSON (see client.Exchange).
	EntryExchanges = "conformance.exchanges"
	// EntryDisabled carries the reason a spec's capability is disabled by the profile.
	EntryDisabled = "conformance.disabled"
	// EntryPerf carries a spec's request count and the time it waited on the target (JSON, see SpecPerf).
	EntryPerf = "conformance.perf"
	// EntryBlocked carries, as JSON (see Blocked), why a spec could not reach its starting point: the target
	// could not be brought into its starting status, or a set-up step it needs was refused. The spec is skipped
	// with PrefixBlocked; the reports place it on the ladder as blocked (not applicable, and the run fails).
	EntryBlocked = "conformance.blocked"
	// EntrySchema carries, as JSON (see SchemaSeen), every response a spec had validated against the pinned
	// document, grouped by operation and object type, with the violations seen. Outside the schema column a
	// violation does not fail the spec: the reports turn these entries into schema checks of their own.
	EntrySchema = "conformance.schema"
	// EntrySkipKind carries "timing" when the suite itself skipped a spec because a timing precondition did not
	// hold (racing requests that did not overlap, a debit that settled first): not a regression in a gate.
	EntrySkipKind = "conformance.skip_kind"
)

// Blocked is the value of an EntryBlocked entry.
type Blocked struct {
	// Status is the starting status that could not be reached ("" when another set-up step failed).
	Status string `json:"status,omitempty"`
	// Step names the set-up step that failed, e.g. "reach requires_action" or "cancel from requires_capture".
	Step string `json:"step"`
	// Reason says what the target answered (bounded, redacted), with the exchange.
	Reason string `json:"reason"`
}

// SpecPerf is the value of a spec's EntryPerf entry: the requests the spec sent, cleanup included, and the time
// spent waiting on the target, on the client's rate limiter and between retries. harness/framework writes it;
// harness/perf reads it for the latency-bound and rate-limited figures. It lives here, beside the entry's name, so
// that the suite binary does not link the performance tooling.
type SpecPerf struct {
	Requests int64         `json:"requests"`
	Attempts int64         `json:"attempts"`
	Wait     time.Duration `json:"wait_ns"`
	Throttle time.Duration `json:"throttle_ns"`
	Backoff  time.Duration `json:"backoff_ns"`
}

// Add adds o to p, field by field.
func (p *SpecPerf) Add(o SpecPerf) {
	p.Requests += o.Requests
	p.Attempts += o.Attempts
	p.Wait += o.Wait
	p.Throttle += o.Throttle
	p.Backoff += o.Backoff
}

// SchemaSeen is one operation/object pair a spec had validated: how many responses, and the first violations.
type SchemaSeen struct {
	// Operation is the API operation ("create_payment_intent", "cancel_payment_intent", "retrieve_charge", ...).
	Operation string `json:"operation"`
	// Object is the body's object type ("payment_intent", "charge", "list", "error" for an error envelope, ...).
	Object string `json:"object"`
	// Responses counts the responses of this pair; Violating those that broke the schema or the always-sent list.
	Responses int `json:"responses"`
	Violating int `json:"violating,omitempty"`
	// Violations is the first violating response's report (JSON pointer + reason per line, then the exchange),
	// bounded; empty when every response conformed.
	Violations string `json:"violations,omitempty"`
}

// Failure-message prefixes that the reports use to place an outcome on the ladder.
const (
	PrefixErrored  = "[errored] "  // the suite broke or the target was unreachable
	PrefixDisabled = "[disabled] " // Skip message for a capability the profile turns off
	PrefixBlocked  = "[blocked] "  // Skip message for a spec whose starting point could not be reached
)

// CheckSpec reports whether a spec's labels are exactly one status, one op, one check and one id, each valid.
func CheckSpec(all []string) error {
	count := map[string]int{}
	for _, l := range all {
		if err := Validate(l); err != nil {
			return err
		}
		f, _, _ := strings.Cut(l, ":")
		count[f]++
	}
	for _, f := range []string{FamilyStatus, FamilyOp, FamilyCheck, FamilyID} {
		if count[f] != 1 {
			return fmt.Errorf("labels %v: want exactly one %s:* label, have %d", all, f, count[f])
		}
	}
	return nil
}
