package framework

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"

	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/matchers"
)

// schemaLog collects, per operation and object type, how many responses a spec had validated and the first
// violation of each pair (safe for concurrent use: racing requests validate from several goroutines).
type schemaLog struct {
	mu   sync.Mutex
	seen map[[2]string]*labels.SchemaSeen
}

// maxViolationText bounds what one pair's record keeps (the message already bounds the exchange it shows).
const maxViolationText = 6000

func (l *schemaLog) observe(op, object, violation string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[[2]string]*labels.SchemaSeen{}
	}
	k := [2]string{op, object}
	e := l.seen[k]
	if e == nil {
		e = &labels.SchemaSeen{Operation: op, Object: object}
		l.seen[k] = e
	}
	e.Responses++
	if violation == "" {
		return
	}
	e.Violating++
	if e.Violations == "" {
		if len(violation) > maxViolationText {
			violation = violation[:maxViolationText] + "\n… (cut)"
		}
		e.Violations = violation
	}
}

func (l *schemaLog) entries() []labels.SchemaSeen {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]labels.SchemaSeen, 0, len(l.seen))
	for _, e := range l.seen {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operation != out[j].Operation {
			return out[i].Operation < out[j].Operation
		}
		return out[i].Object < out[j].Object
	})
	return out
}

// OperationName names the pinned operation with the path template: "POST /v1/payment_intents/{intent}/cancel" is
// cancel_payment_intent, "GET /v1/refunds" list_refunds, "POST /v1/checkout/sessions" create_checkout_session.
func OperationName(method, template string) string {
	var resource []string
	action := ""
	afterParam := false
	for _, seg := range strings.Split(strings.Trim(template, "/"), "/") {
		switch {
		case seg == "v1" || seg == "":
		case strings.HasPrefix(seg, "{"):
			afterParam = true
		case afterParam:
			action = seg
		default:
			resource = append(resource, seg)
		}
	}
	if len(resource) == 0 {
		return strings.ToLower(method) + "_" + strings.Trim(template, "/")
	}
	plural := strings.Join(resource, "_")
	singular := strings.TrimSuffix(plural, "s")
	switch {
	case action != "":
		return action + "_" + singular
	case afterParam && method == "GET":
		return "retrieve_" + singular
	case afterParam && method == "DELETE":
		return "delete_" + singular
	case afterParam:
		return "update_" + singular
	case method == "GET":
		return "list_" + plural
	default:
		return "create_" + singular
	}
}

// Blocked ends a spec whose starting point could not be reached: the target could not be brought into the starting
// status (status set), or a set-up step was refused. The clause under test was not exercised, so this is not a
// failure of it: the reports place the spec on the ladder as blocked (not applicable), and the run fails. r, when
// given, is the answer that blocked it.
func Blocked(status, step, why string, r *Resp) {
	GinkgoHelper()
	reason := why
	if r != nil && r.Exchange != nil {
		reason += matchers.ExchangeBlock(r.Exchange)
	}
	b, _ := json.Marshal(labels.Blocked{Status: status, Step: step, Reason: reason})
	AddReportEntry(labels.EntryBlocked, string(b), ReportEntryVisibilityNever)
	Skip(fmt.Sprintf("%sset-up step %q failed: %s", labels.PrefixBlocked, step, reason))
}

// SkipTiming skips a spec because a timing precondition did not hold (racing requests that did not overlap, a debit
// that settled before its cancel): the clause was not exercised, and a gate does not count it as a regression.
func SkipTiming(why string) {
	GinkgoHelper()
	AddReportEntry(labels.EntrySkipKind, "timing", ReportEntryVisibilityNever)
	Skip(why)
}
