package reference

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Webhook endpoints and delivery.
//
// POST/GET/DELETE /v1/webhook_endpoints manage at most MaxWebhookEndpoints
// endpoints. Each event is delivered, asynchronously, to every endpoint whose
// enabled_events hold its type or "*": one goroutine per event and endpoint
// POSTs the event JSON with a Stripe-Signature header, and retries a non-2xx
// answer, a transport error or a timeout after WebhookBackoff, 2×, 4×...
// until WebhookMaxAttempts attempts were made. pending_webhooks counts the
// endpoints that have not yet answered 2xx (it stays above zero for an
// endpoint that never did, as on Stripe). Deliveries go only to the URL
// registered: no proxy from the environment, no redirects followed (a 3xx is
// a failed attempt), no keep-alive connections left behind. Close stops them.

// Webhook delivery defaults (Options.Webhook*). Stripe retries for days; a
// test double retries quickly and gives up after the first try and three
// retries, like a Stripe sandbox.
const (
	DefaultWebhookBackoff     = time.Second
	DefaultWebhookMaxAttempts = 4
	DefaultWebhookTimeout     = 10 * time.Second
	// MaxWebhookEndpoints is Stripe's limit per account.
	MaxWebhookEndpoints = 16
	// maxWebhookBackoff caps one wait between attempts.
	maxWebhookBackoff = time.Hour
)

var webhookEndpointParams = []string{"api_version", "connect", "description", "enabled_events", "expand", "metadata", "url"}

func fillWebhookDefaults(o *Options) {
	if o.WebhookBackoff <= 0 {
		o.WebhookBackoff = DefaultWebhookBackoff
	}
	if o.WebhookMaxAttempts <= 0 {
		o.WebhookMaxAttempts = DefaultWebhookMaxAttempts
	}
	if o.WebhookTimeout <= 0 {
		o.WebhookTimeout = DefaultWebhookTimeout
	}
}

// webhookEndpoint is a registered endpoint. Guarded by Server.mu.
type webhookEndpoint struct {
	id            string
	url           string
	secret        string
	enabled       []string
	apiVersion    string
	description   string
	metadata      map[string]string
	created       int64
	enabledAll    bool
	enabledEvents map[string]bool
}

func (we *webhookEndpoint) wants(typ string) bool { return we.enabledAll || we.enabledEvents[typ] }

// webhooks holds the endpoints (guarded by Server.mu) and the delivery machinery.
type webhooks struct {
	byID   map[string]*webhookEndpoint
	order  []string
	closed bool // guarded by Server.mu; no delivery starts once set

	client *http.Client
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	hook DeliveryHook // guarded by Server.mu; nil: attempts are sent as they are
}

func (h *webhooks) init(o Options) {
	h.reset()
	h.ctx, h.stop = context.WithCancel(context.Background())
	h.client = &http.Client{
		Timeout: o.WebhookTimeout,
		// A fresh transport: no proxy from the environment (the event goes to
		// the URL registered and nowhere else) and no idle connections whose
		// goroutines would outlive Close.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, ResponseHeaderTimeout: o.WebhookTimeout},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func (h *webhooks) reset() { h.byID, h.order = map[string]*webhookEndpoint{}, nil }

// Close stops webhook delivery: attempts in flight are canceled, no retry or
// new delivery starts, and Close returns once every delivery goroutine has
// ended. The API keeps working (events are still recorded, not delivered).
// Call it after the HTTP server in front of the Server has shut down. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.hooks.closed = true
	s.mu.Unlock()
	s.hooks.once.Do(s.hooks.stop)
	s.hooks.wg.Wait()
	return nil
}

// deliver starts the deliveries of ev, one goroutine per endpoint that
// wants it. The caller holds s.mu.
func (s *Server) deliver(ev *event) {
	if s.hooks.closed {
		return
	}
	var targets []*webhookEndpoint
	for _, id := range s.hooks.order {
		if we := s.hooks.byID[id]; we.wants(ev.typ) {
			targets = append(targets, we)
		}
	}
	if len(targets) == 0 {
		return
	}
	ev.pending = len(targets)
	body := marshal(s.renderEvent(ev)) // the same bytes for every attempt, as signed
	for _, we := range targets {
		s.hooks.wg.Add(1)
		go s.deliverTo(ev, we.id, we.url, we.secret, body)
	}
}

// deliverTo runs the attempts of one event to one endpoint.
func (s *Server) deliverTo(ev *event, endpointID, url, secret string, body []byte) {
	defer s.hooks.wg.Done()
	wait := s.opts.WebhookBackoff
	for attempt := 1; ; attempt++ {
		s.mu.Lock()
		gone := s.hooks.byID[endpointID] == nil // deleted (or Reset) since: stop
		s.mu.Unlock()
		if gone || s.hooks.ctx.Err() != nil {
			return
		}
		status, err := s.attempt(ev, attempt, url, secret, body)
		if err == nil && status >= 200 && status < 300 {
			s.mu.Lock()
			ev.pending--
			s.mu.Unlock()
			s.logf("reference: webhook %s %s -> %s: %d (attempt %d)", ev.id, ev.typ, endpointID, status, attempt)
			return
		}
		s.logf("reference: webhook %s %s -> %s: attempt %d failed: status %d, error %v", ev.id, ev.typ, endpointID, attempt, status, err)
		if attempt >= s.opts.WebhookMaxAttempts {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-s.hooks.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxWebhookBackoff)
	}
}

// WebhookAttempt is one delivery attempt as the reference is about to POST
// it: the event, the attempt's number (1 for the first), the headers
// (Content-Type, User-Agent, Stripe-Signature) and the signed body, and the
// endpoint's secret (to sign something else).
type WebhookAttempt struct {
	EventID, EventType string
	Attempt            int
	Header             http.Header
	Body               []byte
	Secret             string
}

// DeliveryHook transforms an attempt before it is sent, for deliberately
// broken or disturbed variants (harness/mutants): it returns the requests to
// POST instead, in order (none: nothing is sent and the attempt counts as
// delivered). The attempt succeeds when any of them is answered 2xx. It runs
// on the delivery's goroutine; ctx ends when the Server is closed, and a hook
// that waits must return then.
type DeliveryHook func(ctx context.Context, a WebhookAttempt) []WebhookAttempt

// SetDeliveryHook installs h for every later attempt (nil removes it).
func (s *Server) SetDeliveryHook(h DeliveryHook) {
	s.mu.Lock()
	s.hooks.hook = h
	s.mu.Unlock()
}

// SignWebhook is the Stripe-Signature header value for body signed with
// secret at unix time t, as the reference signs its deliveries.
func SignWebhook(secret string, t int64, body []byte) string { return signature(secret, t, body) }

// attempt makes one delivery attempt, through the hook when one is set.
func (s *Server) attempt(ev *event, n int, url, secret string, body []byte) (int, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	// The signature's timestamp is the wall clock, not Options.Now: receivers
	// check it against their own clock (300 s tolerance in Stripe's libraries).
	h.Set("Stripe-Signature", signature(secret, time.Now().Unix(), body))
	s.mu.Lock()
	hook := s.hooks.hook
	s.mu.Unlock()
	if hook == nil {
		return s.post(url, h, body)
	}
	sends := hook(s.hooks.ctx, WebhookAttempt{EventID: ev.id, EventType: ev.typ, Attempt: n, Header: h, Body: body, Secret: secret})
	if len(sends) == 0 {
		return http.StatusOK, nil
	}
	var status int
	var err error
	for _, a := range sends {
		st, e := s.post(url, a.Header, a.Body)
		if status < 200 || status > 299 {
			status, err = st, e
		}
	}
	return status, err
}

// post sends one request and returns the answer's status.
func (s *Server) post(url string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(s.hooks.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// signature is Stripe's webhook signature header: t=<unix>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" keyed with the endpoint secret>.
func signature(secret string, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// ---- API ----

func (s *Server) renderWebhookEndpoint(we *webhookEndpoint, withSecret bool) map[string]any {
	m := map[string]any{
		"id":             we.id,
		"object":         "webhook_endpoint",
		"api_version":    nullStr(we.apiVersion),
		"application":    nil,
		"created":        we.created,
		"description":    nullStr(we.description),
		"enabled_events": strList(we.enabled),
		"livemode":       false,
		"metadata":       strMap(we.metadata),
		"status":         "enabled",
		"url":            we.url,
	}
	if withSecret {
		m["secret"] = we.secret
	}
	return m
}

func (s *Server) createWebhookEndpoint(c *call) reply {
	v := c.params
	v.allow(webhookEndpointParams...)
	u, _ := v.urlParam("url")
	if !v.failed() && !v.has("url") {
		v.fail(errMissingParam("url"))
	}
	var enabled []string
	if !v.failed() && !v.has("enabled_events") {
		v.fail(errMissingParam("enabled_events"))
	}
	if l, ok := v.strList("enabled_events", 5000); ok {
		if len(l) == 0 && !v.failed() {
			v.fail(errEmptyParam("enabled_events"))
		}
		for i, t := range l {
			if (t != "*" && !eventTypeRE.MatchString(t)) && !v.failed() {
				v.fail(invalidRequest("enabled_events["+strconv.Itoa(i)+"]", "", "Invalid enabled_events["+strconv.Itoa(i)+"]: "+clip(t, 100)+" is not an event type."))
			}
		}
		enabled = l
	}
	apiVersion, hasVersion := v.strMax("api_version", 5000)
	if hasVersion && !v.failed() && !versionRE.MatchString(apiVersion) {
		v.fail(invalidRequest("api_version", "", "Invalid api_version: "+clip(apiVersion, 64)+"."))
	}
	v.boolean("connect")
	desc, _ := v.strMax("description", 5000)
	mu := v.metadata("metadata")
	expand, e := c.finishParams("webhook_endpoint")
	if e != nil {
		return s.errReply(c, e)
	}
	meta, e := mu.apply(nil, "metadata")
	if e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hooks.order) >= MaxWebhookEndpoints {
		return s.errReply(c, invalidRequest("", "", "You have reached the maximum of "+strconv.Itoa(MaxWebhookEndpoints)+" test webhook endpoints on this account. Delete an endpoint before adding a new one."))
	}
	we := &webhookEndpoint{
		id: "we_" + newID("1", 23), url: u, secret: "whsec_" + newID("", 32), enabled: enabled,
		apiVersion: apiVersion, description: desc, metadata: cloneMeta(meta), created: s.unix(),
		enabledEvents: map[string]bool{},
	}
	for _, t := range enabled {
		we.enabledAll = we.enabledAll || t == "*"
		we.enabledEvents[t] = true
	}
	s.hooks.byID[we.id] = we
	s.hooks.order = append(s.hooks.order, we.id)
	return s.expandedReply(s.renderWebhookEndpoint(we, true), expand)
}

func (s *Server) listWebhookEndpoints(c *call) reply {
	v := c.params
	v.allow("ending_before", "expand", "limit", "starting_after")
	lp := parseListParams(v)
	if e := c.paramsError("list:webhook_endpoint", lp.expand); e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageReply(c, lp, s.hooks.order, "webhook endpoint", "/v1/webhook_endpoints",
		func(string) bool { return true },
		func(id string) map[string]any { return s.renderWebhookEndpoint(s.hooks.byID[id], false) })
}

func errNoSuchWebhookEndpoint(id string) *Error { return errNotFound("webhook endpoint", "id", id) }

func (s *Server) retrieveWebhookEndpoint(c *call) reply {
	c.params.allow("expand")
	expand, e := c.finishParams("webhook_endpoint")
	if e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	we := s.hooks.byID[c.arg(0)]
	if we == nil {
		return s.errReply(c, errNoSuchWebhookEndpoint(c.arg(0)))
	}
	return s.expandedReply(s.renderWebhookEndpoint(we, false), expand)
}

func (s *Server) deleteWebhookEndpoint(c *call) reply {
	c.params.allow()
	if c.perr != nil {
		return s.errReply(c, c.perr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.arg(0)
	if s.hooks.byID[id] == nil {
		return s.errReply(c, errNoSuchWebhookEndpoint(id))
	}
	delete(s.hooks.byID, id)
	for i, x := range s.hooks.order {
		if x == id {
			s.hooks.order = append(s.hooks.order[:i:i], s.hooks.order[i+1:]...)
			break
		}
	}
	return reply{body: map[string]any{"id": id, "object": "webhook_endpoint", "deleted": true}}
}
