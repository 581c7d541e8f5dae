package main

import (
	"path/filepath"
	"strings"

	"github.com/pi-conformance/suite/harness/perf"
)

// justifications say why a request-heavy spec needs its requests, keyed by a fragment of the spec's text. They were
// written by reading the specs; a spec that becomes the largest without one is reported as such, so that the next
// reader checks it and adds a line here.
var justifications = []struct{ fragment, why string }{
	{"lets exactly one of several concurrent cancels of one intent",
		"1 create (drivers.Reach) + 5 concurrent cancels (the clause is about a race, so it needs several contenders; " +
			"they are sent at once and cost about one round trip of latency, not five) + 1 GET to check the final state + 1 cleanup GET (session cleanup)."},
	{"lets exactly one of a cancel and a capture racing",
		"1 create + a cancel and a capture sent at once (one round trip) + 1 GET for the final state + 1 cleanup GET."},
	{"refused for an intent in canceled",
		"2 to reach canceled (create, cancel) + 1 GET before + the refused cancel + 1 GET after (the clause is \"leaves it unchanged\": before and after are compared field by field) + 1 cleanup GET."},
	{"refused for an intent in succeeded",
		"1 create (confirmed) + 1 GET before + the refused cancel + 1 GET after (compared field by field) + 1 cleanup GET."},
	{"gives the same answer to a cancel of every processing intent",
		"2 creates (the clause compares the answers for two intents) + 2 cancels + 2 GETs (a debit that settled before its cancel is not comparable) + 2 cleanup GETs (a processing intent is not final)."},
	{"refuses to cancel the PaymentIntent of a Checkout Session",
		"1 Checkout Session create + 1 GET before + the refused cancel + 1 GET after + 1 session expire (cleanup) + 1 cleanup GET."},
	{"the answers to a cancel of an unknown intent, a cancel without an API key and a cancel with an invalid reason",
		"1 create + 3 cancels (one per error answer whose schema is checked) + 1 cleanup GET + 1 cleanup cancel (the intent is still cancelable)."},
}

// justify returns the recorded reason for the spec's request count, or says there is none and where to read it.
func justify(sp perf.Spec, root string) string {
	for _, j := range justifications {
		if strings.Contains(sp.Text, j.fragment) {
			return j.why
		}
	}
	where := sp.Location
	if rel, err := filepath.Rel(root, sp.Path); err == nil && !strings.HasPrefix(rel, "..") {
		where = rel + strings.TrimPrefix(sp.Location, filepath.Base(sp.Path))
	}
	return "no justification recorded for this spec: read " + where + " and add one to harness/cmd/perf/justify.go."
}
