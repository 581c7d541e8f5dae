// Package client is the conformance suite's HTTP client for Stripe-compatible APIs.
//
// It sends form-encoded requests the way Stripe expects them, retries what is safe to retry, rate-limits itself,
// and records a redacted Exchange for every call so that failures can be reported and reproduced (Exchange.Curl)
// without ever printing the API key.
//
// Only transport problems are errors (*TransportError). Every HTTP status, including 5xx after the retries are
// exhausted, comes back as a *Response: judging statuses is the suite's job.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pi-conformance/suite/harness/jsondecode"
	"github.com/pi-conformance/suite/harness/redact"
)

// Defaults and limits.
const (
	DefaultRequestTimeout = 15 * time.Second
	DefaultMaxRetries     = 2
	DefaultRetryBackoff   = 200 * time.Millisecond
	MaxBackoff            = 5 * time.Second  // cap of the exponential backoff
	MaxRetryAfter         = 10 * time.Second // cap applied to a server's Retry-After
	MaxResponseBody       = 4 << 20          // bytes; a larger body is a TransportError (see below)
	MaxResponseHeader     = 64 << 10         // bytes of response header (net/http's default is 10 MiB); Stripe sends about 1 KiB
	DefaultAPIKeyEnv      = "CONFORMANCE_API_KEY"
	// OtherAPIKeyEnv is the variable that Exchange.Curl uses for a per-request key (Request.Auth), which is
	// redacted like the client's own key.
	OtherAPIKeyEnv   = "CONFORMANCE_OTHER_API_KEY"
	DefaultUserAgent = "pi-conformance-suite/1 (+https://github.com/pi-conformance/suite)"
	formContentType  = "application/x-www-form-urlencoded"
)

// Why MaxResponseBody is 4 MiB: Stripe's answers to what the suite asks are a few KiB (a PaymentIntent 2 to 6 KiB,
// an error under 2 KiB, the lists it reads hold a handful of objects), and even a full page of 100 expanded objects
// stays under 1 MiB, so 4 MiB never refuses an answer Stripe would give. It bounds memory: a body is held raw and
// decoded while a spec checks it, and the race specs have five requests in flight, so the suite's peak grows with
// a few times five times this cap. A target sending more is not answering like Stripe: the spec ends Errored,
// naming the request and the limit. It is a constant; a setting would only let a run use more memory.

// ErrLiveKey is wrapped by the error New returns for a live-mode key (and by the TransportError of a request whose
// Request.Auth is a live-mode key). The messages never contain the key.
var ErrLiveKey = errors.New("refusing a live-mode API key (it contains \"_live_\"); the conformance suite only runs with test-mode keys")

// errBodyTooLarge is the cause of a TransportError for a response body over MaxResponseBody.
var errBodyTooLarge = fmt.Errorf("response body larger than %d bytes", MaxResponseBody)

// Config configures a Client. Zero values select the documented defaults.
type Config struct {
	BaseURL        string        // e.g. http://127.0.0.1:12111 (no trailing slash needed; a path prefix is kept)
	APIKey         string        // sent as Bearer; refused by New if it contains "_live_"
	StripeVersion  string        // sent as Stripe-Version header when non-empty
	RequestTimeout time.Duration // per attempt, including reading the body; default 15s; the ctx deadline also applies
	MaxRetries     int           // retries after the first attempt on 429, 503 and connection errors; default 2 (set -1 for none); a 429 gets up to MaxRateLimitRetries
	RetryBackoff   time.Duration // base backoff, default 200ms, exponential with jitter, capped at 5s; honours Retry-After (seconds or HTTP date) up to 10s
	RateLimit      float64       // max requests (attempts) per second from this client and its copies (token bucket); 0 = unlimited
	RateBurst      int           // token bucket size; default DefaultRateBurst
	Throttle       Throttle      // if set, the rate limit to obey instead of RateLimit/RateBurst (e.g. a RemoteBucket shared by processes)
	UserAgent      string        // default DefaultUserAgent
	HTTPClient     *http.Client  // optional; default has keep-alives, MaxIdleConnsPerHost 64, and does not follow redirects
	APIKeyEnv      string        // environment variable named in Exchange.Curl for the key; default CONFORMANCE_API_KEY
	RunID          string        // short run identifier used in generated idempotency keys; default random hex
}

// Client sends requests to one target. It is safe for concurrent use.
type Client struct {
	cfg        Config
	maxRetries int
	hc         *http.Client
	throttle   Throttle // nil: unlimited
	stats      *counters
	recorder   *Recorder
}

// Stats are totals over all requests of a client and the copies made by WithRecorder.
type Stats struct {
	Requests        int64         // calls to Do
	Attempts        int64         // HTTP requests actually sent (Requests + retries)
	TransportErrors int64         // calls to Do that returned a TransportError
	WaitTime        time.Duration // time spent waiting on the target: sending, awaiting and reading responses
	ThrottleTime    time.Duration // time spent waiting for the client's own rate limiter
	BackoffTime     time.Duration // time spent sleeping between retries
}

type counters struct {
	requests, attempts, transportErrors atomic.Int64
	wait, throttle, backoff             atomic.Int64 // nanoseconds
}

// New validates cfg, applies defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if strings.Contains(cfg.APIKey, "_live_") {
		return nil, fmt.Errorf("client: %w", ErrLiveKey)
	}
	secrets := redact.Secrets(cfg.APIKey)
	raw := strings.TrimSpace(cfg.BaseURL)
	if raw == "" {
		return nil, errors.New("client: BaseURL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client: BaseURL is not a valid URL: %s", redact.String(err.Error(), cfg.APIKey))
	}
	if u.User != nil {
		// net/http would send it as Basic auth on every request, including those meant to carry no key.
		return nil, errors.New("client: BaseURL must not carry credentials (user info before the host); pass the key as APIKey")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("client: BaseURL %q must use http or https", redactURL(u, secrets))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: BaseURL %q has no host", redactURL(u, secrets))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: BaseURL %q must not have a query or fragment", redactURL(u, secrets))
	}
	cfg.BaseURL = strings.TrimRight(raw, "/")

	switch {
	case cfg.RequestTimeout < 0:
		return nil, errors.New("client: RequestTimeout must not be negative")
	case cfg.RetryBackoff < 0:
		return nil, errors.New("client: RetryBackoff must not be negative")
	case cfg.RateLimit < 0 || math.IsNaN(cfg.RateLimit) || math.IsInf(cfg.RateLimit, 0):
		return nil, errors.New("client: RateLimit must be a finite number >= 0")
	case cfg.RateBurst < 0:
		return nil, errors.New("client: RateBurst must not be negative")
	case cfg.MaxRetries < -1:
		return nil, errors.New("client: MaxRetries must be >= -1 (-1 = no retries, 0 = default)")
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	maxRetries := cfg.MaxRetries
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
		maxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		maxRetries = 0
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.APIKeyEnv == "" {
		cfg.APIKeyEnv = DefaultAPIKeyEnv
	}
	if cfg.RunID == "" {
		cfg.RunID = randomHex(4)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	return &Client{
		cfg:        cfg,
		maxRetries: maxRetries,
		hc:         cfg.HTTPClient,
		throttle:   throttleOf(cfg),
		stats:      &counters{},
	}, nil
}

func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	tr.IdleConnTimeout = 90 * time.Second
	tr.MaxResponseHeaderBytes = MaxResponseHeader
	return &http.Client{
		Transport: tr,
		// A redirect is a response to judge, not to follow (following could also move the key to another host).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Config returns the effective configuration (defaults applied), with APIKey intact. For internal use: do not print it.
func (c *Client) Config() Config { return c.cfg }

// throttleOf is cfg.Throttle, else the in-process bucket for RateLimit, else nil (a nil *Bucket must not become a
// non-nil Throttle).
func throttleOf(cfg Config) Throttle {
	if cfg.Throttle != nil {
		return cfg.Throttle
	}
	if b := NewBucket(cfg.RateLimit, cfg.RateBurst); b != nil {
		return b
	}
	return nil
}

// WithRecorder returns a shallow copy of c that also records every exchange into r (nil: no recording). The copy
// shares the connection pool, rate limiter and Stats with c.
func (c *Client) WithRecorder(r *Recorder) *Client {
	cp := *c
	cp.recorder = r
	return &cp
}

// Recorder returns the recorder set by WithRecorder, or nil.
func (c *Client) Recorder() *Recorder { return c.recorder }

// Stats returns the totals of c and of every copy made with WithRecorder.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:        c.stats.requests.Load(),
		Attempts:        c.stats.attempts.Load(),
		TransportErrors: c.stats.transportErrors.Load(),
		WaitTime:        time.Duration(c.stats.wait.Load()),
		ThrottleTime:    time.Duration(c.stats.throttle.Load()),
		BackoffTime:     time.Duration(c.stats.backoff.Load()),
	}
}

// CloseIdleConnections closes idle keep-alive connections of the underlying HTTP client.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Redact applies the client's redaction (its key and the registered secrets, see harness/redact) to s.
func (c *Client) Redact(s string) string { return redact.String(s, redact.Secrets(c.cfg.APIKey)...) }

// NewIdempotencyKey returns a fresh key of the form the client generates: "conf-<run>-<hex>".
func (c *Client) NewIdempotencyKey() string { return "conf-" + c.cfg.RunID + "-" + randomHex(12) }

// Params are form or query parameters. Keys are already in bracket notation, e.g. "metadata[conformance_run]",
// "expand[]", "payment_method_types[]".
type Params = url.Values

// Request describes one API call.
type Request struct {
	Method           string      // GET or POST (others allowed); "" = GET
	Path             string      // "/v1/payment_intents/pi_123/cancel"; may contain a query string
	Params           Params      // POST/PUT/PATCH: form body (url.Values.Encode: keys sorted, values of a key in order); other methods: query string
	IdempotencyKey   string      // POST only; when empty the client generates one and reuses it for every retry
	NoIdempotencyKey bool        // send none (and never retry the POST)
	Auth             *string     // nil = default key as Bearer; pointer to "" = no Authorization header; other = that key as Bearer
	BasicAuth        bool        // send the key as HTTP Basic username (empty password) instead of Bearer
	Header           http.Header // extra headers, applied last: they replace the client's; a key with no values removes that header
	RawBody          []byte      // if non-nil, sent verbatim instead of Params (with Header's Content-Type, or none)
	Race             *Race       // requests that must overlap: their first attempts take their tokens together and leave at once (NewRace)
}

// Response is an HTTP response of any status.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte    // raw, unredacted
	Exchange *Exchange // the redacted record of this call

	secrets  []string
	jsonOnce sync.Once
	json     map[string]any
	jsonErr  error
}

// JSON parses Body as a JSON object, once (the result is cached and shared: do not modify it). Numbers are
// json.Number so integers stay exact. The error reads "response is not JSON: <excerpt>".
func (r *Response) JSON() (map[string]any, error) {
	r.jsonOnce.Do(func() { r.json, r.jsonErr = parseObject(r.Body, r.secrets) })
	return r.json, r.jsonErr
}

// TransportError is the only kind of error Do returns: no usable HTTP response was obtained (connection refused or
// reset, timeout, cancelled context, body read failure or a body over MaxResponseBody).
type TransportError struct {
	Exchange *Exchange // the redacted record; Status is 0
	Err      error     // the cause; its Error() text is redacted, Unwrap reaches the original error
}

func (e *TransportError) Error() string {
	if e.Exchange == nil {
		return "transport error: " + redact.String(e.Err.Error())
	}
	x := e.Exchange
	return fmt.Sprintf("transport error: %s %s failed after %d attempt%s: %s",
		x.Method, x.URL, x.Attempts, plural(x.Attempts), x.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the request failed because of a timeout or deadline.
func (e *TransportError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// redactedError carries a redacted message while keeping the original error chain for errors.Is/As.
type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.orig }

// Get is Do with GET and params as the query string.
func (c *Client) Get(ctx context.Context, path string, params Params) (*Response, error) {
	return c.Do(ctx, Request{Method: http.MethodGet, Path: path, Params: params})
}

// Do sends req, retrying 429, 503 and connection errors when that is safe: GET always, POST only with an
// Idempotency-Key (the same one on every attempt). A response with Stripe-Should-Retry: false is never retried, one
// with Stripe-Should-Retry: true is; a 429 rate_limit is retried up to MaxRateLimitRetries times rather than
// MaxRetries (a 429 lock_timeout gets MaxRetries). It returns a *Response for any HTTP status and a
// *TransportError otherwise. If ctx ends while waiting to retry, the last response is returned (or, when the last
// attempt had no response, a TransportError).
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	started := time.Now()
	c.stats.requests.Add(1)

	method := strings.ToUpper(strings.TrimSpace(req.Method))
	if method == "" {
		method = http.MethodGet
	}
	secrets := redact.Secrets(c.cfg.APIKey)
	customAuth := req.Auth != nil && *req.Auth != "" && *req.Auth != c.cfg.APIKey
	if customAuth {
		secrets = redact.Secrets(c.cfg.APIKey, *req.Auth)
	}
	red := func(s string) string { return redact.String(s, secrets...) }

	ex := &Exchange{Method: method, Started: started, CustomAuth: customAuth, BodyRaw: req.RawBody != nil, KeyEnv: c.cfg.APIKeyEnv}
	fail := func(err error) (*Response, error) {
		ex.Duration = time.Since(started)
		ex.Err = red(err.Error())
		c.stats.transportErrors.Add(1)
		c.record(ex)
		return nil, &TransportError{Exchange: ex, Err: &redactedError{msg: ex.Err, orig: err}}
	}

	target, body, hasBody, err := c.buildTarget(method, req)
	if err != nil {
		ex.URL = red(c.cfg.BaseURL + req.Path)
		return fail(err)
	}
	ex.URL = red(target)
	if hasBody {
		ex.RequestBody, ex.RequestBodyCut, ex.requestWhole = recordBody(body, secrets)
	}
	header := c.buildHeader(method, req)
	ex.RequestHeader = recordHeader(header, secrets)
	if customAuth && strings.Contains(*req.Auth, "_live_") {
		return fail(ErrLiveKey)
	}
	o := outgoing{method: method, target: target, header: header, body: body, hasBody: hasBody, race: req.Race,
		canRetry: c.maxRetries > 0 && (isSafeMethod(method) || header.Get("Idempotency-Key") != "")}

	last, lastErr := c.send(ctx, o, ex, red)
	if last == nil {
		return fail(lastErr)
	}
	ex.Duration = time.Since(started)
	ex.Status = last.status
	ex.ResponseHeader = recordHeader(last.header, secrets)
	ex.ResponseBody, ex.ResponseBodyCut, ex.responseWhole = recordBody(last.body, secrets)
	c.record(ex)
	return &Response{Status: last.status, Header: last.header, Body: last.body, Exchange: ex, secrets: secrets}, nil
}

func parseObject(body []byte, secrets []string) (map[string]any, error) {
	excerpt := func() string {
		if len(bytes.TrimSpace(body)) == 0 {
			return "(empty body)"
		}
		head, _ := redact.Head(body, 200, secrets...)
		return head
	}
	v, err := jsondecode.Decode(body)
	if errors.Is(err, jsondecode.ErrTrailingData) {
		return nil, fmt.Errorf("response is not JSON: trailing data after the value: %s", excerpt())
	}
	if errors.Is(err, jsondecode.ErrTooManyValues) {
		return nil, fmt.Errorf("response not decoded: %w: %s", err, excerpt())
	}
	if err != nil {
		return nil, fmt.Errorf("response is not JSON: %s", excerpt())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("response is not JSON: expected an object, got %s: %s", jsonKind(v), excerpt())
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func redactURL(u *url.URL, secrets []string) string { return redact.String(u.Redacted(), secrets...) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics on failure since Go 1.24)
	return hex.EncodeToString(b)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func statusLine(s int) string {
	if t := http.StatusText(s); t != "" {
		return strconv.Itoa(s) + " " + t
	}
	return strconv.Itoa(s)
}
