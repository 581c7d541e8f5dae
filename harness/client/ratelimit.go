package client

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limiter is a token bucket written as GCRA (generic cell rate algorithm): one token every interval, at most burst
// tokens banked. It is safe for concurrent use; waits respect the context and a cancelled wait gives its token back.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration // time per token
	tau      time.Duration // (burst-1) * interval: how far ahead of tat a request may run
	tat      time.Time     // theoretical arrival time of the next request
	now      func() time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	interval := time.Duration(float64(time.Second) / perSecond)
	if interval <= 0 {
		interval = 1
	}
	return &limiter{interval: interval, tau: time.Duration(burst-1) * interval, now: time.Now}
}

// reserve books the next slot and returns how long the caller must wait before using it.
func (l *limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	allowAt := tat.Add(-l.tau)
	l.tat = tat.Add(l.interval)
	if d := allowAt.Sub(now); d > 0 {
		return d
	}
	return 0
}

// cancel returns one token booked by reserve and never used.
func (l *limiter) cancel() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tat = l.tat.Add(-l.interval)
}

// wait blocks until the limiter allows one request, and returns the time spent waiting. A nil limiter never waits.
func (l *limiter) wait(ctx context.Context) (time.Duration, error) {
	if l == nil {
		return 0, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d := l.reserve()
	if d == 0 {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		l.cancel()
		return 0, fmt.Errorf("rate limit wait of %s would pass the context deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	slept, err := wait(ctx, d)
	if err != nil {
		l.cancel()
	}
	return slept, err
}
