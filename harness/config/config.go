// Package config is the single source of truth for how a conformance run is configured.
//
// Values come from, in increasing priority:
//
//  1. the defaults documented on each Config field (and the built-in profiles, see DefaultProfiles);
//  2. the repo-root ginkgo.yaml (or the file named by $CONFORMANCE_CONFIG);
//  3. environment variables: CONFORMANCE_TARGET_URL, CONFORMANCE_API_KEY (or the variable named by api_key_env),
//     CONFORMANCE_PROFILE, CONFORMANCE_REPORT_DIR, CONFORMANCE_REFERENCE_DELAY, CONFORMANCE_RATE_LIMIT. An empty
//     variable counts as unset.
//
// rate_limit alone has a fourth source, the active profile's rate_limit: CONFORMANCE_RATE_LIMIT wins, then a
// top-level rate_limit in the file (when the key is there, even 0), then the profile's, then 0 (unlimited).
//
// The API key never comes from the file, and no error or String output ever contains it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/redact"
)

// File names and environment variables.
const (
	FileName = "ginkgo.yaml"

	EnvConfig    = "CONFORMANCE_CONFIG"     // path of the config file; overrides the search for ginkgo.yaml
	EnvTargetURL = "CONFORMANCE_TARGET_URL" // overrides target_url
	EnvAPIKey    = "CONFORMANCE_API_KEY"    // the API key; wins over the variable named by api_key_env
	EnvProfile   = "CONFORMANCE_PROFILE"    // overrides profile
	EnvReportDir = "CONFORMANCE_REPORT_DIR" // overrides report_dir (relative: against the repo root)
	// EnvReferenceDelay overrides reference_delay (a Go duration, e.g. "100ms").
	EnvReferenceDelay = "CONFORMANCE_REFERENCE_DELAY"
	// EnvRateLimit overrides rate_limit and the profile's rate_limit (requests per second; 0 = unlimited).
	EnvRateLimit = "CONFORMANCE_RATE_LIMIT"
)

// Defaults.
const (
	DefaultAPIKeyEnv       = EnvAPIKey
	DefaultReferenceAPIKey = "sk_test_conformance_reference" // used with the embedded reference when no key is set
	DefaultProfile         = "reference"
	DefaultStripeVersion   = "2026-08-26.dahlia"
	DefaultRequestTimeout  = 15 * time.Second
	DefaultSpecTimeout     = 60 * time.Second
	DefaultClockSkew       = 120 * time.Second
	DefaultRateLimit       = 0.0
	StripeTestRateLimit    = 25.0 // requests per second per account in Stripe's test mode (docs.stripe.com/rate-limits)
	DefaultMaxRetries      = 2
	DefaultReportDir       = "./conformance-report"
)

// Capability names, the closed list of Profile.Capabilities keys.
const (
	CapProcessing       = "processing"        // the target can put a PI in "processing" (e.g. SEPA debit)
	CapCheckoutSessions = "checkout_sessions" // the suite can obtain a PI created by a Checkout Session
	CapIdempotency      = "idempotency"       // the target stores and replays Idempotency-Key results
	CapRaces            = "races"             // the target is stateful enough for concurrent-cancel specs
	CapRefundObjects    = "refund_objects"    // cancel from requires_capture yields inspectable charge/refund objects
)

// Capabilities is the closed list of capability names; a profile key outside it is an error.
var Capabilities = []string{CapProcessing, CapCheckoutSessions, CapIdempotency, CapRaces, CapRefundObjects,
	CapEvents, CapWebhooks, CapWebhookRetries}

// removedCapabilities are former capability names, with why they went: a profile naming one gets this, not just
// "unknown".
var removedCapabilities = map[string]string{
	"increment_authorization": "no spec needs it (the refusal of an increment after a cancel is checked on every target); delete the line",
}

// Config is a conformance run's configuration. The comment of each field gives its yaml key's default.
type Config struct {
	// TargetURL is the base URL of the API under test, e.g. "https://api.stripe.com" or "http://127.0.0.1:12111".
	// Default "": start the embedded reference target in-process. Env: CONFORMANCE_TARGET_URL.
	TargetURL string `yaml:"target_url"`
	// APIKeyEnv names the environment variable holding the API key. Default "CONFORMANCE_API_KEY".
	APIKeyEnv string `yaml:"api_key_env"`
	// APIKey is resolved from the environment (CONFORMANCE_API_KEY, else the variable named by APIKeyEnv), never
	// from the file. Default for the embedded reference: "sk_test_conformance_reference". Keys containing "_live_"
	// are refused.
	APIKey string `yaml:"-"`
	// Profile names the active entry of Profiles. Default "reference". Env: CONFORMANCE_PROFILE.
	Profile string `yaml:"profile"`
	// Profiles describe what kinds of target can do. Defaults: DefaultProfiles ("reference", "stripe-test",
	// "stripe-mock"); a profile of the same name in the file replaces the built-in one as a whole.
	Profiles map[string]Profile `yaml:"profiles"`
	// StripeVersion is sent as the Stripe-Version header ("" = send none). Default "2026-08-26.dahlia", the
	// version of the pinned OpenAPI document.
	StripeVersion string `yaml:"stripe_version"`
	// RequestTimeout bounds each HTTP attempt, including reading the body. Default 15s.
	RequestTimeout Duration `yaml:"request_timeout"`
	// SpecTimeout bounds one spec. Default 60s.
	SpecTimeout Duration `yaml:"spec_timeout"`
	// ClockSkew is the tolerance when comparing canceled_at/created with the local request window. Default 120s.
	ClockSkew Duration `yaml:"clock_skew"`
	// RateLimit is the account's request budget for the whole run, in requests (HTTP attempts) per second; parallel
	// Ginkgo processes share it (process 1 serves the bucket). 0 = unlimited. Default: the active profile's
	// rate_limit (stripe-test: 25, Stripe's test-mode limit), else 0. A rate_limit key in the file wins over the
	// profile's, and CONFORMANCE_RATE_LIMIT over both; RateLimitSource says which applied.
	RateLimit float64 `yaml:"rate_limit"`
	// MaxRetries is how often a 429, a 503 or a connection error is retried (-1 = never). Default 2.
	MaxRetries int `yaml:"max_retries"`
	// ReportDir is where reports are written. Default "./conformance-report". A relative path is resolved against
	// Root (the directory holding ginkgo.yaml). Env: CONFORMANCE_REPORT_DIR.
	ReportDir string `yaml:"report_dir"`
	// EventsConfig: events_timeout, webhook_* (events.go).
	EventsConfig `yaml:",inline"`
	// ReferenceDelay is added latency on every response of the embedded reference target (only used when
	// TargetURL is empty), to measure how the suite behaves against a remote target. Default 0.
	// Env: CONFORMANCE_REFERENCE_DELAY.
	ReferenceDelay Duration `yaml:"reference_delay"`

	// Root is the repo root: the directory of the config file, or where the search for it stopped (go.mod), or the
	// working directory. Set by loading.
	Root string `yaml:"-"`
	// File is the config file read, or "" when only defaults and environment applied. Set by loading.
	File string `yaml:"-"`
	// APIKeySource names where APIKey came from: an environment variable name, "default (embedded reference)", or "".
	APIKeySource string `yaml:"-"`
	// RateLimitSource names where RateLimit came from: "CONFORMANCE_RATE_LIMIT", "the config file", `profile "NAME"`,
	// or "default". Set by loading.
	RateLimitSource string `yaml:"-"`
}

// Profile is a kind of target: what it can do.
type Profile struct {
	// Description says what target the profile is for.
	Description string `yaml:"description"`
	// Capabilities maps names from Capabilities to whether the target supports them; a missing key means false.
	Capabilities map[string]bool `yaml:"capabilities"`
	// Statuses lists the PaymentIntent statuses the status drivers can bring an intent into on this target (from
	// Statuses); empty means all of them. A spec that needs another status is reported disabled, never failed.
	Statuses []string `yaml:"statuses,omitempty"`
	// RateLimit is the request budget of such a target's account, in requests per second for the whole run (0 =
	// none), used when neither the file's top-level rate_limit nor CONFORMANCE_RATE_LIMIT sets one.
	RateLimit float64 `yaml:"rate_limit,omitempty"`
}

// Statuses are the PaymentIntent statuses a profile may list.
var Statuses = []string{"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture",
	"processing", "succeeded", "canceled"}

// DefaultProfiles returns the built-in profiles (a fresh copy each call). ginkgo.yaml repeats them.
func DefaultProfiles() map[string]Profile {
	return withEventCapabilities(map[string]Profile{
		"reference": {
			Description: "the embedded or standalone reference target: every capability",
			Capabilities: map[string]bool{
				CapProcessing: true, CapCheckoutSessions: true, CapIdempotency: true,
				CapRaces: true, CapRefundObjects: true,
			},
		},
		"stripe-test": {
			Description: "real Stripe in test mode (sk_test_ key)",
			Capabilities: map[string]bool{
				CapProcessing:       true,  // via SEPA Direct Debit (the account needs SEPA enabled in test mode)
				CapCheckoutSessions: false, // a server-only suite cannot get a Checkout Session's PI from real Stripe
				CapIdempotency:      true,
				CapRaces:            true,
				CapRefundObjects:    true,
			},
			RateLimit: StripeTestRateLimit,
		},
		"stripe-mock": {
			Description: "stripe-mock, Stripe's stateless official mock: a schema-shape control only",
			Capabilities: map[string]bool{
				CapProcessing: false, CapCheckoutSessions: false, CapIdempotency: false,
				CapRaces: false, CapRefundObjects: false,
			},
			// Stateless: every intent it returns is its fixture, in requires_payment_method.
			Statuses: []string{"requires_payment_method"},
		},
	})
}

// Default returns the configuration with every default applied and no file or environment read.
func Default() Config {
	return Config{
		APIKeyEnv:      DefaultAPIKeyEnv,
		Profile:        DefaultProfile,
		Profiles:       DefaultProfiles(),
		StripeVersion:  DefaultStripeVersion,
		RequestTimeout: Duration{DefaultRequestTimeout},
		SpecTimeout:    Duration{DefaultSpecTimeout},
		ClockSkew:      Duration{DefaultClockSkew},
		RateLimit:      DefaultRateLimit,
		MaxRetries:     DefaultMaxRetries,
		ReportDir:      DefaultReportDir,
		EventsConfig:   defaultEventsConfig(),
	}
}

// Duration is a time.Duration written as a Go duration string in yaml ("15s", "2m").
type Duration struct{ time.Duration }

// UnmarshalYAML accepts a duration string; a bare number other than 0 is refused because its unit is ambiguous.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a string such as \"15s\"", n.Line)
	}
	s := strings.TrimSpace(n.Value)
	if s == "0" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write e.g. \"15s\", \"500ms\", \"2m\")", n.Line, s)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return d.Duration.String(), nil }

// Load reads the configuration for the current process: the file named by $CONFORMANCE_CONFIG, else the first
// ginkgo.yaml found walking up from the working directory (the walk also stops at a directory holding go.mod: no
// ginkgo.yaml there means defaults only, with that directory as Root). Environment overrides apply, then Validate.
func Load() (Config, error) {
	if p, ok := os.LookupEnv(EnvConfig); ok && p != "" {
		return LoadFrom(p, os.LookupEnv)
	}
	wd, err := os.Getwd()
	if err != nil {
		return Config{}, fmt.Errorf("config: working directory: %w", err)
	}
	file, root := find(wd)
	return load(file, root, os.LookupEnv)
}

// find walks up from dir to the first directory holding ginkgo.yaml or go.mod. It returns the file path ("" when
// that directory has no ginkgo.yaml) and the directory; if neither is found, ("", dir).
func find(dir string) (file, root string) {
	for d := dir; ; {
		if fileExists(filepath.Join(d, FileName)) {
			return filepath.Join(d, FileName), d
		}
		if fileExists(filepath.Join(d, "go.mod")) {
			return "", d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", dir
		}
		d = parent
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// LoadFrom reads the config file at path ("" = defaults only, with the working directory as Root), applies the
// environment as seen through env (os.LookupEnv in production) and validates.
func LoadFrom(path string, env func(string) (string, bool)) (Config, error) {
	root := ""
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		path, root = abs, filepath.Dir(abs)
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return Config{}, fmt.Errorf("config: working directory: %w", err)
		}
		root = wd
	}
	return load(path, root, env)
}

// It is long because it applies the layers (defaults, file, profile, environment) in their priority order.
func load(path, root string, env func(string) (string, bool)) (Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	getenv := func(k string) string {
		v, ok := env(k)
		if !ok {
			return ""
		}
		return strings.TrimSpace(v)
	}
	c := Default()
	c.Root = root
	fileRate := false // whether the file has a top-level rate_limit
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := decode(data, &c); err != nil {
			msg := redact.String(err.Error()) // a mistyped value could be a key
			if strings.Contains(msg, "field api_key not found") {
				msg += fmt.Sprintf(" (the key never goes in the file: set %s, or name another variable with api_key_env)", EnvAPIKey)
			}
			return Config{}, fmt.Errorf("config: %s: %s", path, msg)
		}
		c.File = path
		var top struct {
			RateLimit *float64 `yaml:"rate_limit"`
		}
		fileRate = yaml.Unmarshal(data, &top) == nil && top.RateLimit != nil
	}

	if v := getenv(EnvTargetURL); v != "" {
		c.TargetURL = v
	}
	if v := getenv(EnvProfile); v != "" {
		c.Profile = v
	}
	if v := getenv(EnvReportDir); v != "" {
		c.ReportDir = v
	}
	if v := getenv(EnvReferenceDelay); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("config: %s=%q is not a duration (e.g. 100ms): %v", EnvReferenceDelay, v, err)
		}
		c.ReferenceDelay = Duration{d}
	}
	switch v := getenv(EnvRateLimit); {
	case v != "":
		r, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Config{}, fmt.Errorf("config: %s=%q is not a number of requests per second (0 = unlimited)", EnvRateLimit, v)
		}
		c.RateLimit, c.RateLimitSource = r, EnvRateLimit
	case fileRate:
		c.RateLimitSource = "the config file"
	case c.ActiveProfile().RateLimit != 0:
		c.RateLimit, c.RateLimitSource = c.ActiveProfile().RateLimit, fmt.Sprintf("profile %q", c.Profile)
	default:
		c.RateLimitSource = "default"
	}
	c.APIKey, c.APIKeySource = "", ""
	if v := getenv(EnvAPIKey); v != "" {
		c.APIKey, c.APIKeySource = v, EnvAPIKey
	} else if c.APIKeyEnv != "" {
		if v := getenv(c.APIKeyEnv); v != "" {
			c.APIKey, c.APIKeySource = v, c.APIKeyEnv
		}
	}
	if c.APIKey == "" && c.Embedded() {
		c.APIKey, c.APIKeySource = DefaultReferenceAPIKey, "default (embedded reference)"
	}
	if err := c.EventsConfig.resolve(getenv); err != nil {
		return Config{}, err
	}
	c.TargetURL = strings.TrimRight(strings.TrimSpace(c.TargetURL), "/")
	if c.ReportDir != "" && !filepath.IsAbs(c.ReportDir) {
		c.ReportDir = filepath.Join(c.Root, c.ReportDir)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func decode(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults
		}
		return err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one yaml document")
	}
	return nil
}

// Validate checks the configuration and reports every problem found, joined. No message contains the API key.
//
// It is long because it checks every field in turn, one short check each.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf("config: "+format, a...)) }

	if strings.Contains(c.APIKey, "_live_") {
		src := c.APIKeySource
		if src == "" {
			src = "the API key"
		}
		add("the API key from %s looks like a live-mode key (it contains \"_live_\"); the suite only runs against test mode and refuses it", src)
	}
	if c.TargetURL != "" {
		u, err := url.Parse(c.TargetURL)
		switch {
		case err != nil:
			add("target_url is not a valid URL")
		case u.Scheme != "http" && u.Scheme != "https":
			add("target_url %q must be an http:// or https:// URL", redactedURL(c.TargetURL, c.APIKey))
		case u.Host == "":
			add("target_url %q has no host", redactedURL(c.TargetURL, c.APIKey))
		case u.User != nil:
			// net/http would send the URL's user info as Basic auth, even on the specs that test a missing key.
			add("target_url must not carry credentials (user info before the host); put the key in %s", EnvAPIKey)
		}
		if c.APIKey == "" {
			env := c.APIKeyEnv
			if env == "" {
				env = DefaultAPIKeyEnv
			}
			add("target_url is set but no API key was found: set %s", strings.Join(slices.Compact([]string{EnvAPIKey, env}), " or "))
		}
	}
	if len(c.Profiles) == 0 {
		add("no profiles are defined")
	} else if _, ok := c.Profiles[c.Profile]; !ok {
		add("unknown profile %q (known: %s)", c.Profile, strings.Join(sortedKeys(c.Profiles), ", "))
	}
	known := map[string]bool{}
	for _, k := range Capabilities {
		known[k] = true
	}
	for _, name := range sortedKeys(c.Profiles) {
		var unknown []string
		for k := range c.Profiles[name].Capabilities {
			if why, ok := removedCapabilities[k]; ok {
				add("profile %q: capability %q was removed: %s", name, k, why)
			} else if !known[k] {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			add("profile %q has unknown capabilities %s (known: %s)", name, strings.Join(quoteAll(unknown), ", "), strings.Join(Capabilities, ", "))
		}
		if r := c.Profiles[name].RateLimit; r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			add("profile %q: rate_limit must be a number >= 0 (0 = none)", name)
		}
		for _, st := range c.Profiles[name].Statuses {
			if !slices.Contains(Statuses, st) {
				add("profile %q lists unknown status %q (known: %s)", name, st, strings.Join(Statuses, ", "))
			}
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		zero bool // whether 0 is allowed
	}{
		{"request_timeout", c.RequestTimeout.Duration, false},
		{"spec_timeout", c.SpecTimeout.Duration, false},
		{"clock_skew", c.ClockSkew.Duration, true},
		{"reference_delay", c.ReferenceDelay.Duration, true},
	} {
		switch {
		case d.v < 0:
			add("%s must not be negative (got %s)", d.name, d.v)
		case d.v == 0 && !d.zero:
			add("%s must be positive", d.name)
		}
	}
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		add("rate_limit must be a number >= 0 (0 = unlimited)")
	}
	if c.MaxRetries < -1 {
		add("max_retries must be >= -1 (-1 = never retry)")
	}
	if strings.TrimSpace(c.ReportDir) == "" {
		add("report_dir is empty")
	}
	for _, p := range c.EventsConfig.problems() {
		add("%s", p)
	}
	return errors.Join(errs...)
}

// Capability reports whether the active profile enables the named capability. A name outside Capabilities is a
// programming error and panics.
func (c Config) Capability(name string) bool {
	if slices.Contains(Capabilities, name) {
		return c.ActiveProfile().Capabilities[name]
	}
	panic(fmt.Sprintf("config: unknown capability %q (known: %s)", name, strings.Join(Capabilities, ", ")))
}

// CanReach reports whether the active profile's target can be driven into status (see Profile.Statuses).
func (c Config) CanReach(status string) bool {
	p := c.ActiveProfile()
	return len(p.Statuses) == 0 || slices.Contains(p.Statuses, status)
}

// ActiveProfile returns the profile named by Profile (the zero Profile if there is none; Validate reports that).
func (c Config) ActiveProfile() Profile { return c.Profiles[c.Profile] }

// Embedded reports whether the run uses the embedded reference target (TargetURL is empty).
func (c Config) Embedded() bool { return c.TargetURL == "" }

// ClientConfig maps the configuration onto a client.Config for baseURL (the embedded target's URL when Embedded;
// "" = TargetURL): the one place where a client's settings come from the configuration. Curl lines name the
// variable the key was read from (CONFORMANCE_API_KEY wins over api_key_env), else the api_key_env variable.
func (c Config) ClientConfig(baseURL string) client.Config {
	if baseURL == "" {
		baseURL = c.TargetURL
	}
	keyEnv := c.APIKeyEnv
	if c.APIKeySource == EnvAPIKey {
		keyEnv = EnvAPIKey
	}
	return client.Config{
		BaseURL:        baseURL,
		APIKey:         c.APIKey,
		StripeVersion:  c.StripeVersion,
		RequestTimeout: c.RequestTimeout.Duration,
		MaxRetries:     c.MaxRetries,
		RateLimit:      c.RateLimit,
		APIKeyEnv:      keyEnv,
	}
}

// String is a human summary for logs and report headers. The key is shown only as its prefix ("sk_test_…(redacted)").
func (c Config) String() string {
	var b strings.Builder
	target := "embedded reference target (in-process)"
	if !c.Embedded() {
		target = redactedURL(c.TargetURL, c.APIKey)
	}
	fmt.Fprintf(&b, "target:             %s\n", target)
	caps := []string{}
	for _, k := range Capabilities {
		if c.ActiveProfile().Capabilities[k] {
			caps = append(caps, k)
		}
	}
	capList := "none"
	if len(caps) > 0 {
		capList = strings.Join(caps, ", ")
	}
	fmt.Fprintf(&b, "profile:            %s (capabilities: %s)\n", c.Profile, capList)
	key := MaskKey(c.APIKey)
	if c.APIKeySource != "" {
		key += " from " + c.APIKeySource
	}
	fmt.Fprintf(&b, "api key:            %s\n", key)
	sv := c.StripeVersion
	if sv == "" {
		sv = "(none sent)"
	}
	fmt.Fprintf(&b, "stripe version:     %s\n", sv)
	fmt.Fprintf(&b, "timeouts:           request %s, spec %s, events %s, webhook %s, clock skew %s\n",
		c.RequestTimeout.Duration, c.SpecTimeout.Duration, c.EventsTimeout.Duration, c.WebhookTimeout.Duration, c.ClockSkew.Duration)
	rate := "unlimited"
	if c.RateLimit > 0 {
		rate = fmt.Sprintf("%g requests/s for the whole run", c.RateLimit)
	}
	if c.RateLimitSource != "" {
		rate += " (" + c.RateLimitSource + ")"
	}
	fmt.Fprintf(&b, "rate limit:         %s; max retries %d\n", rate, c.MaxRetries)
	fmt.Fprintf(&b, "report dir:         %s\n", c.ReportDir)
	file := c.File
	if file == "" {
		file = "(none: defaults and environment)"
	}
	fmt.Fprintf(&b, "config file:        %s", file)
	return b.String()
}

var keyPrefix = regexp.MustCompile(`^(sk|rk|pk)_(test|live)_`)

// MaskKey shows only a key's recognisable prefix: "sk_test_…(redacted)", "(set, redacted)" or "(none)".
func MaskKey(k string) string {
	if k == "" {
		return "(none)"
	}
	if p := keyPrefix.FindString(k); p != "" {
		return p + "…(redacted)"
	}
	return "(set, redacted)"
}

func redactedURL(s, key string) string {
	if u, err := url.Parse(s); err == nil {
		return redact.String(u.Redacted(), key)
	}
	return "(unparseable URL)"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
