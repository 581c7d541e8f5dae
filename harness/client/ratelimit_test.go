package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The bucket's schedule, checked against a fake clock: exact, no wall-clock timing involved.
func TestBucketSchedule(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBucket(10, 3) // one token per 100ms, 3 banked
	var got []time.Duration
	for i := 0; i < 6; i++ {
		got = append(got, b.l.ReserveN(now, 1).DelayFrom(now))
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reservations at one instant: %v, want %v", got, want)
		}
	}
	// After a long idle period the bucket is full again, but never fuller than the burst; three tokens at once.
	now = now.Add(10 * time.Second)
	if d := b.l.ReserveN(now, 3).DelayFrom(now); d != 0 {
		t.Fatalf("after idle, 3 tokens together wait %s", d)
	}
	if d := b.l.ReserveN(now, 1).DelayFrom(now); d != 100*time.Millisecond {
		t.Fatalf("after the burst, wait %s, want 100ms", d)
	}
	if NewBucket(0, 5) != nil {
		t.Error("RateLimit 0 must mean no bucket")
	}
	if err := b.WaitN(context.Background(), 4); err == nil || !strings.Contains(err.Error(), "holds 3 tokens") {
		t.Errorf("4 tokens from a bucket of 3: %v", err)
	}
}

// Concurrent goroutines through one client and its WithRecorder copy: the server-side arrival span must be at least
// what the rate allows (a lower bound, so a slow machine cannot make it fail).
func TestRateLimitAcrossGoroutines(t *testing.T) {
	rs := newRecServer(t, nil)
	const rate, n = 25.0, 12
	c := newTestClient(t, rs.URL, func(c *Config) { c.RateLimit, c.RateBurst = rate, 1 })
	cp := c.WithRecorder(NewRecorder())
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cl := c
			if i%2 == 0 {
				cl = cp
			}
			if _, err := cl.Do(context.Background(), Request{Method: "GET", Path: "/x"}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	reqs := rs.requests()
	if len(reqs) != n {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	at := make([]time.Time, n)
	for i, r := range reqs {
		at[i] = r.At
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	minSpan := time.Duration(float64(n-1) / rate * float64(time.Second))
	// Allow 10% for timer/arrival jitter; an unlimited client does this in a few milliseconds.
	if span := at[n-1].Sub(at[0]); span < minSpan*9/10 {
		t.Errorf("%d requests arrived within %s; at %g/s they need at least %s", n, span, rate, minSpan)
	}
	// Count check: no 100ms window holds more requests than burst + rate×window (+1 for jitter).
	window := 0.1 // seconds
	maxIn := 1 + int(rate*window) + 1
	for i := range at {
		k := i
		for k < n && at[k].Sub(at[i]) < 100*time.Millisecond {
			k++
		}
		if k-i > maxIn {
			t.Errorf("%d requests within 100ms from #%d (max %d)", k-i, i, maxIn)
			break
		}
	}
	if s := c.Stats(); s.ThrottleTime <= 0 || s.Attempts != n {
		t.Errorf("stats %+v", s)
	}
}

func TestRateLimitWaitRespectsContext(t *testing.T) {
	rs := newRecServer(t, nil)
	c := newTestClient(t, rs.URL, func(c *Config) { c.RateLimit, c.RateBurst = 0.2, 1 }) // one request per 5s
	mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/first"})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, "/second", nil)
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline TransportError, got %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("waited %s for a 100ms context", el)
	}
	if len(rs.requests()) != 1 || te.Exchange.Attempts != 0 {
		t.Errorf("the second request was sent (server saw %d, attempts %d)", len(rs.requests()), te.Exchange.Attempts)
	}

	// Cancellation while waiting also ends the wait.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	start = time.Now()
	if _, err := c.Get(ctx2, "/third", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled, got %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("cancelled wait took %s", el)
	}
}

// barrierServer answers each request only once want requests have arrived (or after a bounded wait), and says in
// the body whether the barrier was reached: a request spaced out by the rate limit arrives too late to be "together".
func barrierServer(t *testing.T, want int) *recServer {
	t.Helper()
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	return newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == want {
			close(all)
		}
		mu.Unlock()
		together := true
		select {
		case <-all:
		case <-time.After(2 * time.Second): // bounded: a spaced-out request never sees the others
			together = false
		}
		_, _ = fmt.Fprintf(w, `{"together":%t}`, together)
	})
}

// race sends n requests through c as one Race and returns their bodies.
func race(t *testing.T, c *Client, n int) []string {
	t.Helper()
	rc := NewRace(n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := c.Do(context.Background(), Request{Method: "POST", Path: "/race", Race: rc})
			if err != nil {
				t.Error(err)
				return
			}
			bodies[i] = string(r.Body)
		}(i)
	}
	wg.Wait()
	return bodies
}

// A Race takes the tokens of all its requests in one reservation and sends them together, even when the rate alone
// would space them a second apart; the bucket is charged for every one of them.
func TestRaceTakesItsTokensTogether(t *testing.T) {
	const n = 5
	rs := barrierServer(t, n)
	b := NewBucket(1, n) // one token a second
	rec := &recordingThrottle{t: b}
	c := newTestClient(t, rs.URL, func(c *Config) { c.Throttle = rec })
	for i, body := range race(t, c, n) {
		if body != `{"together":true}` {
			t.Errorf("racing request %d was not in flight with the others: %s", i, body)
		}
	}
	if got := rec.calls(); len(got) != 1 || got[0] != n {
		t.Errorf("a race of %d asked the bucket for %v tokens; want one reservation of %d", n, got, n)
	}
	if tok := b.Tokens(); tok >= 1 {
		t.Errorf("the bucket still holds %.2f tokens after a race of %d: the racing requests were not charged", tok, n)
	}
	// A member beyond n pays for itself: the bucket is empty, so it cannot leave within 100ms.
	rc := NewRace(1)
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, _ = rc.join(short, b) // the first member takes the race's one token (or times out)
	if _, err := c.Do(short, Request{Method: "GET", Path: "/extra", Race: rc}); err == nil {
		t.Error("a request beyond the race's size went out without a token")
	}
}

// A 429 rate_limit is retried past MaxRetries, within MaxRateLimitRetries; a 429 lock_timeout gets MaxRetries, as in
// Stripe's libraries. The retry log names the error code.
func TestRetry429UnderASustainedLimit(t *testing.T) {
	for code, attempts := range map[string]int{"rate_limit": 7, "lock_timeout": 3} {
		rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n <= 6 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(429)
				_, _ = fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","code":%q}}`, code)
				return
			}
			_, _ = io.WriteString(w, `{}`)
		})
		c := newTestClient(t, rs.URL, nil) // default MaxRetries 2
		r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/payment_intents/pi_1/cancel"})
		if want := map[bool]int{true: 200, false: 429}[attempts == 7]; r.Status != want || r.Exchange.Attempts != attempts {
			t.Errorf("%s: status %d after %d attempts; want %d after %d", code, r.Status, r.Exchange.Attempts, want, attempts)
		}
		if len(r.Exchange.RetryLog) == 0 || !strings.Contains(r.Exchange.RetryLog[0], "429 Too Many Requests ("+code+")") {
			t.Errorf("%s: retry log %q", code, r.Exchange.RetryLog)
		}
	}

	// Never more than MaxRateLimitRetries retries, even without a deadline.
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(429)
	})
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/x"})
	if r.Status != 429 || len(rs.requests()) != MaxRateLimitRetries+1 {
		t.Errorf("status %d, server saw %d requests; want %d", r.Status, len(rs.requests()), MaxRateLimitRetries+1)
	}
	// MaxRetries -1 means no retry at all, 429 included; a POST without an Idempotency-Key is never retried.
	for name, mod := range map[string]func(*Config){"MaxRetries -1": func(c *Config) { c.MaxRetries = -1 }, "no key": nil} {
		rs := newRecServer(t, statusThen(429, 429))
		c := newTestClient(t, rs.URL, mod)
		req := Request{Method: "GET", Path: "/x"}
		if mod == nil {
			req = Request{Method: "POST", Path: "/x", NoIdempotencyKey: true}
		}
		if r := mustDo(t, c, context.Background(), req); r.Status != 429 || len(rs.requests()) != 1 {
			t.Errorf("%s: status %d, server saw %d requests", name, r.Status, len(rs.requests()))
		}
	}
}

// Stripe-Should-Retry decides when present: false stops the retries of a 429 or 503, true retries a 409.
func TestStripeShouldRetry(t *testing.T) {
	for _, tc := range []struct {
		status   int
		header   string
		attempts int
	}{
		{429, "false", 1}, {503, "false", 1}, {409, "true", 3}, {429, "", MaxRateLimitRetries + 1}, {409, "", 1},
	} {
		rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if tc.header != "" {
				w.Header().Set("Stripe-Should-Retry", tc.header)
			}
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(tc.status)
		})
		c := newTestClient(t, rs.URL, nil)
		r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/x"})
		if r.Status != tc.status || len(rs.requests()) != tc.attempts {
			t.Errorf("%d with Stripe-Should-Retry %q: status %d, server saw %d requests, want %d", tc.status, tc.header, r.Status, len(rs.requests()), tc.attempts)
		}
	}
}

// recordingThrottle records the size of every WaitN.
type recordingThrottle struct {
	t  Throttle
	mu sync.Mutex
	ns []int
}

func (r *recordingThrottle) WaitN(ctx context.Context, n int) error {
	r.mu.Lock()
	r.ns = append(r.ns, n)
	r.mu.Unlock()
	return r.t.WaitN(ctx, n)
}

func (r *recordingThrottle) calls() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.ns...)
}

// A rate limit that never lifts ends in its own 429, naming the request, after at most one request timeout of
// backoff past MaxRetries: not in the spec's timeout.
func TestRateLimitWaitIsBounded(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"rate_limit"}}`)
	})
	c := newTestClient(t, rs.URL, func(c *Config) { c.RequestTimeout = 1500 * time.Millisecond })
	r := mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/x"})
	// MaxRetries (2) waits of Retry-After, then one more within the 1.5 s allowed past them: 4 attempts.
	if r.Status != 429 || r.Exchange.Attempts != 4 {
		t.Errorf("status %d after %d attempts; want 429 after 4", r.Status, r.Exchange.Attempts)
	}
	if last := r.Exchange.RetryLog[len(r.Exchange.RetryLog)-1]; !strings.Contains(last, "did not lift") {
		t.Errorf("retry log %q", r.Exchange.RetryLog)
	}
}
