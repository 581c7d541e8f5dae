package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Events and webhooks (issue 14): the polling window of the events column and the receiver of the webhooks column.
// Kept in this file, beside the rest of the configuration, so that the two columns' settings read as one block.

// Capabilities of the events and webhooks columns.
const (
	CapEvents   = "events"   // GET /v1/events lists the events of the account's changes (stripe-mock: fixtures only)
	CapWebhooks = "webhooks" // the target delivers signed events to an endpoint the suite registers or is given
	// CapWebhookRetries: a refused delivery is retried within seconds (the reference; Stripe retries over hours).
	CapWebhookRetries = "webhook_retries"
)

// Environment variables of the webhooks column.
const (
	// EnvWebhookURL overrides webhook_url: the public URL the target delivers to (a tunnel to webhook_listen).
	EnvWebhookURL = "CONFORMANCE_WEBHOOK_URL"
	// EnvWebhookListen overrides webhook_listen.
	EnvWebhookListen = "CONFORMANCE_WEBHOOK_LISTEN"
	// EnvWebhookSecret is the signing secret of an endpoint the suite does not create (Stripe CLI mode: the whsec_
	// that `stripe listen --forward-to <receiver URL>` prints). Never read from the file.
	EnvWebhookSecret = "CONFORMANCE_WEBHOOK_SECRET"
	// EnvEventsTimeout overrides events_timeout.
	EnvEventsTimeout = "CONFORMANCE_EVENTS_TIMEOUT"
)

// Defaults of the events and webhooks settings.
const (
	DefaultEventsTimeout  = 10 * time.Second
	DefaultWebhookTimeout = 30 * time.Second
	DefaultWebhookListen  = "127.0.0.1:0"
	// WebhookPath is where the receiver takes deliveries (the path of the URL it registers).
	WebhookPath = "/webhook"
)

// EventsConfig is the events and webhooks block of Config (inlined: its keys are top-level keys of the file).
type EventsConfig struct {
	// EventsTimeout bounds the wait for an event to be listed by GET /v1/events, and the window in which a refused
	// cancel must list none. Default 10s. Env: CONFORMANCE_EVENTS_TIMEOUT.
	EventsTimeout Duration `yaml:"events_timeout"`
	// ProcessingTimeout is the deprecated name of events_timeout (it was never read under its old meaning); when it
	// is set and events_timeout is not, it applies.
	ProcessingTimeout Duration `yaml:"processing_timeout"`
	// WebhookListen is the address the receiver listens on (process 1 of the run). Default "127.0.0.1:0" (a free
	// loopback port: the embedded reference, or a target on this machine). Env: CONFORMANCE_WEBHOOK_LISTEN.
	WebhookListen string `yaml:"webhook_listen"`
	// WebhookURL is the URL the target delivers to, when it is not the receiver's own address (a tunnel to
	// webhook_listen). Default "": http://<webhook_listen>/webhook. Env: CONFORMANCE_WEBHOOK_URL.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookTimeout bounds the wait for a delivery after a cancel. Default 30s.
	WebhookTimeout Duration `yaml:"webhook_timeout"`
	// WebhookSecret, from CONFORMANCE_WEBHOOK_SECRET only, is the signing secret of an endpoint the suite does not
	// create (Stripe CLI mode); when set, the suite registers no endpoint.
	WebhookSecret string `yaml:"-"`
}

func defaultEventsConfig() EventsConfig {
	return EventsConfig{
		EventsTimeout:  Duration{DefaultEventsTimeout},
		WebhookListen:  DefaultWebhookListen,
		WebhookTimeout: Duration{DefaultWebhookTimeout},
	}
}

// withEventCapabilities adds the events and webhooks capabilities to the built-in profiles.
func withEventCapabilities(p map[string]Profile) map[string]Profile {
	set := map[string]map[string]bool{
		"reference": {CapEvents: true, CapWebhooks: true, CapWebhookRetries: true},
		// Webhooks need a URL Stripe can reach (webhook_url) or `stripe listen` (CONFORMANCE_WEBHOOK_SECRET);
		// without either the column is reported disabled (WebhooksUnreachable).
		"stripe-test": {CapEvents: true, CapWebhooks: true, CapWebhookRetries: false},
		// stripe-mock answers GET /v1/events with a fixture and delivers nothing: it is stateless.
		"stripe-mock": {CapEvents: false, CapWebhooks: false, CapWebhookRetries: false},
	}
	for name, caps := range set {
		for k, v := range caps {
			p[name].Capabilities[k] = v
		}
	}
	return p
}

// resolve applies the environment and the deprecated alias (called by load after the file).
func (e *EventsConfig) resolve(getenv func(string) string) error {
	if e.ProcessingTimeout.Duration > 0 && e.EventsTimeout.Duration == DefaultEventsTimeout {
		e.EventsTimeout = e.ProcessingTimeout
	}
	if v := getenv(EnvEventsTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("config: %s=%q is not a duration (e.g. 10s): %v", EnvEventsTimeout, v, err)
		}
		e.EventsTimeout = Duration{d}
	}
	if v := getenv(EnvWebhookURL); v != "" {
		e.WebhookURL = v
	}
	if v := getenv(EnvWebhookListen); v != "" {
		e.WebhookListen = v
	}
	e.WebhookSecret = getenv(EnvWebhookSecret)
	return nil
}

// problems lists what is wrong with the block (Validate adds them).
func (e EventsConfig) problems() []string {
	var out []string
	if e.EventsTimeout.Duration <= 0 {
		out = append(out, "events_timeout must be positive")
	}
	if e.ProcessingTimeout.Duration < 0 {
		out = append(out, "processing_timeout must not be negative (it is the deprecated name of events_timeout)")
	}
	if e.WebhookTimeout.Duration <= 0 {
		out = append(out, "webhook_timeout must be positive")
	}
	if _, _, err := net.SplitHostPort(e.WebhookListen); err != nil {
		out = append(out, fmt.Sprintf("webhook_listen %q is not host:port", e.WebhookListen))
	}
	if e.WebhookURL != "" {
		if u, err := url.Parse(e.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			out = append(out, fmt.Sprintf("webhook_url %q is not an http(s) URL", e.WebhookURL))
		}
	}
	if e.WebhookSecret != "" && !strings.HasPrefix(e.WebhookSecret, "whsec_") {
		out = append(out, EnvWebhookSecret+" does not look like a webhook signing secret (whsec_…)")
	}
	return out
}

// WebhooksUnreachable says why the webhooks column cannot run although the profile enables it ("" when it can):
// a remote target cannot reach a receiver on this machine's loopback unless webhook_url names a public URL for it,
// or a configured secret says `stripe listen` forwards the deliveries.
func (c Config) WebhooksUnreachable() string {
	if c.Embedded() || c.WebhookURL != "" || c.WebhookSecret != "" {
		return ""
	}
	u, err := url.Parse(c.TargetURL)
	if err == nil {
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return ""
		}
	}
	return "the target is not on this machine and neither webhook_url (" + EnvWebhookURL + ") nor " + EnvWebhookSecret +
		" (stripe listen) is configured, so it cannot deliver to the suite's receiver"
}
