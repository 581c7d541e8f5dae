package mutants

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// Mutants of the events and webhooks columns. Defects of the events API are middleware on GET /v1/events and
// GET /v1/events/{id} (edits, omissions, and events the target made up, injected by fakeEvents); defects and
// disturbances of delivery go through the reference's delivery hook (reference.Server.SetDeliveryHook), so the
// events API stays as it is and each column is judged alone.

// eventDefects returns the defects of the events and webhooks columns.
//
// It is long because it is a table: one small entry per defect.
func eventDefects() []Mutant {
	return []Mutant{
		{
			// The release of an authorization is recorded as a refund of the wrong amount.
			Name: "release-event-wrong-amount", Kind: Defect, Checks: []string{"events"},
			Description: "a cancel from requires_capture records a charge.refunded event whose charge shows an amount other than the intent's",
			New: PerRun(func(*reference.Server) []Step {
				return releaseEvents(func(ch map[string]any) { ch["amount"] = json.Number("1") })
			}),
		},
		{
			Name: "event-none", Kind: Defect, Checks: []string{"events"},
			Description: "GET /v1/events never lists a payment_intent.canceled event (a cancel is not recorded in the events list)",
			New: Steps(onEventsList(func(_ *Call, list map[string]any) {
				items, _ := list["data"].([]any)
				kept := []any{}
				for _, it := range items {
					if ev, _ := it.(map[string]any); ev["type"] != "payment_intent.canceled" {
						kept = append(kept, it)
					}
				}
				list["data"] = kept
			})),
		},
		{
			Name: "event-on-refused-cancel", Kind: Defect, Checks: []string{"events"},
			Description: "a refused cancel records a payment_intent.canceled event (of the intent as it is) all the same",
			New: PerRun(func(*reference.Server) []Step {
				fakes := newFakeEvents()
				return []Step{fakes.Step(), On("cancel", func(c *Call, next func() *Result) *Result {
					res := next()
					if c.Found && res.Status >= 400 && res.Status < 500 {
						if cur := c.Internal(http.MethodGet, "/v1/payment_intents/"+c.ID, nil); cur.Status == http.StatusOK {
							obj, _ := cur.JSON()
							fakes.add(c, obj, res)
						}
					}
					return res
				})}
			}),
		},
		{
			Name: "event-twice", Kind: Defect, Checks: []string{"events"},
			Description: "a cancel records two payment_intent.canceled events",
			New: PerRun(func(*reference.Server) []Step {
				fakes := newFakeEvents()
				return []Step{fakes.Step(), AfterCancel(func(c *Call, res *Result) {
					if res.Header.Get("Idempotent-Replayed") == "" {
						obj, _ := res.JSON()
						fakes.add(c, obj, res)
					}
				})}
			}),
		},
		{
			Name: "event-on-replay", Kind: Defect, Checks: []string{"events"},
			Description: "an idempotent replay of a cancel records a second payment_intent.canceled event",
			New: PerRun(func(*reference.Server) []Step {
				fakes := newFakeEvents()
				return []Step{fakes.Step(), AfterCancel(func(c *Call, res *Result) {
					if res.Header.Get("Idempotent-Replayed") == "true" {
						obj, _ := res.JSON()
						fakes.add(c, obj, res)
					}
				})}
			}),
		},
		{
			Name: "event-stale-object", Kind: Defect, Checks: []string{"events"},
			Description: "the payment_intent.canceled event carries the intent as it was before the cancel (status requires_payment_method, no canceled_at)",
			New: Steps(onEvents(func(_ *Call, ev map[string]any) {
				if pi := eventObject(ev); ev["type"] == "payment_intent.canceled" && pi != nil {
					pi["status"], pi["canceled_at"], pi["cancellation_reason"] = "requires_payment_method", nil, nil
				}
			})),
		},
		{
			Name: "event-type-misspelled", Kind: Defect, Checks: []string{"events"},
			Description: "the event of a cancel is typed payment_intent.cancelled (British spelling)",
			New: Steps(onEvents(func(_ *Call, ev map[string]any) {
				if ev["type"] == "payment_intent.canceled" {
					ev["type"] = "payment_intent.cancelled"
				}
			})),
		},
		{
			Name: "event-request-id", Kind: Defect, Checks: []string{"events"},
			Description: "the event's request.id is not the cancel's Request-Id (another request's id)",
			New: Steps(onEvents(func(_ *Call, ev map[string]any) {
				if rq, _ := ev["request"].(map[string]any); rq != nil && rq["id"] != nil {
					rq["id"] = "req_" + randomAlnum(14)
				}
			})),
		},
		{
			Name: "event-idempotency-key", Kind: Defect, Checks: []string{"events"},
			Description: "the event's request.idempotency_key is not the key the cancel was sent with",
			New: Steps(onEvents(func(_ *Call, ev map[string]any) {
				if rq, _ := ev["request"].(map[string]any); rq != nil && rq["idempotency_key"] != nil {
					rq["idempotency_key"] = "key-" + randomAlnum(16)
				}
			})),
		},
		{
			Name: "webhook-bad-signature", Kind: Defect, Checks: []string{"webhooks"},
			Description: "deliveries are signed with another secret",
			New: deliveryHook(func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				a.Header = a.Header.Clone()
				a.Header.Set("Stripe-Signature", reference.SignWebhook(a.Secret+"x", time.Now().Unix(), a.Body))
				return []reference.WebhookAttempt{a}
			}),
		},
		{
			Name: "webhook-no-signature", Kind: Defect, Checks: []string{"webhooks"},
			Description: "deliveries carry no Stripe-Signature header",
			New: deliveryHook(func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				a.Header = a.Header.Clone()
				a.Header.Del("Stripe-Signature")
				return []reference.WebhookAttempt{a}
			}),
		},
		{
			Name: "webhook-expired-signature", Kind: Defect, Checks: []string{"webhooks"},
			Description: "deliveries are signed with a timestamp ten minutes old (beyond the 300 s tolerance)",
			New: deliveryHook(func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				a.Header = a.Header.Clone()
				a.Header.Set("Stripe-Signature", reference.SignWebhook(a.Secret, time.Now().Add(-10*time.Minute).Unix(), a.Body))
				return []reference.WebhookAttempt{a}
			}),
		},
		{
			Name: "webhook-body-changed", Kind: Defect, Checks: []string{"webhooks"},
			Description: "the delivered body is changed after it was signed (a metadata member added to data.object)",
			New: deliveryHook(func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				a.Body = editEventBody(a.Body, func(ev map[string]any) {
					if pi := eventObject(ev); pi != nil {
						md, _ := pi["metadata"].(map[string]any)
						if md == nil {
							md = map[string]any{}
						}
						md["changed"] = "after signing"
						pi["metadata"] = md
					}
				})
				return []reference.WebhookAttempt{a}
			}),
		},
		{
			Name: "webhook-no-retry", Kind: Defect, Checks: []string{"webhooks"},
			Description: "a refused delivery is never retried (one attempt per event and endpoint)",
			Options:     func(o *reference.Options) { o.WebhookMaxAttempts = 1 },
		},
		{
			Name: "webhook-api-version", Kind: Defect, Checks: []string{"webhooks"},
			Description: "deliveries are rendered in api_version 2020-08-27 although the endpoint asked for the pinned version (signed correctly)",
			New: deliveryHook(func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				a.Body = editEventBody(a.Body, func(ev map[string]any) { ev["api_version"] = "2020-08-27" })
				a.Header = a.Header.Clone()
				a.Header.Set("Stripe-Signature", reference.SignWebhook(a.Secret, time.Now().Unix(), a.Body))
				return []reference.WebhookAttempt{a}
			}),
		},
	}
}

// eventDisturbances returns what a faithful target may do with events and deliveries.
// releaseEvents records a charge.refunded event of the charge (as edit leaves it) after every successful cancel
// from requires_capture: Stripe may record such events (UNCONFIRMED which).
func releaseEvents(edit func(ch map[string]any)) []Step {
	fakes := newFakeEvents()
	return []Step{fakes.Step(), On("cancel", func(c *Call, next func() *Result) *Result {
		res := next()
		if res.Status == http.StatusOK && IfStatus(c, rcapture) && c.HasCharge {
			if cur := c.Internal(http.MethodGet, "/v1/charges/"+c.Charge.ID, nil); cur.Status == http.StatusOK {
				obj, _ := cur.JSON()
				if ch, ok := obj.(map[string]any); ok {
					edit(ch)
					fakes.addTyped(c, "charge.refunded", ch, res)
				}
			}
		}
		return res
	})}
}

func eventDisturbances() []Mutant {
	return []Mutant{
		{
			// Whether Stripe records charge or refund events for a released authorization is UNCONFIRMED.
			Name: "release-events", Kind: Benign,
			Description: "a cancel from requires_capture also records a charge.refunded event of the intent's charge",
			New:         PerRun(func(*reference.Server) []Step { return releaseEvents(func(map[string]any) {}) }),
		},
		{
			Name: "webhook-late", Kind: Benign,
			Description: "every delivery leaves 3 s late",
			New: deliveryHook(func(ctx context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				sleepCtx(ctx, 3*time.Second)
				return []reference.WebhookAttempt{a}
			}),
		},
		{
			// Stripe does not guarantee the order of deliveries.
			Name: "webhook-out-of-order", Kind: Benign,
			Description: "each delivery waits a random 0-1.5 s, so deliveries arrive out of order",
			New: deliveryHook(func(ctx context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				sleepCtx(ctx, time.Duration(rand.IntN(1500))*time.Millisecond)
				return []reference.WebhookAttempt{a}
			}),
		},
		{
			// Receivers deduplicate by event id (docs.stripe.com/webhooks).
			Name: "webhook-duplicate", Kind: Benign,
			Description: "every delivery is sent twice (the same event id and body)",
			New: deliveryHook(func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
				return []reference.WebhookAttempt{a, a}
			}),
		},
		{
			// Other activity on the account: its events share the list and the endpoint.
			Name: "unrelated-events", Kind: Benign,
			Description: "every successful cancel is followed by the creation and cancel of another, unrelated intent (its own events listed and delivered)",
			New: Steps(AfterCancel(func(c *Call, res *Result) {
				if res.Header.Get("Idempotent-Replayed") != "" {
					return
				}
				created := c.Internal(http.MethodPost, "/v1/payment_intents", url.Values{"amount": {"500"}, "currency": {"usd"}})
				if obj, ok := created.JSON(); ok {
					if id, _ := obj.(map[string]any)["id"].(string); id != "" {
						c.Internal(http.MethodPost, "/v1/payment_intents/"+id+"/cancel", nil)
					}
				}
			})),
		},
	}
}

// deliveryHook is a mutant constructor that installs hook on the reference's deliveries.
func deliveryHook(hook reference.DeliveryHook) func(ref *reference.Server) http.Handler {
	return func(ref *reference.Server) http.Handler {
		ref.SetDeliveryHook(hook)
		return ref
	}
}

// editEventBody decodes a delivered event, edits it and encodes it again.
func editEventBody(body []byte, edit func(ev map[string]any)) []byte {
	var ev map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if dec.Decode(&ev) != nil {
		return body
	}
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		return body
	}
	return out
}

func isEventsPath(p string) bool { return p == "/v1/events" || strings.HasPrefix(p, "/v1/events/") }

// onEvents edits every event in a 200 answer of the events API (a list's items, or the event retrieved).
func onEvents(edit func(c *Call, ev map[string]any)) Step {
	return func(c *Call, next func() *Result) *Result {
		res := next()
		if c.R.Method != http.MethodGet || !isEventsPath(c.R.URL.Path) || res.Status != http.StatusOK {
			return res
		}
		body, ok := res.JSON()
		m, _ := body.(map[string]any)
		if !ok || m == nil {
			return res
		}
		if m["object"] == "event" {
			edit(c, m)
		}
		if items, ok := m["data"].([]any); ok && m["object"] == "list" {
			for _, it := range items {
				if ev, _ := it.(map[string]any); ev != nil {
					edit(c, ev)
				}
			}
		}
		res.SetJSON(m)
		return res
	}
}

// onEventsList edits every 200 list answer of GET /v1/events.
func onEventsList(edit func(c *Call, list map[string]any)) Step {
	return func(c *Call, next func() *Result) *Result {
		res := next()
		if c.R.Method != http.MethodGet || c.R.URL.Path != "/v1/events" || res.Status != http.StatusOK {
			return res
		}
		if body, ok := res.JSON(); ok {
			if m, _ := body.(map[string]any); m != nil {
				edit(c, m)
				res.SetJSON(m)
			}
		}
		return res
	}
}

func eventObject(ev map[string]any) map[string]any {
	data, _ := ev["data"].(map[string]any)
	obj, _ := data["object"].(map[string]any)
	return obj
}

// fakeEvents holds payment_intent.canceled events a broken target made up: listed first by GET /v1/events when
// the list's type filter takes them (and the list is not a later page), and answered by GET /v1/events/{id}.
type fakeEvents struct {
	mu    sync.Mutex
	byID  map[string]map[string]any
	order []string
}

func newFakeEvents() *fakeEvents { return &fakeEvents{byID: map[string]map[string]any{}} }

// add records a fake payment_intent.canceled event about the intent obj (a decoded body), caused by the request c
// answered with res.
func (fe *fakeEvents) add(c *Call, obj any, res *Result) {
	fe.addTyped(c, "payment_intent.canceled", obj, res)
}

// addTyped records a fake event of type typ about obj.
func (fe *fakeEvents) addTyped(c *Call, typ string, obj any, res *Result) {
	pi, _ := obj.(map[string]any)
	if pi == nil {
		return
	}
	key := any(nil)
	if k := c.R.Header.Get("Idempotency-Key"); k != "" {
		key = k
	}
	id := "evt_" + randomAlnum(24)
	ev := map[string]any{
		"id": id, "object": "event", "api_version": reference.DefaultAPIVersion, "created": json.Number(strconv.FormatInt(time.Now().Unix(), 10)),
		"data": map[string]any{"object": pi}, "livemode": false, "pending_webhooks": json.Number("0"),
		"request": map[string]any{"id": res.Header.Get("Request-Id"), "idempotency_key": key},
		"type":    typ,
	}
	fe.mu.Lock()
	fe.byID[id] = ev
	fe.order = append(fe.order, id)
	fe.mu.Unlock()
}

// Step serves the fakes.
func (fe *fakeEvents) Step() Step {
	return func(c *Call, next func() *Result) *Result {
		if c.R.Method != http.MethodGet || !isEventsPath(c.R.URL.Path) {
			return next()
		}
		if id, ok := strings.CutPrefix(c.R.URL.Path, "/v1/events/"); ok {
			fe.mu.Lock()
			ev := fe.byID[id]
			fe.mu.Unlock()
			if ev == nil {
				return next()
			}
			res := &Result{Status: http.StatusOK, Header: jsonHeader()}
			res.SetJSON(ev)
			return res
		}
		res := next()
		q := c.R.URL.Query()
		if res.Status != http.StatusOK || q.Get("starting_after") != "" || q.Get("ending_before") != "" {
			return res
		}
		body, ok := res.JSON()
		m, _ := body.(map[string]any)
		items, isList := m["data"].([]any)
		if !ok || !isList {
			return res
		}
		fe.mu.Lock()
		var fakes []any
		for i := len(fe.order) - 1; i >= 0; i-- {
			ev := fe.byID[fe.order[i]]
			if t := q.Get("type"); t != "" {
				if ok, _ := path.Match(t, ev["type"].(string)); !ok {
					continue
				}
			}
			fakes = append(fakes, ev)
		}
		fe.mu.Unlock()
		if len(fakes) == 0 {
			return res
		}
		m["data"] = append(fakes, items...)
		res.SetJSON(m)
		return res
	}
}

// DeliveryHook maps the ids in delivered events as Step maps them in answers, and signs the result: a target with
// other ids has them in its deliveries too.
func (m *IDMapper) DeliveryHook() reference.DeliveryHook {
	return func(_ context.Context, a reference.WebhookAttempt) []reference.WebhookAttempt {
		a.Body = []byte(m.Outbound(string(a.Body)))
		a.Header = a.Header.Clone()
		a.Header.Set("Stripe-Signature", reference.SignWebhook(a.Secret, time.Now().Unix(), a.Body))
		return []reference.WebhookAttempt{a}
	}
}
