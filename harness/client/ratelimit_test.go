package client

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

// The limiter's schedule, checked against a fake clock: exact, no wall-clock timing involved.
func TestLimiterSchedule(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(10, 3) // one token per 100ms, 3 banked
	l.now = func() time.Time { return now }
	var got []time.Duration
	for i := 0; i < 6; i++ {
		got = append(got, l.reserve())
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reservations at one instant: %v, want %v", got, want)
		}
	}
	// After a long idle period the bucket is full again, but never fuller than the burst.
	now = now.Add(10 * time.Second)
	for i, w := range []time.Duration{0, 0, 0, 100 * time.Millisecond} {
		if d := l.reserve(); d != w {
			t.Fatalf("after idle, reservation %d waits %s, want %s", i, d, w)
		}
	}
	// A cancelled reservation gives its slot back.
	l.cancel()
	if d := l.reserve(); d != 100*time.Millisecond {
		t.Fatalf("after cancel, wait %s, want 100ms", d)
	}

	// Burst 1 spaces requests evenly.
	l1 := newLimiter(4, 0)
	l1.now = func() time.Time { return now }
	for i := 0; i < 4; i++ {
		if d := l1.reserve(); d != time.Duration(i)*250*time.Millisecond {
			t.Fatalf("burst 1: reservation %d waits %s", i, d)
		}
	}
	if newLimiter(0, 5) != nil {
		t.Error("RateLimit 0 must mean no limiter")
	}
}

// Concurrent goroutines through one client and its WithRecorder copy: the server-side arrival span must be at least
// what the rate allows (a lower bound, so a slow machine cannot make it fail).
func TestRateLimitAcrossGoroutines(t *testing.T) {
	rs := newRecServer(t, nil)
	const rate, n = 25.0, 12
	c := newTestClient(t, rs.URL, func(c *Config) { c.RateLimit = rate })
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
	c := newTestClient(t, rs.URL, func(c *Config) { c.RateLimit = 0.2 }) // one request per 5s
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
