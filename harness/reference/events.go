package reference

import (
	"path"
	"regexp"
)

// Events.
//
// Every state change of a PaymentIntent the reference models is recorded as
// a Stripe event (GET /v1/events, GET /v1/events/{id}) and delivered to the
// webhook endpoints that enabled its type (webhooks.go). The types are:
//
//	payment_intent.created                    the intent was created (by the API or by a Checkout Session)
//	payment_intent.requires_action            confirm stopped for authentication
//	payment_intent.processing                 confirm started an asynchronous payment (SEPA debit)
//	payment_intent.amount_capturable_updated  amount_capturable grew (manual-capture confirm, increment_authorization)
//	payment_intent.succeeded                  confirm, capture, or processing finishing
//	payment_intent.canceled                   cancel, or expiry of its Checkout Session
//	payment_intent.payment_failed             a payment attempt failed (a decline: a new, failed latest_charge)
//
// No charge.* or refund.* events: the contract notes record only PaymentIntent
// events (payment_intent.created and payment_intent.canceled, and the
// payment_intent.* family around them), and say explicitly that whether
// Stripe sends charge.refunded when a cancel releases an authorisation is
// UNCONFIRMED (contract §4). An event the reference invented could make a
// suite demand what Stripe does not send, so they are left out.
//
// Events are derived by comparing an intent with the state its last events
// described (eventMark), at the few places where a change ends: after a
// request's action on an intent (onIntent, onSession, the two creates) and
// when processing finishes. Every handler is therefore covered by the same
// rule, a refused request (which changes nothing) emits nothing, and an
// idempotent replay, which never runs the handler, emits nothing either.
//
// data.previous_attributes is not sent: Stripe sends it on *.updated events,
// which the reference does not emit, and computing it would need a second
// rendering of the intent before every change.

// eventRequest is the API request that caused an event; the zero value is an
// automatic change (processing finishing, a session expiring by time).
type eventRequest struct {
	id, idempotencyKey string
}

// cause is the eventRequest of a call.
func (c *call) cause() eventRequest {
	return eventRequest{id: c.reqID, idempotencyKey: c.r.Header.Get("Idempotency-Key")}
}

// event is one stored event. intent is a deep copy of the PaymentIntent as
// the change left it, rendered (as the API renders it) when the event is
// read: cloning costs a few allocations where rendering costs hundreds, and
// the rendering of a stored copy cannot change (the PaymentMethods it embeds
// in last_payment_error are never modified). pending is guarded by Server.mu.
type event struct {
	id      string
	typ     string
	created int64
	intent  PaymentIntent
	request eventRequest
	pending int
}

// eventMark is what the events of an intent have described so far.
type eventMark struct {
	status       string
	capturable   int64
	latestCharge string
}

func markOf(pi *PaymentIntent) eventMark {
	return eventMark{status: pi.Status, capturable: pi.AmountCapturable, latestCharge: pi.LatestCharge}
}

// eventLog holds the events, oldest first, and the marks. Guarded by Server.mu.
type eventLog struct {
	byID  map[string]*event
	order []string
	marks map[string]eventMark
}

func (l *eventLog) reset() {
	l.byID, l.order, l.marks = map[string]*event{}, nil, map[string]eventMark{}
}

// remember records pi's current state as described, without an event.
func (l *eventLog) remember(pi *PaymentIntent) { l.marks[pi.ID] = markOf(pi) }

// intentEvents emits the events for what changed on pi since its last
// events. The caller holds s.mu.
func (s *Server) intentEvents(pi *PaymentIntent, req eventRequest) {
	prev, seen := s.events.marks[pi.ID]
	cur := markOf(pi)
	if seen && prev == cur {
		return
	}
	s.events.marks[pi.ID] = cur
	var types []string
	if !seen {
		types = append(types, "payment_intent.created")
	} else {
		if cur.latestCharge != prev.latestCharge {
			if ch := s.charges[cur.latestCharge]; ch != nil && ch.Status == "failed" {
				types = append(types, "payment_intent.payment_failed")
			}
		}
		if cur.status != prev.status {
			switch cur.status {
			case StatusRequiresAction, StatusProcessing, StatusSucceeded, StatusCanceled:
				types = append(types, "payment_intent."+cur.status)
			}
		}
		if cur.capturable > prev.capturable {
			types = append(types, "payment_intent.amount_capturable_updated")
		}
	}
	if len(types) == 0 {
		return
	}
	for _, t := range types {
		s.emit(t, pi.clone(), req)
	}
}

// emit stores an event and starts its deliveries. The caller holds s.mu.
func (s *Server) emit(typ string, snapshot PaymentIntent, req eventRequest) {
	ev := &event{id: objectID("evt_"), typ: typ, created: s.unix(), intent: snapshot, request: req}
	s.events.byID[ev.id] = ev
	s.events.order = append(s.events.order, ev.id)
	s.deliver(ev)
}

// renderEvent renders an event as GET /v1/events/{id} does. The caller holds s.mu.
func (s *Server) renderEvent(ev *event) map[string]any {
	return map[string]any{
		"id":               ev.id,
		"object":           "event",
		"api_version":      DefaultAPIVersion, // the shapes the reference renders, whatever the request or endpoint asked for
		"created":          ev.created,
		"data":             map[string]any{"object": s.renderIntent(&ev.intent)},
		"livemode":         false,
		"pending_webhooks": ev.pending,
		"request": map[string]any{
			"id":              nullStr(ev.request.id),
			"idempotency_key": nullStr(ev.request.idempotencyKey),
		},
		"type": ev.typ,
	}
}

// eventTypeRE is the shape of an event type ("payment_intent.succeeded",
// "charge.refund.updated"); a filter may use * for any part.
var eventTypeRE = regexp.MustCompile(`^[a-z0-9_*]+(\.[a-z0-9_*]+)*$`)

// maxTypesFilter is Stripe's limit on types[] in GET /v1/events.
const maxTypesFilter = 20

func (s *Server) listEvents(c *call) reply {
	v := c.params
	v.allow("created", "delivery_success", "ending_before", "expand", "limit", "starting_after", "type", "types")
	lp := parseListParams(v)
	typ, hasType := v.strMax("type", 5000)
	if hasType && !v.failed() && !eventTypeRE.MatchString(typ) {
		v.fail(invalidRequest("type", "", "Invalid type: "+clip(typ, 100)+" is not an event type (use a type such as payment_intent.succeeded, or * as a wildcard)."))
	}
	var types map[string]bool
	if v.has("types") {
		if l, ok := v.strList("types", 5000); ok {
			switch {
			case hasType:
				v.fail(invalidRequest("types", "parameters_exclusive", "You may only specify one of these parameters: type, types."))
			case len(l) > maxTypesFilter:
				v.fail(invalidRequest("types", "", "You may pass at most 20 types."))
			}
			types = map[string]bool{}
			for _, t := range l {
				types[t] = true
			}
		}
	}
	delivered, hasDelivered := v.boolean("delivery_success")
	if e := c.paramsError("list:event", lp.expand); e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageReply(c, lp, s.events.order, "event", "/v1/events",
		func(id string) bool {
			ev := s.events.byID[id]
			if hasType {
				if ok, _ := path.Match(typ, ev.typ); !ok {
					return false
				}
			}
			if types != nil && !types[ev.typ] {
				return false
			}
			if hasDelivered && delivered != (ev.pending == 0) {
				return false
			}
			return lp.created.match(ev.created)
		},
		func(id string) map[string]any { return s.renderEvent(s.events.byID[id]) })
}

func (s *Server) retrieveEvent(c *call) reply {
	return s.retrieve(c, "event", func(id string) map[string]any {
		if ev := s.events.byID[id]; ev != nil {
			return s.renderEvent(ev)
		}
		return nil
	})
}

// Events returns the events, newest first, each rendered as
// GET /v1/events/{id} renders it.
func (s *Server) Events() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.events.order))
	for i := len(s.events.order) - 1; i >= 0; i-- {
		out = append(out, s.renderEvent(s.events.byID[s.events.order[i]]))
	}
	return out
}
