// Package framework is what every spec of the suite stands on: the configured target (or the embedded reference),
// the client, the schema validator, a per-spec Session that records every exchange, validates every response and
// cleans up what the spec created, and the outcome conventions the reports read.
package framework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/reference"
	"github.com/pi-conformance/suite/harness/schema"
)

// Framework is built once per suite process.
type Framework struct {
	Config config.Config
	Client *client.Client
	Schema *schema.Validator
	// RunID tags every object this run creates (metadata[conformance_run]).
	RunID string
	// TargetURL is the URL actually used (the embedded reference's when Config.TargetURL is empty).
	TargetURL string
}

// RunMetadataKey is the metadata key that tags every object the run creates.
const RunMetadataKey = "conformance_run"

// NewRunID returns a fresh run id.
func NewRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// ClientOption changes the client New builds (its own type: Option adjusts one request).
type ClientOption func(*client.Config) error

// SharedBudget makes the client take its rate-limit tokens from the run's shared bucket at url (Budget.URL, passed
// from process 1); "" keeps the in-process limit of cfg.RateLimit (a serial run, or no limit).
func SharedBudget(url string) ClientOption {
	return func(cc *client.Config) error {
		if url == "" {
			return nil
		}
		rb, err := client.NewRemoteBucket(url)
		if err != nil {
			return err
		}
		cc.Throttle = rb
		return nil
	}
}

// New builds the framework for a target URL (already resolved: the embedded reference's URL when
// cfg.TargetURL is empty).
func New(cfg config.Config, targetURL, runID string, opts ...ClientOption) (*Framework, error) {
	v, err := schema.Default()
	if err != nil {
		return nil, err
	}
	cc := cfg.ClientConfig(targetURL)
	if cc.StripeVersion == "" {
		cc.StripeVersion = v.Version
	}
	cc.UserAgent = "pi-conformance-suite/" + SuiteVersion()
	for _, o := range opts {
		if err := o(&cc); err != nil {
			return nil, err
		}
	}
	c, err := client.New(cc)
	if err != nil {
		return nil, err
	}
	return &Framework{Config: cfg, Client: c, Schema: v, RunID: runID, TargetURL: targetURL}, nil
}

// Budget is the run's request budget (config rate_limit), served by Ginkgo process 1 on loopback so that every
// parallel process takes its tokens from one bucket: splitting the rate evenly would strand an idle process's share
// and leave no process room for a burst of racing requests.
type Budget struct {
	srv *client.BucketServer
}

// StartBudget serves cfg.RateLimit for a run of procs parallel processes. It returns nil (and no error) when the
// run is unlimited or serial: a serial process keeps its in-process limit.
func StartBudget(cfg config.Config, procs int) (*Budget, error) {
	if cfg.RateLimit <= 0 || procs <= 1 {
		return nil, nil
	}
	srv, err := client.ServeBucket(cfg.RateLimit, client.DefaultRateBurst)
	if err != nil {
		return nil, fmt.Errorf("serving the run's rate limit to the parallel processes: %w", err)
	}
	return &Budget{srv: srv}, nil
}

// URL is what SharedBudget needs; "" for a nil Budget.
func (b *Budget) URL() string {
	if b == nil {
		return ""
	}
	return b.srv.URL()
}

// Stop stops serving the budget (after every process has finished).
func (b *Budget) Stop() {
	if b != nil {
		_ = b.srv.Close()
	}
}

// Embedded is a reference target served on loopback for this run.
type Embedded struct {
	URL    string
	server *http.Server
	ref    *reference.Server
	ln     net.Listener
}

// StartEmbedded serves the reference target on 127.0.0.1 (a free port) and returns its URL.
func StartEmbedded(opts reference.Options) (*Embedded, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the embedded reference target: %w", err)
	}
	ref := reference.New(opts)
	srv := &http.Server{Handler: ref, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Embedded{URL: "http://" + ln.Addr().String(), server: srv, ref: ref, ln: ln}, nil
}

// Stop shuts the embedded target down.
func (e *Embedded) Stop() {
	if e != nil && e.server != nil {
		_ = e.server.Close()
		_ = e.ref.Close() // stops webhook deliveries in flight
	}
}

// TargetHost is the target's host for reports (never the key, never a path).
func (f *Framework) TargetHost() string {
	u := f.TargetURL
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if at := strings.LastIndex(u, "@"); at >= 0 {
		u = u[at+1:]
	}
	return u
}

// Preflight reads (never writes) one PaymentIntent of the account before any spec creates anything, and reports an
// error when the target shows live-mode data, so that a live account is refused before the first write. A target
// that cannot answer the read is not judged here: the specs will say what is wrong.
func (f *Framework) Preflight(ctx context.Context) error {
	r, err := f.Client.Do(ctx, client.Request{Method: "GET", Path: "/v1/payment_intents", Params: client.Params{"limit": {"1"}}})
	if err != nil || r.Status != 200 {
		return nil
	}
	obj, _ := r.JSON()
	if LiveMode(obj) {
		return fmt.Errorf("the target's PaymentIntents list shows livemode: true — the suite only runs against test mode and sent nothing else")
	}
	return nil
}
