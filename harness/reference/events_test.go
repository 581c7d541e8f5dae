package reference

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// typesSince returns the types of the events created after the first n
// (oldest first), and their rendered bodies.
func typesSince(srv *Server, n int) ([]string, []map[string]any) {
	all := srv.Events() // newest first
	var types []string
	var evs []map[string]any
	for i := len(all) - n - 1; i >= 0; i-- {
		types = append(types, all[i]["type"].(string))
		evs = append(evs, all[i])
	}
	return types, evs
}

// dataObject returns a rendered event's data.object as a client decodes it.
func dataObject(t *testing.T, ev map[string]any) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(marshal(ev["data"].(map[string]any)["object"]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// step runs one request and checks the events it caused.
type eventStep struct {
	name string
	do   func(h *harness) resp
	want []string
	// auto: the events are automatic (request.id null); otherwise they name the response's Request-Id.
	auto bool
}

func TestEventsRecordEveryModelledChange(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now, ProcessingDelay: time.Minute})
	var pi string
	create := func(form string) func(h *harness) resp {
		return func(h *harness) resp {
			r := h.post("/v1/payment_intents", form, withIdem("create-"+itoa(int64(len(form)))+"-"+clip(form, 200)))
			pi = r.str("id")
			if pi == "" {
				pi = r.str("error.payment_intent.id")
			}
			return r
		}
	}
	on := func(path, form string) func(h *harness) resp {
		return func(h *harness) resp { return h.post("/v1/payment_intents/"+pi+path, form) }
	}
	var cs string
	steps := []eventStep{
		{"create", create(cardPI), []string{"payment_intent.created"}, false},
		{"idempotent replay of the create", create(cardPI), nil, false},
		{"metadata update", on("", "metadata[a]=b"), nil, false},
		{"cancel", on("/cancel", "cancellation_reason=duplicate"), []string{"payment_intent.canceled"}, false},
		{"refused second cancel", on("/cancel", ""), nil, false},
		{"refused capture", on("/capture", ""), nil, false},
		{"create+confirm, manual capture", create(cardPI + "&payment_method=pm_card_visa&capture_method=manual&confirm=true"),
			[]string{"payment_intent.created", "payment_intent.amount_capturable_updated"}, false},
		{"increment_authorization", on("/increment_authorization", "amount=2500"), []string{"payment_intent.amount_capturable_updated"}, false},
		{"capture", on("/capture", "amount_to_capture=1000"), []string{"payment_intent.succeeded"}, false},
		{"create+confirm, manual capture again", create(cardPI + "&payment_method=pm_card_visa&capture_method=manual&confirm=true&description=2"),
			[]string{"payment_intent.created", "payment_intent.amount_capturable_updated"}, false},
		{"cancel from requires_capture", on("/cancel", ""), []string{"payment_intent.canceled"}, false},
		{"create+confirm, automatic", create(cardPI + "&payment_method=pm_card_visa&confirm=true"),
			[]string{"payment_intent.created", "payment_intent.succeeded"}, false},
		{"create+confirm, 3-D Secure", create(cardPI + "&payment_method=pm_card_authenticationRequired&confirm=true"),
			[]string{"payment_intent.created", "payment_intent.requires_action"}, false},
		{"create+confirm, declined", create(cardPI + "&payment_method=pm_card_chargeDeclined&confirm=true"),
			[]string{"payment_intent.created", "payment_intent.payment_failed"}, false},
		{"confirm, declined again", on("/confirm", "payment_method=pm_card_chargeDeclinedInsufficientFunds"), []string{"payment_intent.payment_failed"}, false},
		{"confirm, succeeds", on("/confirm", "payment_method=pm_card_visa"), []string{"payment_intent.succeeded"}, false},
		{"create+confirm, SEPA", create(sepaPI), []string{"payment_intent.created", "payment_intent.processing"}, false},
		{"finish_processing helper", func(h *harness) resp {
			return h.post("/v1/test_helpers/payment_intents/"+pi+"/finish_processing", "")
		}, []string{"payment_intent.succeeded"}, true},
		{"SEPA again", create(sepaPI + "&description=2"), []string{"payment_intent.created", "payment_intent.processing"}, false},
		{"processing delay elapses, seen by a GET", func(h *harness) resp {
			clock.Advance(2 * time.Minute)
			return h.get("/v1/payment_intents/"+pi, "")
		}, []string{"payment_intent.succeeded"}, true},
		{"Checkout Session create", func(h *harness) resp {
			r := h.post("/v1/checkout/sessions", "mode=payment&success_url=https://example.com/s&line_items[0][price_data][currency]=usd"+
				"&line_items[0][price_data][product_data][name]=X&line_items[0][price_data][unit_amount]=1500&line_items[0][quantity]=1")
			cs = r.str("id")
			return r
		}, nil, false}, // the session's intent is created when the session is confirmed
		{"Checkout Session confirm", func(h *harness) resp {
			r := h.post("/v1/test_helpers/checkout/sessions/"+cs+"/confirm", "")
			pi = r.str("payment_intent")
			return r
		}, []string{"payment_intent.created"}, false},
		{"Checkout Session expire", func(h *harness) resp {
			return h.post("/v1/checkout/sessions/"+cs+"/expire", "", withIdem("expire-1"))
		}, []string{"payment_intent.canceled"}, false},
	}
	for _, st := range steps {
		n := len(h.srv.Events())
		clock.Advance(time.Second)
		r := st.do(h)
		types, evs := typesSince(h.srv, n)
		if !reflect.DeepEqual(types, st.want) {
			t.Errorf("%s: events %v, want %v", st.name, types, st.want)
			continue
		}
		for _, ev := range evs {
			obj := dataObject(t, ev)
			if obj["id"] != pi || obj["object"] != "payment_intent" {
				t.Errorf("%s: %s data.object is %v %v, want payment_intent %s", st.name, ev["type"], obj["object"], obj["id"], pi)
			}
			if ev["created"] != clock.Now().Unix() || ev["livemode"] != false || ev["api_version"] != DefaultAPIVersion ||
				!strings.HasPrefix(ev["id"].(string), "evt_") || ev["object"] != "event" {
				t.Errorf("%s: event envelope %v", st.name, ev)
			}
			req := ev["request"].(map[string]any)
			wantID, wantKey := any(nil), any(nil)
			if !st.auto {
				wantID = r.Header.Get("Request-Id")
				if k := r.Header.Get("Idempotency-Key"); k != "" {
					wantKey = k
				}
			}
			if req["id"] != wantID || req["idempotency_key"] != wantKey {
				t.Errorf("%s: %s request = %v, want id %v idempotency_key %v", st.name, ev["type"], req, wantID, wantKey)
			}
		}
		// The last event shows the object as the API answered it (when the answer is the intent).
		if len(evs) > 0 && r.Status == 200 && r.str("object") == "payment_intent" {
			if got := dataObject(t, evs[len(evs)-1]); !reflect.DeepEqual(got, r.Body) {
				t.Errorf("%s: data.object differs from the response:\n%v\n%v", st.name, got, r.Body)
			}
		}
	}
	// Snapshots are frozen: the created event of the first intent still shows requires_payment_method.
	all := h.srv.Events()
	first := dataObject(t, all[len(all)-1])
	if first["status"] != StatusRequiresPaymentMethod || first["cancellation_reason"] != nil {
		t.Errorf("the first event's snapshot changed: status %v, cancellation_reason %v", first["status"], first["cancellation_reason"])
	}
}

// eventsPage lists events and returns their ids.
func eventsPage(t *testing.T, h *harness, query string) (resp, []string) {
	t.Helper()
	r := h.get("/v1/events", query)
	expectStatus(t, r, 200)
	var ids []string
	for _, d := range r.Body["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	return r, ids
}

func TestListEventsFiltersAndPages(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, Options{Now: clock.Now})
	start := clock.Now().Unix()
	for i := 0; i < 6; i++ { // 6 created events (t0+1..t0+6), 3 canceled (t0+7..t0+9)
		clock.Advance(time.Second)
		h.intentIn(StatusRequiresPaymentMethod)
	}
	var canceled []string
	for _, pi := range h.srv.Intents()[:3] {
		clock.Advance(time.Second)
		h.post("/v1/payment_intents/"+pi.ID+"/cancel", "")
		canceled = append(canceled, pi.ID)
	}
	all := h.srv.Events()
	if len(all) != 9 {
		t.Fatalf("%d events, want 9", len(all))
	}
	id := func(i int) string { return all[i]["id"].(string) } // newest first

	r, ids := eventsPage(t, h, "")
	if len(ids) != 9 || ids[0] != id(0) || ids[8] != id(8) || r.Body["has_more"] != false || r.str("url") != "/v1/events" {
		t.Errorf("default list: %v has_more %v url %v", ids, r.Body["has_more"], r.Body["url"])
	}
	r, ids = eventsPage(t, h, "limit=4")
	if len(ids) != 4 || ids[0] != id(0) || r.Body["has_more"] != true {
		t.Errorf("limit=4: %v has_more %v", ids, r.Body["has_more"])
	}
	r, ids = eventsPage(t, h, "limit=4&starting_after="+id(3))
	if !reflect.DeepEqual(ids, []string{id(4), id(5), id(6), id(7)}) || r.Body["has_more"] != true {
		t.Errorf("starting_after: %v has_more %v", ids, r.Body["has_more"])
	}
	r, ids = eventsPage(t, h, "limit=2&ending_before="+id(3))
	if !reflect.DeepEqual(ids, []string{id(1), id(2)}) || r.Body["has_more"] != true {
		t.Errorf("ending_before: %v has_more %v", ids, r.Body["has_more"])
	}
	if _, ids = eventsPage(t, h, "type=payment_intent.canceled"); len(ids) != 3 || ids[0] != id(0) {
		t.Errorf("type: %v", ids)
	}
	if _, ids = eventsPage(t, h, "type=payment_intent.*&limit=100"); len(ids) != 9 {
		t.Errorf("type wildcard: %v", ids)
	}
	if _, ids = eventsPage(t, h, "type=charge.*"); len(ids) != 0 {
		t.Errorf("type charge.*: %v", ids)
	}
	if _, ids = eventsPage(t, h, "types[]=payment_intent.created&types[]=payment_intent.succeeded"); len(ids) != 6 {
		t.Errorf("types[]: %v", ids)
	}
	for q, want := range map[string]int{
		"created=" + itoa(start+2):                                        1,
		"created[gt]=" + itoa(start+6):                                    3,
		"created[gte]=" + itoa(start+6):                                   4,
		"created[lt]=" + itoa(start+3):                                    2,
		"created[lte]=" + itoa(start+3):                                   3,
		"created[gte]=" + itoa(start+2) + "&created[lt]=" + itoa(start+8): 6,
		"created[gt]=" + itoa(start+9):                                    0,
		"delivery_success=true":                                           9, // no endpoint: nothing pending
		"delivery_success=false":                                          0,
	} {
		if _, ids := eventsPage(t, h, q); len(ids) != want {
			t.Errorf("%s: %d events, want %d", q, len(ids), want)
		}
	}
	for _, canceledID := range canceled {
		found := false
		_, ids := eventsPage(t, h, "type=payment_intent.canceled")
		for _, evID := range ids {
			if dataObject(t, h.srv.Events()[indexOfEvent(h.srv, evID)])["id"] == canceledID {
				found = true
			}
		}
		if !found {
			t.Errorf("no canceled event for %s", canceledID)
		}
	}
	// Retrieve one; refusals.
	got := h.get("/v1/events/"+id(4), "")
	expectStatus(t, got, 200)
	if got.str("id") != id(4) || got.str("type") != "payment_intent.created" {
		t.Errorf("retrieve: %s", got.Raw)
	}
	for q, want := range map[string]struct {
		status      int
		param, code string
	}{
		"/v1/events/evt_missing":                               {404, "id", "resource_missing"},
		"/v1/events?limit=0":                                   {400, "limit", ""},
		"/v1/events?limit=101":                                 {400, "limit", ""},
		"/v1/events?object_id=pi_1":                            {400, "object_id", "parameter_unknown"},
		"/v1/events?type=a&types[]=b":                          {400, "types", "parameters_exclusive"},
		"/v1/events?starting_after=evt_missing":                {400, "starting_after", "resource_missing"},
		"/v1/events?expand[]=data.request":                     {400, "expand", ""},
		"/v1/events?created[gt]=x":                             {400, "created[gt]", "parameter_invalid_integer"},
		"/v1/events/" + id(0) + "?type=payment_intent.created": {400, "type", "parameter_unknown"},
	} {
		path, query, _ := strings.Cut(q, "?")
		r := h.get(path, query)
		if r.Status != want.status || r.str("error.param") != want.param || (want.code != "" && r.str("error.code") != want.code) ||
			r.str("error.type") != "invalid_request_error" {
			t.Errorf("%s: %d %s", q, r.Status, r.Raw)
		}
	}
	// Every response above validates against the pinned document and the full spec.
	pinned, full := pinnedValidator(t), fullValidator(t)
	for _, ex := range h.log {
		for _, p := range validateExchange(t, pinned, full, ex) {
			t.Error(p)
		}
	}
}

func indexOfEvent(srv *Server, id string) int {
	for i, ev := range srv.Events() {
		if ev["id"] == id {
			return i
		}
	}
	return -1
}

func TestWebhookEndpointsAPI(t *testing.T) {
	h := newHarness(t, Options{})
	defer h.srv.Close()
	we := h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/hook&enabled_events[0]=payment_intent.canceled&enabled_events[1]=payment_intent.succeeded"+
		"&description=mine&metadata[team]=a&api_version=2025-03-31.basil")
	expectStatus(t, we, 200)
	id := we.str("id")
	if !strings.HasPrefix(id, "we_") || !strings.HasPrefix(we.str("secret"), "whsec_") || we.str("status") != "enabled" ||
		we.str("url") != "http://127.0.0.1:9/hook" || we.str("api_version") != "2025-03-31.basil" || we.str("description") != "mine" ||
		we.str("metadata.team") != "a" || we.str("enabled_events.1") != "payment_intent.succeeded" {
		t.Errorf("create: %s", we.Raw)
	}
	got := h.get("/v1/webhook_endpoints/"+id, "")
	expectStatus(t, got, 200)
	if _, has := got.Body["secret"]; has {
		t.Error("retrieve shows the secret")
	}
	list := h.get("/v1/webhook_endpoints", "")
	if list.str("data.0.id") != id || list.str("url") != "/v1/webhook_endpoints" {
		t.Errorf("list: %s", list.Raw)
	}
	if _, has := list.get("data.0").(map[string]any)["secret"]; has {
		t.Error("list shows the secret")
	}
	for i := 1; i < MaxWebhookEndpoints; i++ {
		expectStatus(t, h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/h&enabled_events[]=*"), 200)
	}
	over := h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/h&enabled_events[]=*")
	if over.Status != 400 || over.str("error.type") != "invalid_request_error" {
		t.Errorf("17th endpoint: %d %s", over.Status, over.Raw)
	}
	del := h.do("DELETE", "/v1/webhook_endpoints/"+id, "")
	expectStatus(t, del, 200)
	if del.str("id") != id || del.str("object") != "webhook_endpoint" || del.get("deleted") != true || len(del.Body) != 3 {
		t.Errorf("delete: %s", del.Raw)
	}
	if r := h.get("/v1/webhook_endpoints/"+id, ""); r.Status != 404 || r.str("error.code") != "resource_missing" {
		t.Errorf("retrieve after delete: %d %s", r.Status, r.Raw)
	}
	if r := h.do("DELETE", "/v1/webhook_endpoints/"+id, ""); r.Status != 404 {
		t.Errorf("second delete: %d", r.Status)
	}
	expectStatus(t, h.post("/v1/webhook_endpoints", "url=http://127.0.0.1:9/h&enabled_events[]=*"), 200) // room again
	for form, param := range map[string]string{
		"enabled_events[]=*":                                                "url",
		"url=http://127.0.0.1:9/h":                                          "enabled_events",
		"url=nope&enabled_events[]=*":                                       "url",
		"url=http://127.0.0.1:9/h&enabled_events[]=B A":                     "enabled_events[0]",
		"url=http://127.0.0.1:9/h&enabled_events[]=*&api_version=yesterday": "api_version",
		"url=http://127.0.0.1:9/h&enabled_events[]=*&secret=whsec_x":        "secret",
	} {
		if r := h.post("/v1/webhook_endpoints", form); r.Status != 400 || r.str("error.param") != param {
			t.Errorf("%s: %d %s", form, r.Status, r.Raw)
		}
	}
	pinned, full := pinnedValidator(t), fullValidator(t)
	for _, ex := range h.log {
		for _, p := range validateExchange(t, pinned, full, ex) {
			t.Error(p)
		}
	}
}
