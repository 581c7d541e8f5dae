package mutants

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// The helpers below are the whole toolbox of the mutants: Wrap puts a Step around every request the reference
// serves; a Call describes the request (operation, intent id, parsed form, snapshots of the state before it);
// a Result is the buffered response, which a Step may replace, edit as JSON, or re-render from the state.

// Call is one request on its way to the reference.
type Call struct {
	Ref *reference.Server
	R   *http.Request
	// Op is the operation: create, list, retrieve, update, confirm, capture, cancel, increment_authorization for
	// /v1/payment_intents routes, "other" for everything else.
	Op string
	// ID is the intent id named in the path ("" for create, list and other routes).
	ID string
	// Form holds the POST body parameters (GET: the query). Change it and call SetForm to change what the
	// reference receives.
	Form url.Values

	// Snapshots taken when the request arrived (Found: the intent exists; HasCharge: it has a latest charge).
	Found     bool
	Intent    reference.PaymentIntent
	HasCharge bool
	Charge    reference.Charge
	Refunds   []reference.Refund
}

// Result is a buffered response.
type Result struct {
	Status int
	Header http.Header
	Body   []byte
}

// Step handles one call: it may act before and after next (which sends the request to the reference and returns
// its buffered response), or answer without calling next at all.
type Step func(c *Call, next func() *Result) *Result

// Wrap serves ref behind step. The reference serves a call at most once: next returns the same Result when called
// again, and a step returning nil answers with next's Result.
func Wrap(ref *reference.Server, step Step) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := newCall(ref, r)
		var served *Result
		next := func() *Result {
			if served == nil {
				served = serve(ref, c.R)
			}
			return served
		}
		res := step(c, next)
		if res == nil {
			res = next()
		}
		res.WriteTo(w)
	})
}

// Chain composes steps: the first is the outermost.
func Chain(steps ...Step) Step {
	return func(c *Call, next func() *Result) *Result {
		var run func(i int) *Result
		run = func(i int) *Result {
			if i == len(steps) {
				return next()
			}
			return steps[i](c, func() *Result { return run(i + 1) })
		}
		return run(0)
	}
}

func newCall(ref *reference.Server, r *http.Request) *Call {
	c := &Call{Ref: ref, R: r, Op: "other"}
	c.Op, c.ID = route(r.Method, r.URL.Path)
	if r.Method == http.MethodPost && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.Form, _ = url.ParseQuery(string(body))
	} else {
		c.Form = r.URL.Query()
	}
	if c.Form == nil {
		c.Form = url.Values{}
	}
	c.snapshot()
	return c
}

// snapshot records the state of the call's intent (when it names one).
func (c *Call) snapshot() {
	c.Found, c.HasCharge, c.Refunds = false, false, nil
	ref := c.Ref
	if c.ID != "" {
		c.Intent, c.Found = ref.Intent(c.ID)
		if c.Found && c.Intent.LatestCharge != "" {
			c.Charge, c.HasCharge = ref.Charge(c.Intent.LatestCharge)
		}
		if c.Found {
			c.Refunds = ref.RefundsForIntent(c.ID)
		}
	}
}

// route names the PaymentIntents operation of a request path.
func route(method, path string) (op, id string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < 2 || segs[0] != "v1" || segs[1] != "payment_intents" {
		return "other", ""
	}
	switch {
	case len(segs) == 2 && method == http.MethodPost:
		return "create", ""
	case len(segs) == 2:
		return "list", ""
	case len(segs) == 3 && method == http.MethodGet:
		return "retrieve", segs[2]
	case len(segs) == 3 && method == http.MethodPost:
		return "update", segs[2]
	case len(segs) == 4 && method == http.MethodPost:
		return segs[3], segs[2]
	}
	return "other", ""
}

// SetForm replaces the request body (POST) or query (GET) with form.
func (c *Call) SetForm(form url.Values) {
	c.Form = form
	enc := form.Encode()
	if c.R.Method != http.MethodPost {
		c.R.URL.RawQuery = enc
		return
	}
	c.R.Body = io.NopCloser(strings.NewReader(enc))
	c.R.ContentLength = int64(len(enc))
	if enc != "" && c.R.Header.Get("Content-Type") == "" {
		c.R.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
}

// SetBody replaces the raw request body.
func (c *Call) SetBody(body string) {
	c.R.Body = io.NopCloser(strings.NewReader(body))
	c.R.ContentLength = int64(len(body))
	c.Form, _ = url.ParseQuery(body)
}

// Expand lists the expand[] parameters of the request.
func (c *Call) Expand() []string {
	var out []string
	keys := make([]string, 0, len(c.Form))
	for k := range c.Form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "expand[]" || k == "expand" || strings.HasPrefix(k, "expand[") {
			out = append(out, c.Form[k]...)
		}
	}
	return out
}

// Current is the intent's state now (after next, the state the request left behind).
func (c *Call) Current() (reference.PaymentIntent, bool) { return c.Ref.Intent(c.ID) }

// Update changes the stored intent.
func (c *Call) Update(fn func(pi *reference.PaymentIntent)) { _ = c.Ref.UpdateIntent(c.ID, fn) }

// Restore puts the intent back to the snapshot taken when the request arrived.
func (c *Call) Restore() {
	before := c.Intent
	c.Update(func(pi *reference.PaymentIntent) { *pi = before })
}

// RestoreCharge puts the intent's latest charge back to its snapshot.
func (c *Call) RestoreCharge() {
	if c.HasCharge {
		before := c.Charge
		_ = c.Ref.UpdateCharge(before.ID, func(ch *reference.Charge) { *ch = before })
	}
}

// NewRefunds lists the refunds of the intent that the request created.
func (c *Call) NewRefunds() []reference.Refund {
	var out []reference.Refund
	for _, r := range c.Ref.RefundsForIntent(c.ID) {
		if !slices.ContainsFunc(c.Refunds, func(old reference.Refund) bool { return old.ID == r.ID }) {
			out = append(out, r)
		}
	}
	return out
}

// Rerender replaces res's body with the intent as it is stored now, expanded as the request asked: a mutant that
// edits the state after the reference answered keeps its answer consistent with its state.
func (c *Call) Rerender(res *Result) {
	obj, err := c.Ref.IntentObject(c.ID, c.Expand()...)
	if err != nil {
		return
	}
	res.SetJSON(obj)
}

// IntentResult answers 200 with the stored intent.
func (c *Call) IntentResult() *Result {
	res := &Result{Status: http.StatusOK, Header: jsonHeader()}
	c.Rerender(res)
	return res
}

// Error answers with a Stripe-shaped error rendered by the reference (embedding error.payment_intent when e names one).
func (c *Call) Error(e *reference.Error) *Result {
	b := newBuffer()
	c.Ref.WriteError(b, c.R, e)
	return b.result()
}

// StateError is the reference's payment_intent_unexpected_state error for the intent.
func (c *Call) StateError(param, message string) *Result {
	return c.Error(&reference.Error{Type: "invalid_request_error", Code: "payment_intent_unexpected_state", Param: param,
		Message: message, PaymentIntent: c.ID, HTTPStatus: http.StatusBadRequest})
}

// Internal sends another request to the reference with the caller's credentials, bypassing the mutant.
func (c *Call) Internal(method, path string, form url.Values) *Result {
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if len(form) > 0 {
		path += "?" + form.Encode()
	}
	r, err := http.NewRequestWithContext(c.R.Context(), method, path, body)
	if err != nil {
		return &Result{Status: http.StatusInternalServerError, Header: jsonHeader()}
	}
	for _, h := range []string{"Authorization", "Stripe-Version"} {
		if v := c.R.Header.Get(h); v != "" {
			r.Header.Set(h, v)
		}
	}
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return serve(c.Ref, r)
}

// Sleep waits d unless the request is abandoned.
func (c *Call) Sleep(d time.Duration) { sleepCtx(c.R.Context(), d) }

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// JSON decodes the body (numbers as json.Number); ok is false for a body that is not JSON.
func (r *Result) JSON() (v any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// SetJSON replaces the body with v encoded as JSON.
func (r *Result) SetJSON(v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("mutants: cannot encode a response body: " + err.Error())
	}
	r.Body = buf.Bytes()
	if r.Header == nil {
		r.Header = jsonHeader()
	}
}

// WriteTo writes the response, with a Content-Length matching the body.
func (r *Result) WriteTo(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range r.Header {
		h[k] = slices.Clone(vs)
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(r.Body)
}

func jsonHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", "req_mutant"+strconv.FormatInt(time.Now().UnixNano(), 36))
	return h
}

// buffer is an http.ResponseWriter that keeps the response.
type buffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBuffer() *buffer { return &buffer{header: http.Header{}} }

func (b *buffer) Header() http.Header { return b.header }
func (b *buffer) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *buffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *buffer) result() *Result {
	st := b.status
	if st == 0 {
		st = http.StatusOK
	}
	return &Result{Status: st, Header: b.header, Body: b.body.Bytes()}
}

func serve(ref *reference.Server, r *http.Request) *Result {
	b := newBuffer()
	ref.ServeHTTP(b, r)
	return b.result()
}

// ---- JSON editing ----

// EditJSON returns a Step that passes every JSON response body through edit (status and decoded body in, new status
// and body out). Bodies that are not JSON are left alone.
func EditJSON(edit func(c *Call, status int, body any) (int, any)) Step {
	return func(c *Call, next func() *Result) *Result {
		res := next()
		v, ok := res.JSON()
		if !ok {
			return res
		}
		st, nv := edit(c, res.Status, v)
		res.Status = st
		res.SetJSON(nv)
		return res
	}
}

// EachObject calls fn for every JSON object inside v, parents before children; key is the member name the object
// sits under ("" for the root and for array elements). fn may edit the object in place.
func EachObject(v any, fn func(key string, obj map[string]any)) {
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			fn(key, t)
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(k, t[k])
			}
		case []any:
			for _, e := range t {
				walk("", e)
			}
		}
	}
	walk("", v)
}

// EachIntent calls fn for every payment_intent object inside v (the response, an expanded or embedded one).
func EachIntent(v any, fn func(pi map[string]any)) {
	EachObject(v, func(_ string, obj map[string]any) {
		if obj["object"] == "payment_intent" {
			fn(obj)
		}
	})
}

// ErrorObject returns the "error" member of an error body.
func ErrorObject(v any) (map[string]any, bool) {
	m, _ := v.(map[string]any)
	e, ok := m["error"].(map[string]any)
	return e, ok
}

// ---- id mapping ----

// IDMapper gives objects of the reference ids of another shape, consistently: every reference id with one of its
// prefixes (e.g. "pi_3…" with 23 more characters) leaving the target becomes "<prefix>vendor_<40 random characters>",
// and those vendor ids are mapped back wherever a request names them (path, query, body).
type IDMapper struct {
	prefixes []string
	refRE    *regexp.Regexp
	vendorRE *regexp.Regexp

	mu       sync.Mutex
	toVendor map[string]string
	toRef    map[string]string
}

// NewIDMapper maps the ids with the given prefixes (e.g. "pi_", "ch_").
func NewIDMapper(prefixes ...string) *IDMapper {
	alts := make([]string, len(prefixes))
	for i, p := range prefixes {
		alts[i] = regexp.QuoteMeta(p)
	}
	group := "(?:" + strings.Join(alts, "|") + ")"
	return &IDMapper{
		prefixes: prefixes,
		// The reference's ids: prefix, the shard digit 3, 23 alphanumerics (reference.objectID).
		refRE:    regexp.MustCompile(`\b` + group + `3[A-Za-z0-9]{23}`),
		vendorRE: regexp.MustCompile(`\b` + group + `vendor_[A-Za-z0-9]{40}`),
		toVendor: map[string]string{},
		toRef:    map[string]string{},
	}
}

// Outbound replaces the reference ids in s with vendor ids (allocating them on first sight).
func (m *IDMapper) Outbound(s string) string {
	return replaceWhole(m.refRE, s, func(id string) string {
		m.mu.Lock()
		defer m.mu.Unlock()
		if v, ok := m.toVendor[id]; ok {
			return v
		}
		prefix := id[:strings.IndexByte(id, '_')+1]
		v := prefix + "vendor_" + randomAlnum(40)
		m.toVendor[id], m.toRef[v] = v, id
		return v
	})
}

// Inbound replaces known vendor ids in s with the reference's ids (unknown ones stay as they are).
func (m *IDMapper) Inbound(s string) string {
	return replaceWhole(m.vendorRE, s, func(id string) string {
		m.mu.Lock()
		defer m.mu.Unlock()
		if r, ok := m.toRef[id]; ok {
			return r
		}
		return id
	})
}

// replaceWhole replaces the matches of re that are not followed by another alphanumeric character.
func replaceWhole(re *regexp.Regexp, s string, fn func(string) string) string {
	locs := re.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if l[1] < len(s) && isAlnum(s[l[1]]) {
			continue
		}
		b.WriteString(s[last:l[0]])
		b.WriteString(fn(s[l[0]:l[1]]))
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Step returns the Step that maps ids in both directions.
func (m *IDMapper) Step() Step {
	return func(c *Call, next func() *Result) *Result {
		r := c.R
		if p := m.Inbound(r.URL.Path); p != r.URL.Path {
			r.URL.Path, r.URL.RawPath = p, ""
			c.Op, c.ID = route(r.Method, p)
			c.snapshot()
		}
		if q := m.Inbound(r.URL.RawQuery); q != r.URL.RawQuery {
			r.URL.RawQuery = q
			if r.Method != http.MethodPost {
				c.Form = r.URL.Query()
			}
		}
		if r.Method == http.MethodPost {
			raw := c.Form.Encode()
			if in := m.Inbound(raw); in != raw {
				c.SetBody(in)
			}
		}
		res := next()
		res.Body = []byte(m.Outbound(string(res.Body)))
		return res
	}
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rand.IntN(len(alnum))]
	}
	return string(b)
}
