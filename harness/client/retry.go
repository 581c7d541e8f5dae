package client

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// outgoing is one call's request, built once and sent on every attempt.
type outgoing struct {
	method, target string
	header         http.Header
	body           []byte
	hasBody        bool
	canRetry       bool // retries are allowed and the request is safe to repeat (GET, or a POST with an Idempotency-Key)
	race           *Race
}

// send makes the attempts of one call: a rate-limit token before each, and the retries that shouldRetry and the
// budgets allow, each logged in ex.RetryLog. It returns the last answer, or nil and the last attempt's error (with why
// retrying stopped, when it did).
func (c *Client) send(ctx context.Context, o outgoing, ex *Exchange, red func(string) string) (*attemptResult, error) {
	var (
		last      *attemptResult
		lastErr   error
		limitWait time.Duration // backoff spent on rate-limit retries past MaxRetries, in this call
	)
	for attempt := 1; ; attempt++ {
		if werr := c.takeToken(ctx, attempt, o.race); werr != nil {
			if last == nil && lastErr == nil {
				lastErr = werr
			} else if lastErr != nil {
				lastErr = fmt.Errorf("%w; stopped retrying: %w", lastErr, werr)
			}
			break
		}
		ex.Attempts = attempt
		c.stats.attempts.Add(1)
		res, aerr := c.attempt(ctx, o.method, o.target, o.header, o.body, o.hasBody)
		c.stats.wait.Add(int64(res.elapsed))

		var delay time.Duration
		if aerr == nil {
			last, lastErr = &res, nil
			retry := false
			if delay, retry = c.retryAnswer(ctx, ex, attempt, &res, o.canRetry, &limitWait); !retry {
				break
			}
		} else {
			last, lastErr = nil, aerr
			if !o.canRetry || attempt > c.maxRetries || !isConnectionError(ctx, aerr) {
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
	return last, lastErr
}

// takeToken waits for the rate limiter's token before an attempt; the first attempt of a Race request takes its
// token with the race.
func (c *Client) takeToken(ctx context.Context, attempt int, race *Race) error {
	var throttled time.Duration
	var werr error
	joined := false
	if attempt == 1 && race != nil {
		throttled, joined, werr = race.join(ctx, c.throttle)
	}
	if !joined {
		throttled, werr = throttle(ctx, c.throttle, 1)
	}
	c.stats.throttle.Add(int64(throttled))
	return werr
}

// retryAnswer decides whether attempt's HTTP answer res is retried, and after what backoff; it logs a retry (or a
// rate limit given up on) in ex.RetryLog. limitWait sums the backoff spent on rate-limit retries past MaxRetries.
func (c *Client) retryAnswer(ctx context.Context, ex *Exchange, attempt int, res *attemptResult, canRetry bool, limitWait *time.Duration) (time.Duration, bool) {
	retry, limited := shouldRetry(res.status, res.header, res.body)
	if !retry || !canRetry || (attempt > c.maxRetries && !(limited && attempt <= MaxRateLimitRetries)) {
		return 0, false
	}
	delay := retryDelay(attempt, c.cfg.RetryBackoff, res.header)
	if limited && attempt > c.maxRetries && (!leavesTime(ctx, delay) || c.cfg.RequestTimeout > 0 && *limitWait+delay > c.cfg.RequestTimeout) {
		// Past the ordinary retries, a rate limit is waited out for at most one request timeout in all, and
		// only while half the caller's time remains: a limit that never lifts ends in its own 429 answer,
		// naming the request, not in the caller's timeout.
		ex.RetryLog = append(ex.RetryLog, fmt.Sprintf("attempt %d: %s; not retrying: the rate limit did not lift within the wait allowed (%s)",
			attempt, statusLine(res.status), c.cfg.RequestTimeout))
		return 0, false
	}
	if limited && attempt > c.maxRetries {
		*limitWait += delay
	}
	note := ""
	if code := errorCode(res.status, res.body); code != "" {
		note = " (" + truncate(code, 40) + ")"
	}
	ex.RetryLog = append(ex.RetryLog, fmt.Sprintf("attempt %d: %s%s; retrying in %s", attempt, statusLine(res.status), note, delay.Round(time.Millisecond)))
	return delay, true
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
