package reference

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stripe/stripe-mock/embedded"

	"github.com/pi-conformance/suite/harness/schema"
)

// The schema tests drive every endpoint through every status and every error
// kind, record each response, and validate all of them against Stripe's
// spec: the suite's pinned document (harness/schema) where the operation and
// expansions are pinned, and always against the full, unmodified spec3.json.

// fullSpec validates against stripe-mock v0.203.0's unmodified spec3.json
// with kin-openapi (tests only; the reference never imports stripe-mock).
type fullSpec struct {
	doc *openapi3.T
}

var (
	fullOnce sync.Once
	fullV    *fullSpec
	fullErr  error
)

func fullValidator(t testing.TB) *fullSpec {
	t.Helper()
	fullOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(embedded.OpenAPISpec)
		if err != nil {
			fullErr = err
			return
		}
		doc.Servers = nil
		fullV = &fullSpec{doc: doc}
	})
	if fullErr != nil {
		t.Fatalf("load full spec: %v", fullErr)
	}
	return fullV
}

// validate returns nil when the response conforms, errNotInSpec when the
// spec has no such operation.
func (f *fullSpec) validate(method, path string, status int, header http.Header, body []byte) error {
	req, err := http.NewRequest(method, "http://reference.test"+path, nil)
	if err != nil {
		return err
	}
	route, params := f.findRoute(method, path)
	if route == nil {
		return errNotInSpec
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// findRoute matches a concrete path to the spec's templates (literal
// segments win over parameters, so /v1/payment_intents/search is not {intent}).
func (f *fullSpec) findRoute(method, path string) (*routers.Route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *routers.Route
	var bestParams map[string]string
	bestLiterals := -1
	for tmpl, item := range f.doc.Paths.Map() {
		op := item.GetOperation(method)
		if op == nil {
			continue
		}
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		params := map[string]string{}
		literals := 0
		ok := true
		for i, t := range ts {
			if strings.HasPrefix(t, "{") {
				params[strings.Trim(t, "{}")] = segs[i]
			} else if t == segs[i] {
				literals++
			} else {
				ok = false
				break
			}
		}
		if ok && literals > bestLiterals {
			best = &routers.Route{Spec: f.doc, Path: tmpl, PathItem: item, Method: method, Operation: op}
			bestParams, bestLiterals = params, literals
		}
	}
	return best, bestParams
}

func (f *fullSpec) validateValue(component string, value any) error {
	s := f.doc.Components.Schemas[component]
	if s == nil || s.Value == nil {
		return fmt.Errorf("no component schema %q", component)
	}
	return s.Value.VisitJSON(value, openapi3.MultiErrors())
}

var errNotInSpec = errors.New("operation not in the spec")

func pinnedValidator(t testing.TB) *schema.Validator {
	t.Helper()
	v, err := schema.Default()
	if err != nil {
		t.Fatalf("load pinned spec: %v", err)
	}
	return v
}

// pinnedOperation reports whether method+path is one of the operations the
// suite's pinned document keeps.
func pinnedOperation(method, path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(segs) == 2 && segs[1] == "payment_intents" && (method == "GET" || method == "POST"):
		return true
	case len(segs) == 3 && segs[1] == "payment_intents" && (method == "GET" || method == "POST"):
		return true
	case len(segs) == 4 && segs[1] == "payment_intents" && method == "POST":
		switch segs[3] {
		case "cancel", "capture", "confirm", "increment_authorization":
			return true
		}
	case len(segs) == 3 && (segs[1] == "charges" || segs[1] == "refunds") && method == "GET":
		return true
	case len(segs) == 2 && segs[1] == "refunds" && method == "GET":
		return true
	case len(segs) == 3 && segs[1] == "checkout" && segs[2] == "sessions" && method == "POST":
		return true
	case len(segs) == 4 && segs[1] == "checkout" && method == "GET":
		return true
	case len(segs) == 5 && segs[1] == "checkout" && segs[4] == "expire" && method == "POST":
		return true
	case (len(segs) == 2 || len(segs) == 3) && segs[1] == "events" && method == "GET":
		return true
	case len(segs) == 2 && segs[1] == "webhook_endpoints" && (method == "GET" || method == "POST"):
		return true
	case len(segs) == 3 && segs[1] == "webhook_endpoints" && (method == "GET" || method == "DELETE"):
		return true
	}
	return false
}

// alwaysSentPI is the presence list from the issue: properties real Stripe
// sends on every PaymentIntent (null when empty).
var alwaysSentPI = []string{"id", "object", "amount", "amount_capturable", "amount_details", "amount_received", "application",
	"application_fee_amount", "automatic_payment_methods", "canceled_at", "cancellation_reason", "capture_method",
	"client_secret", "confirmation_method", "created", "currency", "customer", "description", "last_payment_error",
	"latest_charge", "livemode", "metadata", "next_action", "on_behalf_of", "payment_method",
	"payment_method_configuration_details", "payment_method_options", "payment_method_types", "processing",
	"receipt_email", "review", "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix",
	"status", "transfer_data", "transfer_group"}

var alwaysSentCharge = []string{"id", "object", "amount", "amount_captured", "amount_refunded", "application", "application_fee",
	"application_fee_amount", "balance_transaction", "billing_details", "calculated_statement_descriptor", "captured", "created",
	"currency", "customer", "description", "disputed", "failure_balance_transaction", "failure_code", "failure_message",
	"fraud_details", "livemode", "metadata", "on_behalf_of", "outcome", "paid", "payment_intent", "payment_method",
	"payment_method_details", "receipt_email", "receipt_number", "receipt_url", "refunded", "review", "shipping",
	"source_transfer", "statement_descriptor", "statement_descriptor_suffix", "status", "transfer_data", "transfer_group"}

var alwaysSentRefund = []string{"id", "object", "amount", "balance_transaction", "charge", "created", "currency",
	"destination_details", "metadata", "payment_intent", "reason", "receipt_number", "source_transfer_reversal", "status",
	"transfer_reversal"}

var alwaysSentSession = []string{"id", "object", "amount_subtotal", "amount_total", "automatic_tax", "cancel_url",
	"client_reference_id", "created", "currency", "custom_fields", "custom_text", "customer", "customer_email", "expires_at",
	"livemode", "metadata", "mode", "payment_intent", "payment_method_types", "payment_status", "shipping_options", "status",
	"success_url", "url"}

var alwaysSentPM = []string{"id", "object", "billing_details", "created", "customer", "livemode", "metadata", "type"}

var alwaysSentEvent = []string{"id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type"}

// alwaysSentWebhookEndpoint: every property of Stripe's documented example object but the secret (create only).
var alwaysSentWebhookEndpoint = []string{"id", "object", "api_version", "application", "created", "description",
	"enabled_events", "livemode", "metadata", "status", "url"}

var presence = map[string][]string{
	"payment_intent": alwaysSentPI, "charge": alwaysSentCharge, "refund": alwaysSentRefund,
	"checkout.session": alwaysSentSession, "payment_method": alwaysSentPM, "event": alwaysSentEvent,
	"webhook_endpoint": alwaysSentWebhookEndpoint,
}

// neverNullPI are payment_intent properties the spec marks non-nullable.
var neverNull = map[string][]string{
	"payment_intent": {"amount", "amount_capturable", "amount_details", "amount_received", "capture_method",
		"confirmation_method", "created", "currency", "hooks", "id", "livemode", "metadata", "object", "payment_details",
		"payment_method_types", "presentment_details", "status"},
}

func checkPresence(v any, ptr string, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		if kind, ok := t["object"].(string); ok && t["deleted"] != true { // a deleted object is {id, object, deleted}
			for _, f := range presence[kind] {
				if _, ok := t[f]; !ok {
					*out = append(*out, fmt.Sprintf("%s: %s.%s missing", ptr, kind, f))
				}
			}
			for _, f := range neverNull[kind] {
				if x, ok := t[f]; ok && x == nil {
					*out = append(*out, fmt.Sprintf("%s: %s.%s is null", ptr, kind, f))
				}
			}
			if lm, ok := t["livemode"]; ok && lm != false {
				*out = append(*out, fmt.Sprintf("%s: %s.livemode is %v", ptr, kind, lm))
			}
		}
		if e, ok := t["error"].(map[string]any); ok && ptr == "" {
			if c, ok := e["code"]; ok && c == nil {
				*out = append(*out, "/error/code is null")
			}
			switch e["type"] {
			case "api_error", "card_error", "idempotency_error", "invalid_request_error":
			default:
				*out = append(*out, fmt.Sprintf("/error/type %v not in the spec enum", e["type"]))
			}
			if _, ok := e["message"].(string); !ok {
				*out = append(*out, "/error/message missing")
			}
		}
		for k, c := range t {
			checkPresence(c, ptr+"/"+k, out)
		}
	case []any:
		for i, c := range t {
			checkPresence(c, fmt.Sprintf("%s/%d", ptr, i), out)
		}
	}
}

// pinnedExpansions are the expand[] values whose results the pinned document
// can validate (it collapses every other expandable field to an id).
func pinnedOK(ex exchange) bool {
	raw := ex.Body
	if ex.Method == http.MethodGet {
		raw = ex.Query
	}
	tree, err := decodeForm(raw)
	if err != nil {
		return true
	}
	n := tree.m["expand"]
	if n == nil {
		return true
	}
	l, _ := n.asList()
	for _, e := range l {
		switch e.str {
		case "latest_charge", "latest_charge.refunds", "data.latest_charge", "refunds", "line_items":
		default:
			return false
		}
	}
	return true
}

func validateExchange(t testing.TB, pinned *schema.Validator, full *fullSpec, ex exchange) []string {
	var problems []string
	where := fmt.Sprintf("%s %s?%s -> %d", ex.Method, ex.Path, clip(ex.Query+ex.Body, 120), ex.Status)
	if ct := ex.Header.Get("Content-Type"); ct != "application/json" {
		problems = append(problems, where+": Content-Type "+ct)
	}
	if rid := ex.Header.Get("Request-Id"); !strings.HasPrefix(rid, "req_") {
		problems = append(problems, where+": Request-Id "+rid)
	}
	var body any
	if err := json.Unmarshal(ex.Raw, &body); err != nil {
		return append(problems, where+": not JSON: "+err.Error())
	}
	var pres []string
	checkPresence(body, "", &pres)
	for _, p := range pres {
		problems = append(problems, where+": "+p)
	}
	err := full.validate(ex.Method, ex.Path, ex.Status, ex.Header, ex.Raw)
	if errors.Is(err, errNotInSpec) {
		// Not a spec operation (test helper, unknown route): validate the
		// body against the component schema it must match.
		m, _ := body.(map[string]any)
		var values []any
		var comps []string
		switch {
		case ex.Status != 200:
			values, comps = []any{m}, []string{"error"}
		case m["object"] == "list":
			data, _ := m["data"].([]any)
			for _, d := range data {
				kind, _ := d.(map[string]any)["object"].(string)
				values, comps = append(values, d), append(comps, kind)
			}
		default:
			kind, _ := m["object"].(string)
			values, comps = []any{m}, []string{kind}
		}
		for i, val := range values {
			if err := full.validateValue(comps[i], val); err != nil {
				problems = append(problems, where+" [full spec "+comps[i]+"]: "+err.Error())
			}
		}
	} else if err != nil {
		problems = append(problems, where+" [full spec]: "+err.Error())
	}
	if pinnedOperation(ex.Method, ex.Path) && pinnedOK(ex) {
		if err := pinned.ValidateResponse(ex.Method, ex.Path, ex.Status, ex.Header, ex.Raw); err != nil {
			problems = append(problems, where+" [pinned]: "+err.Error())
		}
	}
	return problems
}

// exerciseEverything produces every kind of response the reference can send.
func exerciseEverything(t *testing.T, h *harness) {
	// Objects in every status, retrieved plain and expanded.
	ids := map[string]string{}
	for _, st := range allStatuses {
		r := h.intentIn(st)
		ids[st] = r.str("id")
		h.get("/v1/payment_intents/"+ids[st], "")
		h.get("/v1/payment_intents/"+ids[st], "expand[]=latest_charge&expand[]=payment_method")
		h.get("/v1/payment_intents/"+ids[st], "expand[]=latest_charge.refunds&expand[]=customer&expand[]=review")
	}
	// Every operation from every status.
	for _, st := range allStatuses {
		for _, op := range []struct{ path, form string }{
			{"", "metadata[k]=v&description=d"},
			{"", "amount=3000"},
			{"", "payment_method=pm_card_visa"},
			{"/confirm", ""},
			{"/confirm", "payment_method=pm_card_visa"},
			{"/capture", ""},
			{"/capture", "amount_to_capture=1000"},
			{"/increment_authorization", "amount=2500"},
			{"/cancel", "cancellation_reason=requested_by_customer&expand[]=latest_charge.refunds"},
		} {
			r := h.intentIn(st)
			h.post("/v1/payment_intents/"+r.str("id")+op.path, op.form)
		}
	}
	// Cancel from each cancelable status with each reason, expanded.
	for _, reason := range append([]string{""}, cancellationReasons...) {
		for _, st := range DefaultCancelableStatuses {
			r := h.intentIn(st)
			form := "expand[]=latest_charge"
			if reason != "" {
				form += "&cancellation_reason=" + reason
			}
			h.post("/v1/payment_intents/"+r.str("id")+"/cancel", form)
		}
	}
	// Richer objects: shipping, receipt email, descriptors, automatic payment methods.
	rich := h.post("/v1/payment_intents", "amount=5000&currency=usd&payment_method_types[0]=card&description=rich&receipt_email=a@example.com"+
		"&statement_descriptor_suffix=ORDER1&shipping[name]=Jenny&shipping[address][line1]=1%20Main&shipping[address][country]=US"+
		"&metadata[order]=1&transfer_group=g1&setup_future_usage=off_session&payment_method_options[card][request_three_d_secure]=any"+
		"&payment_method_options[card][capture_method]=manual&payment_method_options[card][request_incremental_authorization]=if_available")
	expectStatus(t, rich, 200)
	h.post("/v1/payment_intents/"+rich.str("id")+"/confirm", "payment_method=pm_card_mastercard&expand[]=latest_charge&expand[]=payment_method")
	h.post("/v1/payment_intents/"+rich.str("id")+"/increment_authorization", "amount=6000&metadata[inc]=1")
	h.post("/v1/payment_intents/"+rich.str("id")+"/capture", "amount_to_capture=4000&expand[]=latest_charge.refunds")
	apm := h.post("/v1/payment_intents", "amount=2000&currency=eur")
	h.post("/v1/payment_intents/"+apm.str("id")+"/confirm", "payment_method=pm_card_visa")
	h.post("/v1/payment_intents/"+apm.str("id")+"/confirm", "payment_method=pm_card_visa&return_url=https://example.com/r")
	h.post("/v1/payment_intents", "amount=2000&currency=usd&automatic_payment_methods[enabled]=true&automatic_payment_methods[allow_redirects]=never&payment_method=pm_card_visa&confirm=true")
	h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_threeDSecure2Required&confirm=true")
	h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_authenticationRequired&confirm=true&return_url=https://example.com/return")
	h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_authenticationRequired&confirm=true&off_session=true")
	// Declines (402) on create and on confirm; the failed charge.
	dec := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_chargeDeclined&confirm=true")
	decPI := dec.str("error.payment_intent.id")
	h.get("/v1/payment_intents/"+decPI, "expand[]=latest_charge")
	h.get("/v1/charges/"+dec.str("error.charge"), "expand[]=refunds&expand[]=payment_intent")
	h.post("/v1/payment_intents/"+decPI+"/confirm", "payment_method=pm_card_chargeDeclinedInsufficientFunds")
	h.post("/v1/payment_intents/"+decPI+"/confirm", "payment_method=pm_card_visa")
	// SEPA: processing, finish_processing, charges.
	sepa := h.intentIn(StatusProcessing)
	h.get("/v1/charges/"+sepa.str("latest_charge"), "")
	h.post("/v1/test_helpers/payment_intents/"+sepa.str("id")+"/finish_processing", "expand[]=latest_charge")
	h.post("/v1/test_helpers/payment_intents/"+sepa.str("id")+"/finish_processing", "")
	h.get("/v1/charges/"+sepa.str("latest_charge"), "expand[]=payment_intent")
	// Refunds and charges after a cancel from requires_capture.
	rc := h.intentIn(StatusRequiresCapture)
	h.post("/v1/payment_intents/"+rc.str("id")+"/cancel", "cancellation_reason=duplicate")
	chID := rc.str("latest_charge")
	h.get("/v1/charges/"+chID, "")
	h.get("/v1/charges/"+chID, "expand[]=refunds&expand[]=payment_intent&expand[]=balance_transaction")
	h.get("/v1/charges/"+chID+"/refunds", "")
	refunds := h.get("/v1/refunds", "payment_intent="+rc.str("id"))
	reID := refunds.str("data.0.id")
	h.get("/v1/refunds/"+reID, "")
	h.get("/v1/refunds/"+reID, "expand[]=charge&expand[]=payment_intent&expand[]=payment_method")
	h.get("/v1/refunds", "charge="+chID+"&limit=1&expand[]=data.charge")
	h.get("/v1/refunds", "")
	// Lists.
	h.get("/v1/payment_intents", "")
	page := h.get("/v1/payment_intents", "limit=3&expand[]=data.latest_charge")
	h.get("/v1/payment_intents", "limit=2&starting_after="+page.str("data.2.id"))
	h.get("/v1/payment_intents", "limit=2&ending_before="+page.str("data.2.id"))
	h.get("/v1/payment_intents", "created[gte]=0&limit=100")
	// Checkout.
	cs := h.post("/v1/checkout/sessions", "mode=payment&success_url=https://example.com/s&cancel_url=https://example.com/c"+
		"&line_items[0][price_data][currency]=usd&line_items[0][price_data][product_data][name]=T-shirt&line_items[0][price_data][unit_amount]=2000&line_items[0][quantity]=2"+
		"&metadata[cart]=1&client_reference_id=ref1&customer_email=a@example.com&payment_intent_data[metadata][x]=y")
	expectStatus(t, cs, 200)
	h.get("/v1/checkout/sessions/"+cs.str("id"), "expand[]=payment_intent") // open, no intent yet (lazy creation)
	cs = h.post("/v1/test_helpers/checkout/sessions/"+cs.str("id")+"/confirm", "")
	csID, csPI := cs.str("id"), cs.str("payment_intent")
	h.get("/v1/checkout/sessions/"+csID, "expand[]=line_items&expand[]=payment_intent")
	h.post("/v1/payment_intents/"+csPI+"/cancel", "")
	h.post("/v1/checkout/sessions/"+csID+"/expire", "expand[]=payment_intent")
	h.post("/v1/checkout/sessions/"+csID+"/expire", "")
	h.get("/v1/payment_intents/"+csPI, "")
	cs2 := h.post("/v1/checkout/sessions", "mode=payment&success_url=https://example.com/s&line_items[0][price_data][currency]=usd"+
		"&line_items[0][price_data][product_data][name]=X&line_items[0][price_data][unit_amount]=1500&line_items[0][quantity]=1&payment_intent_data[capture_method]=manual")
	cs2 = h.post("/v1/test_helpers/checkout/sessions/"+cs2.str("id")+"/confirm", "")
	h.post("/v1/payment_intents/"+cs2.str("payment_intent")+"/confirm", "payment_method=pm_card_visa")
	h.get("/v1/checkout/sessions/"+cs2.str("id"), "")
	h.post("/v1/payment_intents/"+cs2.str("payment_intent")+"/cancel", "expand[]=latest_charge.refunds")
	// Errors of every kind.
	h.get("/v1/payment_intents/pi_missing", "")
	h.post("/v1/payment_intents/pi_missing/cancel", "")
	h.get("/v1/charges/ch_missing", "")
	h.get("/v1/charges/ch_missing/refunds", "")
	h.get("/v1/refunds/re_missing", "")
	h.get("/v1/checkout/sessions/cs_test_missing", "")
	h.post("/v1/checkout/sessions/cs_test_missing/expire", "")
	h.get("/v1/payment_intents", "", withKey(""))
	h.get("/v1/payment_intents", "", withKey("sk_live_abcdefghijkl1234"))
	h.get("/v1/nope", "")
	h.do(http.MethodDelete, "/v1/payment_intents", "")
	h.post("/v1/payment_intents", "")
	h.post("/v1/payment_intents", "amount=2000")
	h.post("/v1/payment_intents", "amount=abc&currency=usd")
	h.post("/v1/payment_intents", "amount=10&currency=usd")
	h.post("/v1/payment_intents", "amount=100000000&currency=usd")
	h.post("/v1/payment_intents", "amount=2000&currency=zzz")
	h.post("/v1/payment_intents", "amount=2000&currency=usd&foo=bar")
	h.post("/v1/payment_intents", "amount=2000&currency=usd&capture_method=bogus")
	h.post("/v1/payment_intents", cardPI+"&payment_method=pm_does_not_exist")
	h.post("/v1/payment_intents", cardPI+"&customer=cus_123")
	h.post("/v1/payment_intents", cardPI+"&expand[]=bogus")
	h.post("/v1/payment_intents", cardPI+"&metadata=notahash")
	h.post("/v1/payment_intents", cardPI+"&a[b=1")
	h.post("/v1/payment_intents", cardPI+"&description=%FF")
	h.post("/v1/payment_intents", cardPI, withHeader("Content-Type", "application/json"))
	h.post("/v1/payment_intents", cardPI, withHeader("Stripe-Version", "not a version"))
	h.post("/v1/payment_intents/"+ids[StatusRequiresPaymentMethod]+"/cancel", "cancellation_reason=bogus")
	h.post("/v1/payment_intents/"+ids[StatusRequiresPaymentMethod]+"/cancel", "cancellation_reason=automatic")
	h.post("/v1/payment_intents/"+ids[StatusRequiresPaymentMethod]+"/cancel", "expand[]=latest_charge.nope")
	h.get("/v1/payment_intents", "limit=0")
	h.get("/v1/payment_intents", "starting_after=pi_missing")
	h.post("/v1/payment_intents", cardPI, withIdem("k1"))
	h.post("/v1/payment_intents", cardPI, withIdem("k1"))
	h.post("/v1/payment_intents", cardPI+"&description=other", withIdem("k1"))
	h.post("/v1/payment_intents/"+ids[StatusSucceeded]+"/cancel", "", withIdem("k1"))
	h.post("/v1/checkout/sessions", "mode=setup")
	h.post("/v1/checkout/sessions", "mode=payment")
	h.post("/v1/checkout/sessions", "mode=payment&line_items[0][price]=price_123&line_items[0][quantity]=1")
	// Events and webhook endpoints (the endpoints come last and are deleted, so no delivery starts).
	evs := h.get("/v1/events", "")
	h.get("/v1/events", "limit=3&type=payment_intent.*")
	h.get("/v1/events", "types[]=payment_intent.canceled&types[]=payment_intent.succeeded&created[gte]=0&delivery_success=true")
	h.get("/v1/events", "limit=2&starting_after="+evs.str("data.1.id"))
	h.get("/v1/events", "limit=2&ending_before="+evs.str("data.5.id"))
	h.get("/v1/events/"+evs.str("data.0.id"), "")
	h.get("/v1/events/evt_missing", "")
	h.get("/v1/events", "type=payment_intent.created&types[]=payment_intent.canceled")
	h.get("/v1/events", "object_id=pi_1")
	h.get("/v1/events", "limit=101")
	h.get("/v1/events", "starting_after=evt_missing")
	var weIDs []string
	for i := 0; i <= MaxWebhookEndpoints; i++ { // the 17th is refused
		we := h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/hook&enabled_events[]=*&description=d&metadata[k]=v&api_version=2025-03-31.basil")
		weIDs = append(weIDs, we.str("id"))
	}
	h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/hook")
	h.post("/v1/webhook_endpoints", "enabled_events[]=*")
	h.post("/v1/webhook_endpoints", "url=not%20a%20url&enabled_events[]=*")
	h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/hook&enabled_events[]=Not%20An%20Event")
	h.get("/v1/webhook_endpoints", "limit=2")
	h.get("/v1/webhook_endpoints/"+weIDs[0], "")
	h.get("/v1/webhook_endpoints/we_missing", "")
	for _, id := range weIDs {
		if id != "" {
			h.do(http.MethodDelete, "/v1/webhook_endpoints/"+id, "")
		}
	}
	h.do(http.MethodDelete, "/v1/webhook_endpoints/we_missing", "")
	h.get("/v1/webhook_endpoints", "")
	// Body over the limit (413).
	small := newHarness(t, Options{MaxBodyBytes: 64})
	r := small.post("/v1/payment_intents", cardPI+"&description="+strings.Repeat("x", 100))
	h.mu.Lock()
	h.log = append(h.log, small.log...)
	h.mu.Unlock()
	_ = r
	// A panic inside a handler (500 api_error).
	boom := newHarness(t, Options{Now: func() time.Time { panic("clock exploded") }})
	boom.post("/v1/payment_intents", cardPI)
	h.mu.Lock()
	h.log = append(h.log, boom.log...)
	h.mu.Unlock()
}

func TestEveryResponseValidatesAgainstSpec(t *testing.T) {
	pinned := pinnedValidator(t)
	full := fullValidator(t)
	h := newHarness(t, Options{})
	exerciseEverything(t, h)

	statuses := map[int]int{}
	var problems []string
	for _, ex := range h.log {
		statuses[ex.Status]++
		problems = append(problems, validateExchange(t, pinned, full, ex)...)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("validated %d responses; by status: %v", len(h.log), statuses)
	for _, st := range []int{200, 400, 401, 402, 404, 409, 413, 500} {
		if st == 409 {
			continue // produced in TestIdempotencyConcurrent
		}
		if statuses[st] == 0 {
			t.Errorf("no %d response was produced", st)
		}
	}
}

// TestErrorEnvelope checks the shape rules that hold for every error body.
func TestErrorEnvelope(t *testing.T) {
	h := newHarness(t, Options{})
	exerciseEverything(t, h)
	for _, ex := range h.log {
		if ex.Status == 200 {
			continue
		}
		var body map[string]map[string]any
		if err := json.Unmarshal(ex.Raw, &body); err != nil {
			t.Fatalf("%s %s: %v", ex.Method, ex.Path, err)
		}
		e := body["error"]
		if e == nil {
			t.Errorf("%s %s -> %d: no error member", ex.Method, ex.Path, ex.Status)
			continue
		}
		for k, v := range e {
			if v == nil {
				t.Errorf("%s %s -> %d: error.%s is null", ex.Method, ex.Path, ex.Status, k)
			}
		}
		if msg, _ := e["message"].(string); strings.Contains(msg, testKey) {
			t.Errorf("error message echoes the API key: %s", msg)
		}
	}
}

func TestPresenceListsAreInSpec(t *testing.T) {
	full := fullValidator(t)
	comps := full.doc.Components.Schemas
	for kind, fields := range presence {
		s := comps[kind]
		if s == nil || s.Value == nil {
			t.Fatalf("spec has no schema %s", kind)
		}
		for _, f := range fields {
			if _, ok := s.Value.Properties[f]; !ok {
				t.Errorf("%s.%s is in the presence list but not in the spec", kind, f)
			}
		}
	}
}

// TestValidatorsRejectBrokenBodies proves the schema checks above are not
// vacuous: a broken variant of a real response fails both validators.
func TestValidatorsRejectBrokenBodies(t *testing.T) {
	pinned, full := pinnedValidator(t), fullValidator(t)
	h := newHarness(t, Options{})
	id := h.intentIn(StatusRequiresCapture).str("id")
	ok := h.post("/v1/payment_intents/"+id+"/cancel", "")
	bad := h.post("/v1/payment_intents/"+id+"/cancel", "")
	path := "/v1/payment_intents/" + id + "/cancel"
	mutate := func(raw []byte, fn func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		fn(m)
		return marshal(m)
	}
	cases := map[string]struct {
		status int
		body   []byte
	}{
		"amount null":        {200, mutate(ok.Raw, func(m map[string]any) { m["amount"] = nil })},
		"status cancelled":   {200, mutate(ok.Raw, func(m map[string]any) { m["status"] = "cancelled" })},
		"latest_charge stub": {200, mutate(ok.Raw, func(m map[string]any) { m["latest_charge"] = map[string]any{"id": "ch_1", "object": "charge"} })},
		"error code null":    {400, mutate(bad.Raw, func(m map[string]any) { m["error"].(map[string]any)["code"] = nil })},
		"error type auth":    {400, mutate(bad.Raw, func(m map[string]any) { m["error"].(map[string]any)["type"] = "authentication_error" })},
	}
	for name, c := range cases {
		if err := full.validate("POST", path, c.status, ok.Header, c.body); err == nil {
			t.Errorf("%s: full spec accepted it", name)
		}
		if err := pinned.ValidateResponse("POST", path, c.status, ok.Header, c.body); err == nil {
			t.Errorf("%s: pinned spec accepted it", name)
		}
	}
	if err := full.validate("POST", path, 200, ok.Header, ok.Raw); err != nil {
		t.Errorf("the unmodified body fails: %v", err)
	}
}
