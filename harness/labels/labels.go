// Package labels is the closed label vocabulary of the conformance suite.
//
// Every spec carries labels from three families, each written "family:value":
//
//	status:<starting PaymentIntent status>   the row of the results matrix ("status:any" when no status applies)
//	op:<operation exercised>                 cancel, confirm, capture, update, increment_authorization, retrieve, ...
//	check:<clause of the contract>           the column of the results matrix
//
// Ginkgo treats "family:value" labels as label sets, so a run can be narrowed with
// --label-filter='status: containsAny {requires_capture}' or --label-filter='check: containsAny {refund}'.
// Validate is called while the spec tree is built, so an unknown label fails the run before any request is sent.
package labels

import (
	"fmt"
	"sort"
	"strings"
)

// Families of labels.
const (
	FamilyStatus = "status"
	FamilyOp     = "op"
	FamilyCheck  = "check"
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
	"cancel",      // cancel from a cancelable status succeeds and persists
	"reason",      // cancellation_reason echo and validation
	"rejection",   // cancel refused from a non-cancelable status
	"post-cancel", // every state-changing operation fails after cancel
	"refund",      // cancel from requires_capture releases the authorization
	"schema",      // response bodies conform to the pinned OpenAPI document
	"errors",      // Stripe's errors for bad input (404, 401, unknown parameter, checkout)
	"idempotency", // Idempotency-Key replay and mismatch
	"races",       // concurrent cancels / cancel racing capture
}

// CheckTitles gives each check a short human title for reports.
var CheckTitles = map[string]string{
	"cancel":      "Cancel succeeds",
	"reason":      "Cancellation reason",
	"rejection":   "Cancel refused",
	"post-cancel": "Operations after cancel",
	"refund":      "Authorization released",
	"schema":      "Schema conformance",
	"errors":      "Error responses",
	"idempotency": "Idempotency",
	"races":       "Concurrency",
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
	out := make([]string, 0, len(vocabulary))
	for f := range vocabulary {
		out = append(out, f)
	}
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
	// EntryPerf carries a spec's request count and the time it waited on the target (JSON, see framework.Perf).
	EntryPerf = "conformance.perf"
	// EntryRun carries the run metadata (target host, profile, versions, run id) as JSON, once per process.
	EntryRun = "conformance.run"
)

// Failure-message prefixes that the reports use to place an outcome on the ladder.
const (
	PrefixErrored  = "[errored] "  // the suite broke or the target was unreachable
	PrefixDisabled = "[disabled] " // Skip message for a capability the profile turns off
)

// CheckSpec reports whether a spec's labels are exactly one status, one op and one check from the vocabulary.
func CheckSpec(all []string) error {
	count := map[string]int{}
	for _, l := range all {
		if err := Validate(l); err != nil {
			return err
		}
		f, _, _ := strings.Cut(l, ":")
		count[f]++
	}
	for _, f := range []string{FamilyStatus, FamilyOp, FamilyCheck} {
		if count[f] != 1 {
			return fmt.Errorf("labels %v: want exactly one %s:* label, have %d", all, f, count[f])
		}
	}
	return nil
}
