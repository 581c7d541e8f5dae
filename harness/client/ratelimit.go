package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Rate limit defaults.
const (
	// MaxRateLimitRetries bounds the retries of a 429 rate_limit, which go on past MaxRetries: under
	// a sustained limit a request waits its turn, as long as its context allows (sleep refuses a delay past the
	// deadline).
	MaxRateLimitRetries = 12
	// DefaultRateBurst is the bucket size when RateLimit is set: room for the largest group of requests that must
	// race (five concurrent cancels), which take their tokens together (Race).
	DefaultRateBurst = 5
)

// Throttle hands out request tokens. WaitN blocks until n tokens can be taken together and takes them, or returns an
// error and takes none (the context ended, its deadline would pass first, or n is more than the bucket holds). A
// client takes one token per HTTP attempt, and the n tokens of a Race at once.
//
// Two implementations: the in-process bucket that Config.RateLimit builds (NewBucket), and RemoteBucket, a client of
// a bucket that another process serves (ServeBucket) so that parallel processes share one budget.
type Throttle interface {
	WaitN(ctx context.Context, n int) error
}

// Bucket is an in-process token bucket: perSecond tokens a second, at most burst banked (it starts full). The bucket
// arithmetic is golang.org/x/time/rate's; Bucket adds errors that say what went wrong, with context.DeadlineExceeded
// in the chain when the wait would pass the deadline.
type Bucket struct {
	l *rate.Limiter
}

// NewBucket returns a token bucket, or nil when perSecond is 0 or less (no limit). A burst below 1 counts as 1.
func NewBucket(perSecond float64, burst int) *Bucket {
	if perSecond <= 0 {
		return nil
	}
	return &Bucket{l: rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))}
}

// Burst is how many tokens the bucket holds.
func (b *Bucket) Burst() int { return b.l.Burst() }

// Tokens is how many tokens are available now (negative while reservations are waiting).
func (b *Bucket) Tokens() float64 { return b.l.Tokens() }

// WaitN implements Throttle. A cancelled or refused wait gives its tokens back.
func (b *Bucket) WaitN(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("rate limit: cannot take %d tokens", n)
	}
	if n > b.l.Burst() {
		return fmt.Errorf("rate limit: %d requests must leave together but the bucket holds %d tokens (raise the burst)", n, b.l.Burst())
	}
	now := time.Now()
	r := b.l.ReserveN(now, n)
	if !r.OK() {
		return fmt.Errorf("rate limit: %d tokens cannot be reserved", n)
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now) < d {
		r.Cancel()
		return fmt.Errorf("rate limit wait of %s would pass the context deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if _, err := wait(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// throttle takes n tokens from t and returns the time spent waiting for them. A nil t never waits.
func throttle(ctx context.Context, t Throttle, n int) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if t == nil {
		return 0, nil
	}
	start := time.Now()
	err := t.WaitN(ctx, n)
	return time.Since(start), err
}

// Race lets requests that must overlap leave together under the rate limit: the first of them to be sent takes the
// tokens of all n in one reservation, the others wait for that reservation, and then all are sent at once. A request
// joins by setting Request.Race; only its first attempt is covered (retries take their own token). Requests beyond
// the n-th take their own token, so a Race can never spend more than the budget.
type Race struct {
	n       int
	members atomic.Int64
	once    sync.Once
	done    chan struct{}
	err     error
}

// NewRace returns a Race for n requests (at least 1).
func NewRace(n int) *Race { return &Race{n: max(n, 1), done: make(chan struct{})} }

// join waits until the race's tokens are taken (by this member or another) and returns the time it waited. ok is
// false for a member beyond the n-th, which must take its own token.
func (r *Race) join(ctx context.Context, t Throttle) (waited time.Duration, ok bool, err error) {
	if r.members.Add(1) > int64(r.n) {
		return 0, false, nil
	}
	start := time.Now()
	r.once.Do(func() {
		_, r.err = throttle(ctx, t, r.n)
		close(r.done)
	})
	select {
	case <-r.done:
	case <-ctx.Done():
		return time.Since(start), true, ctx.Err()
	}
	if r.err != nil {
		return time.Since(start), true, fmt.Errorf("the tokens of %d racing requests: %w", r.n, r.err)
	}
	return time.Since(start), true, nil
}
