package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pi-conformance/suite/harness/jsondecode"
)

// AlwaysSent lists, per object type, the fields that the pinned document leaves optional (it requires only a handful)
// but that Stripe sends on every object of that type, null where the document allows null. A target that omits one
// breaks clients that read it. The lists follow the contract notes (§9.1) and stripe-mock's fixtures.
var AlwaysSent = map[string][]string{
	"payment_intent": {
		"id", "object", "amount", "amount_capturable", "amount_received", "canceled_at", "cancellation_reason",
		"capture_method", "client_secret", "confirmation_method", "created", "currency", "customer", "description",
		"last_payment_error", "latest_charge", "livemode", "metadata", "next_action", "payment_method",
		"payment_method_types", "status",
	},
	"charge": {
		"id", "object", "amount", "amount_captured", "amount_refunded", "balance_transaction", "captured", "created",
		"currency", "livemode", "metadata", "paid", "payment_intent", "refunded", "status",
	},
	"refund": {"id", "object", "amount", "charge", "created", "currency", "payment_intent", "reason", "status"},
	"list":   {"object", "data", "has_more", "url"},
	// The recorded events (evidence notes, "Events and webhooks") carry api_version and request besides the
	// required fields; request is {id, idempotency_key}, its id null for automatic changes. No webhook_endpoint
	// entry: the notes record no full endpoint object.
	"event": {"id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type"},
}

// errorAlwaysSent are the fields of the error envelope Stripe always sends.
var errorAlwaysSent = []string{"type", "message"}

// CheckAlwaysSent reports fields from AlwaysSent that are missing from any object in body (the top-level object,
// an error envelope, and every nested object whose "object" names a listed type, e.g. error.payment_intent or an
// expanded latest_charge). Bodies that are not JSON objects produce no issues here; ValidateResponse reports them.
func CheckAlwaysSent(body []byte) []Issue {
	value, err := jsondecode.Decode(body)
	if err != nil {
		return nil
	}
	return CheckAlwaysSentValue(value)
}

// CheckAlwaysSentValue is CheckAlwaysSent for an already decoded body.
func CheckAlwaysSentValue(value any) []Issue {
	var out []Issue
	if m, ok := value.(map[string]any); ok {
		if e, ok := m["error"].(map[string]any); ok {
			for _, f := range errorAlwaysSent {
				if _, present := e[f]; !present {
					out = append(out, Issue{Pointer: "/error/" + f, Reason: "missing: Stripe always sends error." + f})
				}
			}
		}
	}
	walkObjects(value, nil, &out)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Pointer < out[b].Pointer })
	return out
}

// walkObjects checks every object under v. path holds the keys and indexes down to v; a pointer is only built for a
// missing field (most bodies have none, and they have hundreds of keys).
func walkObjects(v any, path []string, out *[]Issue) {
	switch t := v.(type) {
	case map[string]any:
		if kind, ok := t["object"].(string); ok {
			for _, f := range AlwaysSent[kind] {
				if _, present := t[f]; !present {
					*out = append(*out, Issue{Pointer: pointer(path) + "/" + f, Reason: fmt.Sprintf("missing: Stripe always sends %s.%s (null when empty)", kind, f)})
				}
			}
		}
		for k, c := range t {
			if isContainer(c) {
				walkObjects(c, append(path, k), out)
			}
		}
	case []any:
		for i, c := range t {
			if isContainer(c) {
				walkObjects(c, append(path, strconv.Itoa(i)), out)
			}
		}
	}
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

func pointer(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return "/" + strings.Join(path, "/")
}
