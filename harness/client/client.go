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
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	var limitWait time.Duration // backoff spent on rate-limit retries past MaxRetries, in this call

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
	canRetry := c.maxRetries > 0 && (isSafeMethod(method) || header.Get("Idempotency-Key") != "")

	var (
		last    *attemptResult
		lastErr error
	)
	for attempt := 1; ; attempt++ {
		var throttled time.Duration
		var werr error
		joined := false
		if attempt == 1 && req.Race != nil {
			throttled, joined, werr = req.Race.join(ctx, c.throttle)
		}
		if !joined {
			throttled, werr = throttle(ctx, c.throttle, 1)
		}
		c.stats.throttle.Add(int64(throttled))
		if werr != nil {
			if last == nil && lastErr == nil {
				lastErr = werr
			} else if lastErr != nil {
				lastErr = fmt.Errorf("%w; stopped retrying: %w", lastErr, werr)
			}
			break
		}
		ex.Attempts = attempt
		c.stats.attempts.Add(1)
		res, aerr := c.attempt(ctx, method, target, header, body, hasBody)
		c.stats.wait.Add(int64(res.elapsed))

		var delay time.Duration
		if aerr == nil {
			last, lastErr = &res, nil
			retry, limited := shouldRetry(res.status, res.header, res.body)
			if !retry || !canRetry || (attempt > c.maxRetries && !(limited && attempt <= MaxRateLimitRetries)) {
				break
			}
			delay = retryDelay(attempt, c.cfg.RetryBackoff, res.header)
			if limited && attempt > c.maxRetries && (!leavesTime(ctx, delay) || c.cfg.RequestTimeout > 0 && limitWait+delay > c.cfg.RequestTimeout) {
				// Past the ordinary retries, a rate limit is waited out for at most one request timeout in all, and
				// only while half the caller's time remains: a limit that never lifts ends in its own 429 answer,
				// naming the request, not in the caller's timeout.
				ex.RetryLog = append(ex.RetryLog, fmt.Sprintf("attempt %d: %s; not retrying: the rate limit did not lift within the wait allowed (%s)",
					attempt, statusLine(res.status), c.cfg.RequestTimeout))
				break
			}
			if limited && attempt > c.maxRetries {
				limitWait += delay
			}
			note := ""
			if code := errorCode(res.status, res.body); code != "" {
				note = " (" + truncate(code, 40) + ")"
			}
			ex.RetryLog = append(ex.RetryLog, fmt.Sprintf("attempt %d: %s%s; retrying in %s", attempt, statusLine(res.status), note, delay.Round(time.Millisecond)))
		} else {
			last, lastErr = nil, aerr
			if !canRetry || attempt > c.maxRetries || !isConnectionError(ctx, aerr) {
				break
			}
			delay = retryDelay(attempt, c.cfg.RetryBackoff, nil)
			ex.RetryLog = append(ex.RetryLog, fmt.Sprintf("attempt %d: %s; retrying in %s", attempt, red(aerr.Error()), delay.Round(time.Millisecond)))
		}
		slept, serr := sleep(ctx, delay)
		c.stats.backoff.Add(int64(slept))
		if serr != nil {
			ex.RetryLog = append(ex.RetryLog, "stopped retrying: "+serr.Error())
			if lastErr != nil {
				lastErr = fmt.Errorf("%w; stopped retrying: %w", lastErr, serr)
			}
			break
		}
	}

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

func (c *Client) record(ex *Exchange) {
	if c.recorder != nil {
		c.recorder.add(ex)
	}
}

type attemptResult struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
}

// attempt sends one HTTP request under the per-attempt timeout and reads the whole body.
func (c *Client) attempt(ctx context.Context, method, target string, header http.Header, body []byte, hasBody bool) (attemptResult, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return attemptResult{}, err
	}
	hr.Header = header.Clone()
	start := time.Now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		return attemptResult{elapsed: time.Since(start)}, c.attemptErr(ctx, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	res := attemptResult{status: resp.StatusCode, header: resp.Header, elapsed: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("reading the %s response body: %w", statusLine(resp.StatusCode), c.attemptErr(ctx, actx, err))
	}
	if len(data) > MaxResponseBody {
		return res, fmt.Errorf("%s: %w", statusLine(resp.StatusCode), errBodyTooLarge)
	}
	res.body = data
	return res, nil
}

// attemptErr names a per-attempt timeout as such (the parent context is still alive in that case).
func (c *Client) attemptErr(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no complete response within the request timeout (%s): %w", c.cfg.RequestTimeout, err)
	}
	return err
}

// buildTarget returns the full URL and the body to send.
func (c *Client) buildTarget(method string, req Request) (target string, body []byte, hasBody bool, err error) {
	path, rawQuery, _ := strings.Cut(req.Path, "?")
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	target = c.cfg.BaseURL + path
	if _, err := url.Parse(target); err != nil {
		return "", nil, false, fmt.Errorf("invalid request path: %w", err)
	}
	bodyMethod := method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
	if !bodyMethod && len(req.Params) > 0 {
		if rawQuery != "" {
			rawQuery += "&"
		}
		rawQuery += req.Params.Encode()
	}
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	switch {
	case req.RawBody != nil:
		return target, req.RawBody, true, nil
	case bodyMethod:
		return target, []byte(req.Params.Encode()), true, nil
	}
	return target, nil, false, nil
}

func (c *Client) buildHeader(method string, req Request) http.Header {
	h := http.Header{}
	h.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.StripeVersion != "" {
		h.Set("Stripe-Version", c.cfg.StripeVersion)
	}
	key := c.cfg.APIKey
	if req.Auth != nil {
		key = *req.Auth
	}
	if key != "" {
		if req.BasicAuth {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
		} else {
			h.Set("Authorization", "Bearer "+key)
		}
	}
	if method == http.MethodPost && req.RawBody == nil {
		// Even with an empty body: stripe-mock refuses a POST without Content-Type.
		h.Set("Content-Type", formContentType)
	}
	if !isSafeMethod(method) && !req.NoIdempotencyKey {
		idem := req.IdempotencyKey
		if idem == "" && method == http.MethodPost {
			idem = c.NewIdempotencyKey()
		}
		if idem != "" {
			h.Set("Idempotency-Key", idem)
		}
	}
	for k, vs := range req.Header {
		ck := http.CanonicalHeaderKey(k)
		if len(vs) == 0 {
			h.Del(ck)
			continue
		}
		h[ck] = append([]string(nil), vs...)
	}
	return h
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// shouldRetry says whether a response may be retried (when the request is safe to repeat), and whether it is a rate
// limit, whose retries are not counted against MaxRetries. Stripe-Should-Retry decides when present, as in Stripe's
// libraries; otherwise 429 and 503 are retried. A 429 lock_timeout (another request holds the object) gets
// MaxRetries, as in Stripe's libraries (stripe-go's MaxNetworkRetries); any other 429 (rate_limit) is a rate limit:
// unlike stripe-go, which does not retry it, the suite does, up to MaxRateLimitRetries, since it paces itself and a
// spec must not fail because the account's limit was reached.
func shouldRetry(status int, h http.Header, body []byte) (retry, limited bool) {
	limited = status == http.StatusTooManyRequests && errorCode(status, body) != "lock_timeout"
	switch strings.TrimSpace(h.Get("Stripe-Should-Retry")) {
	case "false":
		return false, false
	case "true":
		return true, limited
	}
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable, limited
}

// leavesTime reports whether waiting d still leaves at least half of the time ctx has left (always, without a
// deadline).
func leavesTime(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || d <= time.Until(deadline)/2
}

// errorCode is a 429's error.code (rate_limit, lock_timeout), or "".
func errorCode(status int, body []byte) string {
	if status != http.StatusTooManyRequests {
		return ""
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Code
}

// retryDelay is the wait before retry number `attempt` (1-based): Retry-After when the response has one (capped at
// MaxRetryAfter), otherwise base*2^(attempt-1) capped at MaxBackoff, with "equal jitter" (between half and all of it).
func retryDelay(attempt int, base time.Duration, h http.Header) time.Duration {
	if ra, ok := parseRetryAfter(h); ok {
		return min(ra, MaxRetryAfter)
	}
	d := base
	for i := 1; i < attempt && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + mrand.N(half+1)
}

func parseRetryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// sleep waits d unless ctx ends first; it gives up at once when the deadline would pass during the wait.
func sleep(ctx context.Context, d time.Duration) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return 0, fmt.Errorf("retry delay %s would pass the context deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	return wait(ctx, d)
}

// wait sleeps for d or until ctx is done, and returns how long it slept.
func wait(ctx context.Context, d time.Duration) (time.Duration, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	start := time.Now()
	select {
	case <-t.C:
		return time.Since(start), nil
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	}
}

// isConnectionError reports whether err means the connection failed (refused, reset, closed before a complete
// response), as opposed to a timeout, a cancelled context or an oversized body.
func isConnectionError(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBodyTooLarge) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	for _, target := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, io.EOF, io.ErrUnexpectedEOF, net.ErrClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset", "broken pipe", "server closed", "connection refused", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
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
