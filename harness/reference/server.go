package reference

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultAPIVersion is the API version of the pinned spec. It is sent back
// in the Stripe-Version response header when the request names none.
const DefaultAPIVersion = "2026-08-26.dahlia"

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// FinishProcessingPath is the pattern of the test-helper endpoint that moves
// a processing PaymentIntent to succeeded.
const FinishProcessingPath = "/v1/test_helpers/payment_intents/{intent}/finish_processing"

// Options configure a Server. The zero value is a faithful default.
type Options struct {
	// Now is the clock (created, canceled_at, ProcessingDelay...). Default time.Now.
	Now func() time.Time
	// ProcessingDelay, when > 0, makes a processing PaymentIntent succeed
	// once this much time (by Now) has passed since it entered processing.
	// The transition is applied lazily, the next time the intent is read or
	// changed. 0 means it stays processing until advanced with
	// POST /v1/test_helpers/payment_intents/{intent}/finish_processing or
	// Server.FinishProcessing.
	ProcessingDelay time.Duration
	// AllowCancelProcessing lets a processing PaymentIntent be canceled.
	// By default that is refused with payment_intent_unexpected_state.
	AllowCancelProcessing bool
	// CancelableStatuses overrides the statuses from which cancel succeeds
	// (default DefaultCancelableStatuses; processing is added when
	// AllowCancelProcessing is set). Meant for deliberately broken variants.
	CancelableStatuses []string
	// ResponseDelay is added latency before every response is written. For a
	// POST with an Idempotency-Key the delay happens while the key is still
	// held, so concurrent requests with that key see 409 during it.
	ResponseDelay time.Duration
	// Logf, when set, receives one line per request.
	Logf func(format string, args ...any)
	// MaxBodyBytes limits request bodies (default DefaultMaxBodyBytes).
	// Larger bodies get 413 with a Stripe-shaped error.
	MaxBodyBytes int64
	// EagerCheckoutIntent creates a payment-mode Checkout Session's
	// PaymentIntent together with the session, as Stripe did before API
	// version 2022-08-01. By default the intent is created only when the
	// session is confirmed (payment_intent is null on an open session), as
	// the pinned version does; POST
	// /v1/test_helpers/checkout/sessions/{session}/confirm confirms one.
	EagerCheckoutIntent bool
	// APIVersion is the Stripe-Version sent back when a request has none
	// (default DefaultAPIVersion). Responses always use the shapes of the
	// pinned spec, whatever version is requested.
	APIVersion string
	// Webhook delivery (see webhooks.go). WebhookBackoff is the wait before
	// the first retry, doubled for each later one (default
	// DefaultWebhookBackoff); WebhookMaxAttempts bounds the attempts per
	// event and endpoint, the first included (default
	// DefaultWebhookMaxAttempts); WebhookTimeout bounds one attempt
	// (default DefaultWebhookTimeout).
	WebhookBackoff     time.Duration
	WebhookMaxAttempts int
	WebhookTimeout     time.Duration
}

// Server is the in-memory reference target. It implements http.Handler.
// All state lives in memory behind one mutex, so every request sees and
// produces a consistent state.
type Server struct {
	opts       Options
	cancelable map[string]bool
	routes     []route

	mu          sync.Mutex
	intents     map[string]*PaymentIntent
	intentOrder []string
	charges     map[string]*Charge
	refunds     map[string]*Refund
	refundOrder []string
	pms         map[string]*PaymentMethod
	sessions    map[string]*CheckoutSession

	events eventLog
	hooks  webhooks

	idem idempotencyStore
}

// New returns a Server with empty state.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.APIVersion == "" {
		opts.APIVersion = DefaultAPIVersion
	}
	fillWebhookDefaults(&opts)
	statuses := opts.CancelableStatuses
	if statuses == nil {
		statuses = DefaultCancelableStatuses
	}
	s := &Server{
		opts:       opts,
		cancelable: map[string]bool{},
		intents:    map[string]*PaymentIntent{},
		charges:    map[string]*Charge{},
		refunds:    map[string]*Refund{},
		pms:        map[string]*PaymentMethod{},
		sessions:   map[string]*CheckoutSession{},
		idem:       idempotencyStore{entries: map[string]*idemEntry{}},
	}
	s.events.reset()
	s.hooks.init(opts)
	for _, st := range statuses {
		s.cancelable[st] = true
	}
	if opts.AllowCancelProcessing {
		s.cancelable[StatusProcessing] = true
	}
	s.routes = buildRoutes()
	return s
}

func (s *Server) now() time.Time { return s.opts.Now() }
func (s *Server) unix() int64    { return s.opts.Now().Unix() }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// ---- routing ----

type handlerFunc func(s *Server, c *call) reply

type route struct {
	method  string
	pattern []string // "*" matches one path segment
	h       handlerFunc
}

func buildRoutes() []route {
	r := func(method, path string, h handlerFunc) route {
		return route{method: method, pattern: strings.Split(strings.TrimPrefix(path, "/"), "/"), h: h}
	}
	return []route{
		r("POST", "/v1/payment_intents", (*Server).createIntent),
		r("GET", "/v1/payment_intents", (*Server).listIntents),
		r("GET", "/v1/payment_intents/*", (*Server).retrieveIntent),
		r("POST", "/v1/payment_intents/*", (*Server).updateIntent),
		r("POST", "/v1/payment_intents/*/confirm", (*Server).confirmIntent),
		r("POST", "/v1/payment_intents/*/capture", (*Server).captureIntent),
		r("POST", "/v1/payment_intents/*/cancel", (*Server).cancelIntent),
		r("POST", "/v1/payment_intents/*/increment_authorization", (*Server).incrementAuthorization),
		r("GET", "/v1/charges/*", (*Server).retrieveCharge),
		r("GET", "/v1/charges/*/refunds", (*Server).listChargeRefunds),
		r("GET", "/v1/refunds", (*Server).listRefunds),
		r("GET", "/v1/refunds/*", (*Server).retrieveRefund),
		r("POST", "/v1/checkout/sessions", (*Server).createSession),
		r("GET", "/v1/checkout/sessions/*", (*Server).retrieveSession),
		r("POST", "/v1/checkout/sessions/*/expire", (*Server).expireSession),
		r("POST", "/v1/test_helpers/payment_intents/*/finish_processing", (*Server).finishProcessingHandler),
		r("POST", "/v1/test_helpers/checkout/sessions/*/confirm", (*Server).confirmSessionHandler),
		r("GET", "/v1/events", (*Server).listEvents),
		r("GET", "/v1/events/*", (*Server).retrieveEvent),
		r("POST", "/v1/webhook_endpoints", (*Server).createWebhookEndpoint),
		r("GET", "/v1/webhook_endpoints", (*Server).listWebhookEndpoints),
		r("GET", "/v1/webhook_endpoints/*", (*Server).retrieveWebhookEndpoint),
		r("DELETE", "/v1/webhook_endpoints/*", (*Server).deleteWebhookEndpoint),
	}
}

// match finds the route for method and the escaped request path.
func (s *Server) match(method, escapedPath string) (*route, []string) {
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, nil
	}
	raw := strings.Split(escapedPath[1:], "/")
	segs := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			return nil, nil
		}
		segs[i] = u
	}
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != method || len(rt.pattern) != len(segs) {
			continue
		}
		var args []string
		ok := true
		for j, p := range rt.pattern {
			if p == "*" {
				args = append(args, segs[j])
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, args
		}
	}
	return nil, nil
}

// ---- request plumbing ----

// call is one API request after authentication, routing and parsing.
type call struct {
	r       *http.Request
	reqID   string
	args    []string
	params  *pview
	perr    *Error // sticky parameter error shared by params views
	rawTree *formNode
}

// paramsError is what a handler checks once it has read every parameter:
// the first parameter error, else an expand path unknown for kind.
func (c *call) paramsError(kind string, expand []string) *Error {
	if c.perr != nil {
		return c.perr
	}
	return validateExpand(kind, expand)
}

// finishParams reads expand[], the last parameter a handler reads, and
// returns it with paramsError.
func (c *call) finishParams(kind string) ([]string, *Error) {
	expand := c.params.expandList()
	return expand, c.paramsError(kind, expand)
}

func (c *call) arg(i int) string { return c.args[i] }

// reply is what a handler returns.
type reply struct {
	status  int
	body    any
	noStore bool // not saved under an idempotency key
}

// versionRE accepts "2026-08-26.dahlia", "2020-08-27" and beta suffixes
// such as "2024-06-20; embedded_connect_beta=v2".
var versionRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z_]+)?(; *[a-z0-9_]+=[a-z0-9_]+)*$`)

// statusWriter remembers whether a response was started (for panic recovery).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	reqID := newID("req_", 14)
	h := w.Header()
	h.Set("Request-Id", reqID)
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Stripe-Version", s.opts.APIVersion)

	defer func() {
		if rec := recover(); rec != nil {
			s.logf("reference: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, rec, debug.Stack())
			if w.status == 0 {
				body := s.renderErrorBody(&Error{Type: "api_error", Message: "An unexpected error occurred on the reference target while handling this request (" + reqID + ").", HTTPStatus: 500}, reqID, true)
				s.writeJSON(w, r, http.StatusInternalServerError, body, true)
			}
		}
		s.logf("reference: %s %s -> %d (%s) %s", r.Method, r.URL.Path, w.status, time.Since(start).Round(time.Microsecond), reqID)
	}()

	status, body, extra := s.serve(r, reqID)
	delayed := extra[delayedMarker] != ""
	delete(extra, delayedMarker)
	for k, v := range extra {
		h.Set(k, v)
	}
	s.writeJSON(w, r, status, body, !delayed)
}

// delayedMarker in serve's extra headers says ResponseDelay was already applied.
const delayedMarker = "\x00delayed"

func (s *Server) sleep(r *http.Request) {
	if d := s.opts.ResponseDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte, delay bool) {
	if delay {
		s.sleep(r)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serve runs the pipeline and returns status, body and extra headers.
//
// It is long because it is the request pipeline (auth, body, idempotency, routing, delay) in the order Stripe applies it.
func (s *Server) serve(r *http.Request, reqID string) (int, []byte, map[string]string) {
	extra := map[string]string{}
	fail := func(e *Error) (int, []byte, map[string]string) {
		return e.HTTPStatus, s.renderErrorBody(e, reqID, e.HTTPStatus != http.StatusUnauthorized), extra
	}

	if v := r.Header.Get("Stripe-Version"); v != "" {
		if !versionRE.MatchString(v) {
			return fail(invalidRequest("", "", "Invalid Stripe API version: "+clip(sanitizeHeader(v), 64)+"."))
		}
		extra["Stripe-Version"] = v
	}

	if e := checkAuth(r); e != nil {
		return fail(e)
	}

	rt, args := s.match(r.Method, r.URL.EscapedPath())
	if rt == nil {
		return fail(&Error{Type: "invalid_request_error", HTTPStatus: http.StatusNotFound,
			Message: "Unrecognized request URL (" + clip(sanitizeHeader(r.Method), 20) + ": " + clip(r.URL.Path, 200) + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."})
	}

	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return fail(&Error{Type: "invalid_request_error", HTTPStatus: http.StatusRequestEntityTooLarge,
					Message: fmt.Sprintf("Request body too large: the limit is %d bytes.", s.opts.MaxBodyBytes)})
			}
			return fail(invalidRequest("", "", "Could not read the request body."))
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if ct := r.Header.Get("Content-Type"); ct != "" {
				mt, _, err := mime.ParseMediaType(ct)
				if err != nil || mt != "application/x-www-form-urlencoded" {
					return fail(invalidRequest("", "", "Invalid request: unsupported Content-Type "+clip(sanitizeHeader(ct), 100)+". Request bodies must be application/x-www-form-urlencoded."))
				}
			}
			if raw != "" {
				raw += "&"
			}
			raw += string(body)
		}
	}
	tree, err := decodeForm(raw)
	if err != nil {
		fe := err.(*formError)
		return fail(invalidRequest(fe.Param, "", fe.Message))
	}

	c := &call{r: r, reqID: reqID, args: args, rawTree: tree}
	c.params = newPView(tree, &c.perr)

	// Idempotency applies to every POST carrying a key.
	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost && key != "" {
		if len(key) > 255 {
			return fail(invalidRequest("", "", "Idempotency keys can be at most 255 characters long."))
		}
		extra["Idempotency-Key"] = sanitizeHeader(key)
		endpoint := r.Method + " " + r.URL.Path
		fp := tree.canonical()
		ent, replay, e := s.idem.begin(key, endpoint, fp)
		if e != nil {
			return fail(e)
		}
		if replay {
			extra["Idempotent-Replayed"] = "true"
			extra["Original-Request"] = ent.reqID
			return ent.status, ent.body, extra
		}
		finished := false
		defer func() {
			if !finished { // the handler panicked: let the key be retried
				s.idem.release(key, ent)
			}
		}()
		status, body, store := s.run(rt, c)
		s.sleep(r)
		extra[delayedMarker] = "1"
		finished = true
		if store {
			s.idem.finish(key, ent, status, body, reqID)
		} else {
			s.idem.release(key, ent)
		}
		return status, body, extra
	}
	status, body, _ := s.run(rt, c)
	return status, body, extra
}

// run calls the handler and renders its reply.
func (s *Server) run(rt *route, c *call) (status int, body []byte, store bool) {
	rep := rt.h(s, c)
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	if b, ok := rep.body.([]byte); ok {
		return rep.status, b, !rep.noStore
	}
	return rep.status, marshal(rep.body), !rep.noStore
}

func sanitizeHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ---- authentication ----

const noKeyMessage = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."

func checkAuth(r *http.Request) *Error {
	key, ok := apiKey(r)
	if !ok || key == "" {
		return &Error{Type: "invalid_request_error", Message: noKeyMessage, HTTPStatus: http.StatusUnauthorized}
	}
	if !validTestKey(key) {
		return &Error{Type: "invalid_request_error", Message: "Invalid API Key provided: " + maskKey(key), HTTPStatus: http.StatusUnauthorized}
	}
	return nil
}

func apiKey(r *http.Request) (string, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer":
		return rest, true
	case "basic":
		dec, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", false
		}
		user, _, _ := strings.Cut(string(dec), ":")
		return user, true
	}
	return "", false
}

func validTestKey(k string) bool {
	const p = "sk_test_"
	if !strings.HasPrefix(k, p) || len(k) == len(p) || len(k) > 255 {
		return false
	}
	for _, c := range k[len(p):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maskKey shows a key's type prefix and at most its last four characters.
func maskKey(k string) string {
	prefix := ""
	for _, p := range []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"} {
		if strings.HasPrefix(k, p) {
			prefix = p
			break
		}
	}
	rest := k[len(prefix):]
	tail := ""
	if len(rest) > 8 {
		tail = sanitizeHeader(rest[len(rest)-4:])
		if !isPrintableASCII(tail) {
			tail = ""
		}
	}
	return prefix + "****" + tail
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ---- errors ----

func docURL(code string) string {
	if code == "" {
		return ""
	}
	return "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
}

// renderErrorBody renders {"error": {...}}. It takes the state lock itself
// when the error embeds objects; callers holding the lock use errReply.
func (s *Server) renderErrorBody(e *Error, reqID string, withLogURL bool) []byte {
	if e.PaymentIntent != "" || e.PaymentMethod != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return marshal(map[string]any{"error": s.renderErrorLocked(e, reqID, withLogURL, true)})
}

// expandedReply answers obj with the expand paths applied.
func (s *Server) expandedReply(obj map[string]any, expand []string) reply {
	s.applyExpand(obj, expand)
	return reply{body: obj}
}

// errReply turns an error into a reply; the caller holds s.mu.
func (s *Server) errReply(c *call, e *Error) reply {
	st := e.HTTPStatus
	if st == 0 {
		st = http.StatusBadRequest
	}
	return reply{status: st, body: map[string]any{"error": s.renderErrorLocked(e, c.reqID, true, true)}, noStore: e.noStore}
}

// renderErrorLocked renders an api_errors object. embedPI controls whether
// payment_intent is embedded (not inside last_payment_error).
func (s *Server) renderErrorLocked(e *Error, reqID string, withLogURL, embedPI bool) map[string]any {
	typ := e.Type
	if typ == "" {
		typ = "api_error"
	}
	m := map[string]any{"type": typ}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("code", e.Code)
	set("decline_code", e.DeclineCode)
	set("message", e.Message)
	set("param", e.Param)
	set("charge", e.Charge)
	set("advice_code", e.AdviceCode)
	set("payment_method_type", e.PaymentMethodType)
	if e.DocURL != "" {
		m["doc_url"] = e.DocURL
	} else {
		set("doc_url", docURL(e.Code))
	}
	if withLogURL && reqID != "" {
		m["request_log_url"] = "https://dashboard.stripe.com/test/logs/" + reqID
	}
	if embedPI && e.PaymentIntent != "" {
		if pi := s.intents[e.PaymentIntent]; pi != nil {
			m["payment_intent"] = s.renderIntent(pi)
		}
	}
	if e.PaymentMethod != "" {
		if pm := s.pms[e.PaymentMethod]; pm != nil {
			m["payment_method"] = s.renderPaymentMethod(pm)
		}
	}
	return m
}

// WriteError writes a Stripe-shaped error response (with Request-Id and
// Content-Type headers). It is meant for wrappers that fake failures.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	reqID := newID("req_", 14)
	w.Header().Set("Request-Id", reqID)
	w.Header().Set("Content-Type", "application/json")
	st := e.HTTPStatus
	if st == 0 {
		st = http.StatusBadRequest
	}
	s.writeJSON(w, r, st, s.renderErrorBody(e, reqID, st != http.StatusUnauthorized), true)
}
