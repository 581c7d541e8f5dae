package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/perf"
	"github.com/pi-conformance/suite/harness/reference"
)

// The rate-limited run: the suite with `ginkgo --procs P` against a reference behind an account-wide limit, as
// Stripe's test mode has one (25 requests per second for the whole account), with the suite's rate_limit set to
// the same 25. Every parallel process shares that one budget, so the run stays under the account's limit: few or no
// 429s, no failed spec, and a wall time close to requests / rate.
const (
	accountRate      = config.StripeTestRateLimit // requests per second for the whole account
	goalAccountRatio = 1.2                        // wall time against requests / rate
)

// accountLimiter answers like Stripe's rate limiter: a request over the account's budget gets 429 with code
// rate_limit before the API sees it. Its bucket holds no more than the suite's own (client.DefaultRateBurst): a
// limit no more lenient than the suite's pacing, so any excess shows as 429s.
type accountLimiter struct {
	next             http.Handler
	lim              *rate.Limiter
	served, rejected atomic.Int64
}

func newAccountLimiter(next http.Handler, perSecond float64, burst int) *accountLimiter {
	return &accountLimiter{next: next, lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// stripeRateLimitBody is Stripe's body for a request over the rate limit (type and message as Stripe sends them).
const stripeRateLimitBody = `{"error":{"code":"rate_limit","doc_url":"https://stripe.com/docs/error-codes/rate-limit",` +
	`"message":"Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",` +
	`"type":"invalid_request_error"}}`

func (a *accountLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.lim.Allow() {
		a.rejected.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_ratelimited"+strconv.FormatInt(a.rejected.Load(), 10))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, stripeRateLimitBody)
		return
	}
	a.served.Add(1)
	a.next.ServeHTTP(w, r)
}

func (p *runner) rateLimitedSection(ctx context.Context) section {
	s := section{key: "ratelimited", title: sectionTitles["ratelimited"]}
	ginkgo, err := commandOutput(ctx, p.root, 5*time.Minute, p.goBin, "tool", "-n", "ginkgo")
	if err != nil {
		s.err = fmt.Errorf("locating ginkgo (the module's tool dependency): %w", err)
		return s
	}
	acct := newAccountLimiter(reference.New(reference.Options{}), accountRate, client.DefaultRateBurst)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.err = err
		return s
	}
	srv := &http.Server{Handler: acct, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	target := "http://" + ln.Addr().String()

	procs := p.opts.procs
	p.progress("ratelimited: ginkgo run --procs %d, rate_limit %g, against the reference behind an account-wide %g/s limit", procs, accountRate, accountRate)
	report := filepath.Join(p.work, "ratelimited.json")
	c := child{
		name: "ratelimited",
		args: []string{ginkgo, "run", "--procs=" + strconv.Itoa(procs), "--no-color", "--json-report=" + report, "--timeout=3m", p.suite},
		dir:  p.work,
		env: p.suiteEnv("ratelimited", "CONFORMANCE_TARGET_URL="+target, "CONFORMANCE_API_KEY="+config.DefaultReferenceAPIKey,
			"CONFORMANCE_PROFILE=reference", "CONFORMANCE_RATE_LIMIT="+strconv.FormatFloat(accountRate, 'g', -1, 64)),
		timeout: 4 * time.Minute,
	}
	_, run, err := runForReport(ctx, c, p.work, report)
	if err != nil {
		s.err = err
		return s
	}
	served, rejected := acct.served.Load(), acct.rejected.Load()
	bound := time.Duration(float64(served) / accountRate * float64(time.Second))
	wall := run.Wall()
	ratio := perf.Ratio(float64(wall), float64(bound))
	t := run.Totals()
	s.rows = append(s.rows,
		row{
			figure:   fmt.Sprintf("429 rate_limit answers from the account's limit (%g/s, bucket of %d), %d processes sharing rate_limit %g", accountRate, client.DefaultRateBurst, procs, accountRate),
			measured: fmt.Sprintf("%d of %d requests (%d served; the suite's retries: %d)", rejected, served+rejected, served, t.Attempts-t.Requests),
		},
		row{
			figure:   "Failed specs",
			measured: fmt.Sprintf("**%d** of %d", run.Failed, len(run.Specs)),
			goal:     "0",
			met:      verdict(run.Failed == 0 && run.Succeeded),
		},
		row{
			figure:   fmt.Sprintf("Wall time (merged report start → end) against the bound: served requests / %g per second", accountRate),
			measured: fmt.Sprintf("%s / (%d / %g = %s) = **%s**", fmtDur(wall), served, accountRate, fmtDur(bound), fmtX(ratio)),
			goal:     "≤ " + fmtX(goalAccountRatio),
			met:      verdict(ratio <= goalAccountRatio),
		},
		row{
			figure:   "Time the specs waited for the shared budget, and in backoff",
			measured: fmt.Sprintf("throttled %s, backoff %s (summed over the specs)", fmtDur(t.Throttle), fmtDur(t.Backoff)),
		},
	)
	return s
}
