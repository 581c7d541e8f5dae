package cancel

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/framework"
	. "github.com/pi-conformance/suite/harness/matchers"
)

// The events column: a successful cancel is recorded as exactly one payment_intent.canceled event (GET /v1/events,
// GET /v1/events/{id}) carrying the intent as the cancel left it and the cancel request's id and Idempotency-Key; a
// refused cancel and an idempotent replay record none. Events may be listed with a delay: the suite polls within
// events_timeout, never sleeps a fixed time.

const canceledEvent = "payment_intent.canceled"

// eventsSince is the start of the created window of a spec's event search: the local time before its first
// request, less the clock skew the suite tolerates between its clock and the target's.
func eventsSince() time.Time { return time.Now().Add(-cfg.ClockSkew.Duration) }

// awaitEvents polls GET /v1/events (type typ, created window from since) until it lists at least one event about
// objectID, within events_timeout, and returns them. A list that is not a 200 list fails the spec: the events API
// is this column's.
func awaitEvents(ctx context.Context, s *framework.Session, typ, objectID string, since time.Time) []map[string]any {
	GinkgoHelper()
	var last *framework.Resp
	var evs []map[string]any
	// The poll returns a count, never the events: a failure message must not print bodies (client secrets).
	Eventually(ctx, func(g Gomega) int {
		var ok bool
		evs, last, ok = s.EventsOf(ctx, typ, objectID, since)
		if !ok { // an answer, not a delay: no point waiting for another
			StopTrying("GET /v1/events must answer a 200 list").Now()
		}
		return len(evs)
	}).WithTimeout(within(ctx, cfg.EventsTimeout.Duration)).WithPolling(eventsPolling()).Should(BeNumerically(">", 0),
		"GET /v1/events?type=%s lists no event about %s within events_timeout (%s)%s", typ, objectID, cfg.EventsTimeout.Duration, exchangeOf(last))
	return evs
}

// within bounds a wait by the spec's own deadline (less a tenth of what is left, for the failure to be reported), so
// a long window ends in the clause's failure rather than a spec timeout.
func within(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		return max(min(d, left-left/10), 0)
	}
	return d
}

// eventsPolling spaces the polls: about ten per window, between 100 ms and 1 s (a rate-limited account pays for each).
func eventsPolling() time.Duration {
	return min(max(cfg.EventsTimeout.Duration/10, 100*time.Millisecond), time.Second)
}

func exchangeOf(r *framework.Resp) string {
	if r == nil {
		return ""
	}
	return ExchangeBlock(r.Exchange)
}

func eventIDs(evs []map[string]any) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		id, _ := ev["id"].(string)
		out = append(out, id)
	}
	return out
}

// expectSameAs asserts that the event's value at path equals the stored intent's at field.
func expectSameAs(ev *framework.Resp, path string, stored *framework.Resp, field string) {
	GinkgoHelper()
	Expect(JSONEqual(ev.Get(path), stored.Get(field))).To(BeTrue(),
		"the event's %s = %s, but the intent the cancel left has %s = %s%s", path, Show(ev.Get(path)), field, Show(stored.Get(field)), ExchangeBlock(ev.Exchange))
}

// expectCancelEvent holds a retrieved payment_intent.canceled event to the clause: it describes the intent as the
// cancel left it (stored: a GET after the cancel) and names the cancel request and its Idempotency-Key.
func expectCancelEvent(ev, cancel, stored *framework.Resp, key string) {
	GinkgoHelper()
	Expect(ev).To(HaveStatus(200))
	Expect(ev).To(HaveJSON("object", "event"))
	Expect(ev).To(HaveJSON("type", canceledEvent))
	Expect(ev).To(HaveJSON("livemode", false))
	Expect(ev).To(HaveJSON("data.object.object", "payment_intent"))
	Expect(ev).To(HaveJSON("data.object.id", stored.ID()))
	Expect(ev).To(HaveJSON("data.object.status", "canceled"), "data.object is the intent as the cancel left it")
	for _, field := range []string{"canceled_at", "cancellation_reason", "amount", "currency", "amount_capturable"} {
		expectSameAs(ev, "data.object."+field, stored, field)
	}
	if rid := cancel.Header.Get("Request-Id"); rid != "" {
		Expect(ev).To(HaveJSON("request.id", rid), "request.id is the cancel's Request-Id")
	} else {
		AddReportEntry("event request.id", "the cancel answer has no Request-Id (the schema column judges it): request.id not compared")
	}
	if ev.Get("request.idempotency_key") == nil {
		// A target that records no key at all may ignore keys: the idempotency column judges that.
		framework.Blocked("", "see the cancel's Idempotency-Key in its event", "the event's request.idempotency_key is null although the cancel sent "+key, ev)
	}
	Expect(ev).To(HaveJSON("request.idempotency_key", key), "request.idempotency_key is the key the cancel was sent with")
	// data.object against the PaymentIntent schema, when the event is rendered in the pinned version; events keep the
	// version of their creation (the account's or the endpoint's), whatever the request asked for.
	if v := ev.Str("api_version"); v != f.Schema.Version {
		AddReportEntry("event api_version", fmt.Sprintf("%s is rendered in %s, not the pinned %q: data.object not validated against the pinned PaymentIntent schema", Show(ev.ID()), Show(v), f.Schema.Version))
		return
	}
	if issues := f.Schema.ValidateValue("payment_intent", ev.Get("data.object")); len(issues) > 0 {
		var b strings.Builder
		for _, is := range issues {
			b.WriteString("\n  " + is.String())
		}
		Fail("the event's data.object does not conform to the pinned PaymentIntent schema:" + b.String() + ExchangeBlock(ev.Exchange))
	}
}

// expectReleaseEvents: whether releasing an authorization also records charge.* or refund.* events is UNCONFIRMED
// (contract §4): none is accepted; those about the intent must name its charge and agree with its amount.
func expectReleaseEvents(ctx context.Context, s *framework.Session, stored *framework.Resp, since time.Time) {
	GinkgoHelper()
	charge := stored.Str("latest_charge")
	amount := stored.Get("amount")
	for _, typ := range []string{"charge.*", "refund.*"} {
		evs, r, ok := s.EventsWhere(ctx, typ, since, func(ev map[string]any) bool {
			pi, _ := Lookup(ev, "data.object.payment_intent")
			return pi == stored.ID()
		})
		if !ok {
			AddReportEntry("release events", fmt.Sprintf("GET /v1/events?type=%s answered HTTP %d, not a list: not judged", typ, r.Status))
			continue
		}
		for _, ev := range evs {
			AddReportEntry("release event", Show(ev["type"])+" "+Show(ev["id"]))
			names := "data.object.id"
			if strings.HasPrefix(fmt.Sprint(ev["type"]), "refund.") {
				names = "data.object.charge"
			}
			got, _ := Lookup(ev, names)
			Expect(got).To(Equal(charge), "%v %v is about the intent but its %s is not the intent's charge %s", ev["type"], ev["id"], names, charge)
			a, _ := Lookup(ev, "data.object.amount")
			Expect(JSONEqual(a, amount)).To(BeTrue(), "%v %v: data.object.amount %s, the intent's amount %s", ev["type"], ev["id"], Show(a), Show(amount))
		}
	}
}

// storedCancelProblem says why the intent a GET shows after the cancel is not as the cancel column requires ("" when
// it is): then the event is not compared with it (one defect, one verdict).
func storedCancelProblem(stored *framework.Resp, in drivers.Intent, from, to time.Time) string {
	at, ok := stored.Int("canceled_at")
	amount, _ := stored.Int("amount")
	switch {
	case stored.Str("status") != "canceled":
		return "a GET after the cancel shows status " + Show(stored.Get("status"))
	case !ok || at < from.Add(-cfg.ClockSkew.Duration).Unix() || at > to.Add(cfg.ClockSkew.Duration).Unix():
		return "its canceled_at " + Show(stored.Get("canceled_at")) + " is not the time of the cancel"
	case stored.Str("cancellation_reason") != "requested_by_customer":
		return "its cancellation_reason is " + Show(stored.Get("cancellation_reason")) + ", not the reason sent"
	case amount != in.Amount:
		return "its amount changed"
	}
	return ""
}

var _ = Describe("The payment_intent.canceled event", func() {
	var s *framework.Session
	BeforeEach(func() {
		s = f.NewSession()
		f.Require(config.CapEvents)
	})

	DescribeTable("of a successful cancel",
		func(ctx SpecContext, status string) {
			since := eventsSince()
			in := drivers.Reach(ctx, s, status, nil)
			key := f.Client.NewIdempotencyKey()
			cancel := s.MustCancelIntent(ctx, in.ID, status, client.Params{"cancellation_reason": {"requested_by_customer"}}, framework.WithIdempotencyKey(key))
			to := time.Now()
			stored := s.MustRetrieveIntent(ctx, in.ID)
			if why := storedCancelProblem(stored, in, since.Add(cfg.ClockSkew.Duration), to); why != "" {
				framework.Blocked(status, "read the canceled intent", why+" (the cancel and reason columns judge it)", stored)
			}

			evs := awaitEvents(ctx, s, canceledEvent, in.ID, since)
			Expect(eventIDs(evs)).To(HaveLen(1), "one cancel is one payment_intent.canceled event; listed: %v", eventIDs(evs))
			id, _ := evs[0]["id"].(string)
			Expect(id).To(HavePrefix("evt_"))
			listed := s.RetrieveEvent(ctx, id)
			expectCancelEvent(listed, cancel, stored, key)
			if status == "requires_capture" {
				expectReleaseEvents(ctx, s, stored, since)
			}
		},
		EntryDescription("from %s is listed once by GET /v1/events (type and created window) and retrievable by id: object event, livemode false, data.object the intent as the cancel left it, request.id the cancel's Request-Id and request.idempotency_key its key"),
		statusEntries("events.from", cancelable, "cancel", "events"),
	)
})

// The negative cases share one wait. An Ordered container runs them on one process: its BeforeAll performs every
// refused cancel and the replay, then one successful cancel (the sentinel), and watches the events list once: until
// the sentinel's event is listed (the target has recorded the events of requests sent before it, as far as this run
// can tell), then for as long again (at least quietMin), within events_timeout. Each spec then judges its own case.
// Against the reference the whole wait is about quietMin, once per run, on one process.

const quietMin = 250 * time.Millisecond

// firstOfOrdered gives the first spec of the negative container five specs' timeout (its BeforeAll sets up four
// cases and the sentinel), keeping At's labels.
func firstOfOrdered(at []any) []any {
	out := []any{}
	for _, d := range at {
		if _, isTimeout := d.(SpecTimeout); !isTimeout {
			out = append(out, d)
		}
	}
	return append(out, SpecTimeout(5*cfg.SpecTimeout.Duration))
}

// negCase is one refused (or replayed) cancel and what the window listed about its intent.
type negCase struct {
	status   string
	step     string // the set-up step, for a blocked case
	blocked  string // why the case could not be set up (another column judges it)
	disabled string // the capability the profile turns off
	resp     *framework.Resp
	intent   string
	refused  string // the Request-Id of the refused or replayed request
	allowed  int    // canceled events the intent may have (1 when it was canceled before)
	seen     map[string]map[string]any
}

var _ = Describe("No payment_intent.canceled event", Ordered, Long, func() {
	var (
		cases    = map[string]*negCase{}
		sentinel string // why the window could not be closed ("" when the sentinel's event was listed)
		off      bool   // the profile turns events off: every spec reports itself disabled (a Skip here would not)
	)

	BeforeAll(func(ctx SpecContext) {
		if off = !f.Config.Capability(config.CapEvents); off {
			return
		}
		s := f.NewSession()
		since := eventsSince()
		add := func(name string, c *negCase) { c.seen = map[string]map[string]any{}; cases[name] = c }

		// A cancel refused from succeeded and from canceled.
		for _, st := range []string{"succeeded", "canceled"} {
			c := &negCase{status: st, step: "refuse a cancel from " + st}
			add(st, c)
			in, p := drivers.Attempt(ctx, s, st, nil)
			if p != nil {
				c.blocked, c.resp, c.step = p.Why, p.Resp, "reach "+st
				continue
			}
			c.intent = in.ID
			if st == "canceled" {
				c.allowed = 1
			}
			r := s.CancelIntent(ctx, in.ID, nil)
			c.resp, c.refused = r, r.Header.Get("Request-Id")
			if r.Status < 400 {
				c.blocked = fmt.Sprintf("the target accepted the cancel (HTTP %d): the rejection column judges it", r.Status)
			} else if after := s.RetrieveIntent(ctx, in.ID, nil); after.Str("status") != st {
				c.blocked = "the refused cancel changed the intent's status to " + Show(after.Get("status")) + ": the rejection column judges it"
			}
		}
		// A cancel with an invalid reason.
		bogus := &negCase{status: "requires_payment_method", step: "refuse cancellation_reason=bogus"}
		add("bogus-reason", bogus)
		if in, p := drivers.Attempt(ctx, s, "requires_payment_method", nil); p != nil {
			bogus.blocked, bogus.resp, bogus.step = p.Why, p.Resp, "reach requires_payment_method"
		} else {
			r := s.CancelIntent(ctx, in.ID, client.Params{"cancellation_reason": {"bogus"}})
			bogus.intent, bogus.resp, bogus.refused = in.ID, r, r.Header.Get("Request-Id")
			if r.Status < 400 {
				bogus.blocked = fmt.Sprintf("the target accepted cancellation_reason=bogus (HTTP %d): the reason column judges it", r.Status)
			} else if after := s.RetrieveIntent(ctx, in.ID, nil); after.Str("status") != "requires_payment_method" {
				bogus.blocked = "the refused cancel changed the intent's status to " + Show(after.Get("status")) + ": the reason column judges it"
			}
		}
		// An idempotent replay of a cancel.
		replay := &negCase{status: "requires_payment_method", step: "replay a cancel", allowed: 1}
		add("replay", replay)
		if !f.Config.Capability(config.CapIdempotency) {
			replay.disabled = config.CapIdempotency
		} else if in, p := drivers.Attempt(ctx, s, "requires_payment_method", nil); p != nil {
			replay.blocked, replay.resp, replay.step = p.Why, p.Resp, "reach requires_payment_method"
		} else {
			key := framework.WithIdempotencyKey(f.Client.NewIdempotencyKey())
			first := s.CancelIntent(ctx, in.ID, nil, key)
			second := s.CancelIntent(ctx, in.ID, nil, key)
			replay.intent, replay.resp, replay.refused = in.ID, second, second.Header.Get("Request-Id")
			if first.Status != 200 || second.Status != 200 {
				replay.blocked = fmt.Sprintf("the cancel and its replay answered HTTP %d and %d, not 200 twice (the cancel and idempotency columns judge them)", first.Status, second.Status)
			}
			if replay.refused == first.Header.Get("Request-Id") {
				replay.refused = "" // a replay that repeats the first Request-Id: only the count tells them apart
			}
		}

		// The sentinel: a successful cancel after all of them.
		watch := func() {
			for _, c := range cases {
				if c.intent == "" || c.blocked != "" || c.disabled != "" {
					continue
				}
				evs, _, _ := s.EventsOf(ctx, canceledEvent, c.intent, since)
				for _, ev := range evs {
					id, _ := ev["id"].(string)
					c.seen[id] = ev
				}
			}
		}
		in, p := drivers.Attempt(ctx, s, "requires_payment_method", nil)
		if p != nil {
			sentinel = "could not create the sentinel intent: " + p.Why
			return
		}
		start := time.Now()
		if r := s.CancelIntent(ctx, in.ID, nil); r.Status != 200 {
			sentinel = fmt.Sprintf("the sentinel's cancel answered HTTP %d", r.Status)
			return
		}
		deadline := start.Add(cfg.EventsTimeout.Duration)
		// A Gomega of its own: a sentinel that never shows blocks the cases instead of failing the first spec.
		g := NewGomega(func(message string, _ ...int) { sentinel = message })
		g.Eventually(ctx, func() int {
			evs, r, ok := s.EventsOf(ctx, canceledEvent, in.ID, since)
			if !ok {
				StopTrying(fmt.Sprintf("GET /v1/events answered HTTP %d, not a list", r.Status)).Now()
			}
			watch()
			return len(evs)
		}).WithTimeout(within(ctx, cfg.EventsTimeout.Duration)).WithPolling(eventsPolling()).Should(BeNumerically(">", 0),
			"the sentinel cancel's event was not listed within events_timeout (%s): the positive specs of this column judge it", cfg.EventsTimeout.Duration)
		if sentinel != "" {
			return
		}
		quiet := min(max(time.Since(start), quietMin), time.Until(deadline), within(ctx, time.Until(deadline)))
		Consistently(ctx, func() bool { watch(); return true }).WithTimeout(quiet).WithPolling(eventsPolling()).Should(BeTrue())
		AddReportEntry("events window", fmt.Sprintf("sentinel listed after %s; watched %s more", time.Since(start)-quiet, quiet), ReportEntryVisibilityNever)
	}, NodeTimeout(5*cfg.SpecTimeout.Duration)) // the set-up of four cases and the sentinel: five specs' worth

	judge := func(name string) {
		GinkgoHelper()
		if off {
			f.Require(config.CapEvents)
		}
		c := cases[name]
		switch {
		case c == nil:
			Fail("suite bug: no negative case " + name)
		case c.disabled != "":
			framework.Disabled(c.disabled, f.Config.Profile)
		case c.blocked != "":
			framework.Blocked(c.status, c.step, c.blocked, c.resp)
		case sentinel != "":
			framework.Blocked("", "close the events window", sentinel, nil)
		}
		var ids []string
		for id, ev := range c.seen {
			ids = append(ids, id)
			if c.refused != "" {
				got, _ := Lookup(ev, "request.id")
				Expect(got).NotTo(Equal(c.refused), "event %s names the %s request (%s) as its cause%s", id, c.step, c.refused, ExchangeBlock(c.resp.Exchange))
			}
		}
		Expect(len(ids)).To(BeNumerically("<=", c.allowed), "after %s, GET /v1/events lists %d payment_intent.canceled event(s) about %s (%v); at most %d may be%s",
			c.step, len(ids), c.intent, ids, c.allowed, ExchangeBlock(c.resp.Exchange))
	}

	// The first spec of an Ordered container runs its BeforeAll: its timeout covers the set-up of every case.
	It("is listed for a cancel refused from succeeded", firstOfOrdered(At("events.none.from-succeeded", "succeeded", "cancel", "events")), func(_ SpecContext) { judge("succeeded") })
	It("is listed for a cancel refused from canceled (only the first cancel's event)", At("events.none.from-canceled", "canceled", "cancel", "events"), func(_ SpecContext) { judge("canceled") })
	It("is listed for a cancel refused for cancellation_reason=bogus", At("events.none.bogus-reason", "requires_payment_method", "cancel", "events"), func(_ SpecContext) { judge("bogus-reason") })
	It("is listed for an idempotent replay of a cancel (only the first cancel's event)", At("events.none.replay", "requires_payment_method", "cancel", "events"), func(_ SpecContext) { judge("replay") })
})
