package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envMap turns a map into the env function LoadFrom takes.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeFile(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	wd, _ := os.Getwd()
	c, err := LoadFrom("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"TargetURL", c.TargetURL, ""},
		{"Embedded", c.Embedded(), true},
		{"APIKeyEnv", c.APIKeyEnv, "CONFORMANCE_API_KEY"},
		{"APIKey", c.APIKey, "sk_test_conformance_reference"},
		{"Profile", c.Profile, "reference"},
		{"StripeVersion", c.StripeVersion, "2026-08-26.dahlia"},
		{"RequestTimeout", c.RequestTimeout.Duration, 15 * time.Second},
		{"SpecTimeout", c.SpecTimeout.Duration, 60 * time.Second},
		{"ClockSkew", c.ClockSkew.Duration, 120 * time.Second},
		{"RateLimit", c.RateLimit, 0.0},
		{"MaxRetries", c.MaxRetries, 2},
		{"ReportDir", c.ReportDir, filepath.Join(wd, "conformance-report")},
		{"EventsTimeout", c.EventsTimeout.Duration, 10 * time.Second},
		{"WebhookTimeout", c.WebhookTimeout.Duration, 30 * time.Second},
		{"File", c.File, ""},
		{"Root", c.Root, wd},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if !reflect.DeepEqual(c.Profiles, DefaultProfiles()) {
		t.Errorf("Profiles = %v, want the built-in ones", c.Profiles)
	}
	for _, k := range Capabilities {
		if !c.Capability(k) {
			t.Errorf("reference profile lacks %q", k)
		}
	}
}

func TestBuiltInProfiles(t *testing.T) {
	want := map[string]map[string]bool{
		"stripe-test": {"processing": true, "checkout_sessions": false, "idempotency": true, "races": true, "refund_objects": true},
		"stripe-mock": {"processing": false, "checkout_sessions": false, "idempotency": false, "races": false, "refund_objects": false},
	}
	for name, caps := range want {
		c := Default()
		c.Profile = name
		for k, v := range caps {
			if got := c.Capability(k); got != v {
				t.Errorf("%s.%s = %v, want %v", name, k, got, v)
			}
		}
	}
}

// The repo-root ginkgo.yaml must load under KnownFields and agree with the documented built-in defaults.
func TestRepoGinkgoYAML(t *testing.T) {
	p, err := filepath.Abs("../../ginkgo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadFrom(p, envMap(nil))
	if err != nil {
		t.Fatalf("repo ginkgo.yaml: %v", err)
	}
	def := Default()
	if !reflect.DeepEqual(c.Profiles, def.Profiles) {
		t.Errorf("ginkgo.yaml profiles differ from DefaultProfiles():\n file: %v\n code: %v", c.Profiles, def.Profiles)
	}
	if c.TargetURL != def.TargetURL || c.Profile != def.Profile || c.StripeVersion != def.StripeVersion ||
		c.RequestTimeout != def.RequestTimeout || c.SpecTimeout != def.SpecTimeout || c.ClockSkew != def.ClockSkew ||
		c.EventsConfig != def.EventsConfig || c.RateLimit != def.RateLimit || c.MaxRetries != def.MaxRetries ||
		c.APIKeyEnv != def.APIKeyEnv {
		t.Errorf("ginkgo.yaml scalars differ from the documented defaults:\n%s", c)
	}
	if c.ReportDir != filepath.Join(filepath.Dir(p), "conformance-report") {
		t.Errorf("ReportDir = %q", c.ReportDir)
	}
}

func TestYAMLParse(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, `
target_url: "http://127.0.0.1:12111/"
api_key_env: MY_KEY
profile: custom
stripe_version: "2025-01-01.test"
request_timeout: 3s
spec_timeout: 2m
clock_skew: "0"
rate_limit: 7.5
max_retries: -1
report_dir: out/reports
processing_timeout: 500ms
profiles:
  custom:
    description: mine
    capabilities:
      races: true
  stripe-mock:
    description: replaced
    capabilities: {}
`)
	c, err := LoadFrom(p, envMap(map[string]string{"MY_KEY": "sk_test_fromMyKeyVariable"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TargetURL != "http://127.0.0.1:12111" || c.Embedded() {
		t.Errorf("TargetURL = %q (trailing slash should be trimmed)", c.TargetURL)
	}
	if c.APIKey != "sk_test_fromMyKeyVariable" || c.APIKeySource != "MY_KEY" {
		t.Errorf("APIKey from api_key_env not used (source %q)", c.APIKeySource)
	}
	if c.StripeVersion != "2025-01-01.test" || c.RequestTimeout.Duration != 3*time.Second || c.SpecTimeout.Duration != 2*time.Minute ||
		c.ClockSkew.Duration != 0 || c.RateLimit != 7.5 || c.MaxRetries != -1 || c.ProcessingTimeout.Duration != 500*time.Millisecond ||
		c.EventsTimeout.Duration != 500*time.Millisecond /* the deprecated alias applies */ {
		t.Errorf("scalars not parsed:\n%s", c)
	}
	if c.ReportDir != filepath.Join(dir, "out", "reports") {
		t.Errorf("ReportDir = %q, want it under %q", c.ReportDir, dir)
	}
	if !c.Capability(CapRaces) || c.Capability(CapProcessing) {
		t.Errorf("custom profile capabilities wrong: %v", c.ActiveProfile())
	}
	// A file profile replaces the built-in of the same name; other built-ins stay.
	if c.Profiles["stripe-mock"].Description != "replaced" || len(c.Profiles["stripe-mock"].Capabilities) != 0 {
		t.Errorf("stripe-mock not replaced: %v", c.Profiles["stripe-mock"])
	}
	if _, ok := c.Profiles["stripe-test"]; !ok {
		t.Errorf("built-in stripe-test lost")
	}
	if c.File != p || c.Root != dir {
		t.Errorf("File/Root = %q/%q", c.File, c.Root)
	}
}

func TestEmptyFileMeansDefaults(t *testing.T) {
	p := writeFile(t, t.TempDir(), "# nothing\n")
	c, err := LoadFrom(p, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != DefaultProfile || c.RequestTimeout.Duration != DefaultRequestTimeout {
		t.Errorf("empty file did not give defaults:\n%s", c)
	}
}

func TestEnvOverridesBeatYAML(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, `
target_url: http://from-file.invalid
api_key_env: FILE_KEY
profile: stripe-mock
report_dir: from-file
`)
	abs := filepath.Join(t.TempDir(), "abs-report")
	c, err := LoadFrom(p, envMap(map[string]string{
		EnvTargetURL: "https://from-env.example",
		EnvProfile:   "stripe-test",
		EnvReportDir: abs,
		EnvAPIKey:    "sk_test_fromConformanceVar",
		"FILE_KEY":   "sk_test_fromFileNamedVar",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TargetURL != "https://from-env.example" || c.Profile != "stripe-test" || c.ReportDir != abs {
		t.Errorf("env did not override:\n%s", c)
	}
	if c.APIKey != "sk_test_fromConformanceVar" || c.APIKeySource != EnvAPIKey {
		t.Errorf("CONFORMANCE_API_KEY should win, got source %q", c.APIKeySource)
	}

	// Empty variables count as unset.
	c, err = LoadFrom(p, envMap(map[string]string{EnvTargetURL: "", EnvProfile: " ", "FILE_KEY": "sk_test_fromFileNamedVar"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TargetURL != "http://from-file.invalid" || c.Profile != "stripe-mock" || c.APIKeySource != "FILE_KEY" {
		t.Errorf("empty env vars should not override:\n%s", c)
	}

	// A relative CONFORMANCE_REPORT_DIR is resolved against the repo root, not the working directory.
	c, err = LoadFrom(p, envMap(map[string]string{EnvReportDir: "rel/dir", "FILE_KEY": "sk_test_fromFileNamedVar"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReportDir != filepath.Join(dir, "rel", "dir") {
		t.Errorf("ReportDir = %q", c.ReportDir)
	}
}

func TestEmbeddedKeepsSuppliedKey(t *testing.T) {
	c, err := LoadFrom("", envMap(map[string]string{EnvAPIKey: "sk_test_mineForEmbedded"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIKey != "sk_test_mineForEmbedded" {
		t.Errorf("APIKey = %q", MaskKey(c.APIKey))
	}
}

func loadErr(t *testing.T, yamlText string, env map[string]string) string {
	t.Helper()
	p := writeFile(t, t.TempDir(), yamlText)
	_, err := LoadFrom(p, envMap(env))
	if err == nil {
		t.Fatalf("expected an error for:\n%s", yamlText)
	}
	return err.Error()
}

func TestUnknownProfile(t *testing.T) {
	msg := loadErr(t, "profile: nope\n", nil)
	for _, want := range []string{`unknown profile "nope"`, "reference", "stripe-mock", "stripe-test"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	// Also from the environment.
	if _, err := LoadFrom("", envMap(map[string]string{EnvProfile: "typo"})); err == nil || !strings.Contains(err.Error(), `"typo"`) {
		t.Errorf("env profile typo: %v", err)
	}
}

func TestUnknownField(t *testing.T) {
	msg := loadErr(t, "target_url: \"\"\nreport_directory: x\n", nil)
	if !strings.Contains(msg, "report_directory") {
		t.Errorf("error does not name the unknown field: %q", msg)
	}
	msg = loadErr(t, "profiles:\n  x:\n    capabilites: {}\n", nil)
	if !strings.Contains(msg, "capabilites") {
		t.Errorf("error does not name the unknown profile field: %q", msg)
	}
}

func TestAPIKeyInFileRefused(t *testing.T) {
	key := "sk_test_secretValueInTheFile"
	msg := loadErr(t, "api_key: "+key+"\n", nil)
	if !strings.Contains(msg, "api_key") || !strings.Contains(msg, EnvAPIKey) {
		t.Errorf("unhelpful error: %q", msg)
	}
	if strings.Contains(msg, key) {
		t.Errorf("error echoes the key: %q", msg)
	}
}

func TestUnknownCapability(t *testing.T) {
	msg := loadErr(t, "profiles:\n  reference:\n    capabilities:\n      races: true\n      teleport: true\n", nil)
	if !strings.Contains(msg, `"teleport"`) || !strings.Contains(msg, "refund_objects") {
		t.Errorf("error should name the unknown capability and list the known ones: %q", msg)
	}
}

// A config written for an older suite names increment_authorization: it gets told the capability is gone and what
// to do, not just "unknown".
func TestRemovedCapabilityIsExplained(t *testing.T) {
	msg := loadErr(t, "profiles:\n  mine:\n    capabilities:\n      races: true\n      increment_authorization: false\n", nil)
	if !strings.Contains(msg, `"increment_authorization" was removed`) || !strings.Contains(msg, "delete the line") || strings.Contains(msg, "unknown capabilities") {
		t.Errorf("error should say the capability was removed and what to do: %q", msg)
	}
}

func TestCapabilityPanicsOnUnknownName(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "teleport") {
			t.Errorf("recover() = %v", r)
		}
	}()
	Default().Capability("teleport")
}

func TestLiveKeyRefusedAndNeverEchoed(t *testing.T) {
	key := "sk_live_51SuperSecretLiveKeyValue"
	for _, env := range []map[string]string{
		{EnvAPIKey: key},
		{EnvAPIKey: "", "OTHER": key},
	} {
		p := writeFile(t, t.TempDir(), "api_key_env: OTHER\ntarget_url: https://api.stripe.com\n")
		_, err := LoadFrom(p, envMap(env))
		if err == nil {
			t.Fatal("live key accepted")
		}
		if !strings.Contains(err.Error(), "live") {
			t.Errorf("error does not say why: %q", err)
		}
		if strings.Contains(err.Error(), "SuperSecret") {
			t.Errorf("error echoes the key: %q", err)
		}
	}
	// Validate and String on a hand-built Config never echo it either.
	c := Default()
	c.APIKey = key
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "SuperSecret") {
		t.Errorf("Validate = %v", err)
	}
	if s := c.String(); strings.Contains(s, "SuperSecret") || !strings.Contains(s, "sk_live_…(redacted)") {
		t.Errorf("String leaks or lacks the masked key:\n%s", s)
	}
}

func TestTargetURLWithCredentialsIsRefused(t *testing.T) {
	_, err := LoadFrom("", envMap(map[string]string{EnvAPIKey: "sk_test_verySecretTestKey123", EnvTargetURL: "https://rk_live_abcdefgh12345678:@host.example"}))
	if err == nil || !strings.Contains(err.Error(), "must not carry credentials") || strings.Contains(err.Error(), "abcdefgh12345678") {
		t.Errorf("err = %v", err)
	}
}

func TestStringRedactsKey(t *testing.T) {
	c := Default()
	c.APIKey = "sk_test_verySecretTestKey123"
	c.TargetURL = "https://user:pw-secret@host.example"
	s := c.String()
	for _, leak := range []string{"verySecretTestKey123", "pw-secret"} {
		if strings.Contains(s, leak) {
			t.Errorf("String leaks %q:\n%s", leak, s)
		}
	}
	for _, want := range []string{"sk_test_…(redacted)", "host.example", "reference"} {
		if !strings.Contains(s, want) {
			t.Errorf("String lacks %q:\n%s", want, s)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ftp target", func(c *Config) { c.TargetURL = "ftp://x"; c.APIKey = "sk_test_x" }, "http:// or https://"},
		{"no scheme", func(c *Config) { c.TargetURL = "localhost:12111"; c.APIKey = "sk_test_x" }, "target_url"},
		{"target without key", func(c *Config) { c.TargetURL = "http://127.0.0.1:1"; c.APIKey = "" }, "no API key"},
		{"negative request timeout", func(c *Config) { c.RequestTimeout.Duration = -time.Second }, "request_timeout must not be negative"},
		{"negative spec timeout", func(c *Config) { c.SpecTimeout.Duration = -time.Second }, "spec_timeout must not be negative"},
		{"negative clock skew", func(c *Config) { c.ClockSkew.Duration = -time.Second }, "clock_skew must not be negative"},
		{"negative processing timeout", func(c *Config) { c.ProcessingTimeout.Duration = -time.Second }, "processing_timeout must not be negative"},
		{"zero request timeout", func(c *Config) { c.RequestTimeout.Duration = 0 }, "request_timeout must be positive"},
		{"negative rate", func(c *Config) { c.RateLimit = -1 }, "rate_limit"},
		{"max retries", func(c *Config) { c.MaxRetries = -2 }, "max_retries"},
		{"empty report dir", func(c *Config) { c.ReportDir = "" }, "report_dir"},
	}
	for _, tc := range cases {
		c := Default()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestBadDurationInYAML(t *testing.T) {
	msg := loadErr(t, "request_timeout: 15\n", nil)
	if !strings.Contains(msg, "not a duration") {
		t.Errorf("error = %q", msg)
	}
	msg = loadErr(t, "spec_timeout: -5s\n", nil)
	if !strings.Contains(msg, "spec_timeout must not be negative") {
		t.Errorf("error = %q", msg)
	}
}

func TestLoadFindsFileWalkingUp(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "profile: stripe-mock\nreport_dir: reports\n")
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv(EnvConfig, "")
	t.Setenv(EnvProfile, "")
	t.Setenv(EnvReportDir, "")
	t.Setenv(EnvTargetURL, "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "stripe-mock" || c.Root != root || c.ReportDir != filepath.Join(root, "reports") {
		t.Errorf("Load from a subdirectory: profile %q root %q report dir %q", c.Profile, c.Root, c.ReportDir)
	}
}

func TestLoadStopsAtGoModWithoutFile(t *testing.T) {
	outer := t.TempDir()
	writeFile(t, outer, "profile: stripe-mock\n") // must not be found: go.mod below stops the walk
	mod := filepath.Join(outer, "mod")
	sub := filepath.Join(mod, "pkg")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv(EnvConfig, "")
	t.Setenv(EnvProfile, "")
	t.Setenv(EnvReportDir, "")
	t.Setenv(EnvTargetURL, "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != DefaultProfile || c.File != "" || c.Root != mod || c.ReportDir != filepath.Join(mod, "conformance-report") {
		t.Errorf("want defaults rooted at the go.mod dir, got profile %q file %q root %q report %q", c.Profile, c.File, c.Root, c.ReportDir)
	}
}

func TestLoadHonoursConformanceConfigAndEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(p, []byte("profile: stripe-test\ntarget_url: http://127.0.0.1:9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvConfig, p)
	t.Setenv(EnvAPIKey, "sk_test_fromRealEnvironment")
	t.Setenv(EnvProfile, "")
	t.Setenv(EnvReportDir, "")
	t.Setenv(EnvTargetURL, "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.File != p || c.Profile != "stripe-test" || c.APIKey != "sk_test_fromRealEnvironment" || c.Root != dir {
		t.Errorf("Load with CONFORMANCE_CONFIG:\n%s", c)
	}
	t.Setenv(EnvConfig, filepath.Join(dir, "missing.yaml"))
	if _, err := Load(); err == nil {
		t.Error("a missing CONFORMANCE_CONFIG file should be an error")
	}
}

func TestClientConfig(t *testing.T) {
	c := Default()
	c.APIKey = "sk_test_abc"
	c.RateLimit = 3
	cc := c.ClientConfig("http://127.0.0.1:5")
	if cc.BaseURL != "http://127.0.0.1:5" || cc.APIKey != "sk_test_abc" || cc.StripeVersion != DefaultStripeVersion ||
		cc.RequestTimeout != DefaultRequestTimeout || cc.MaxRetries != 2 || cc.RateLimit != 3 || cc.APIKeyEnv != EnvAPIKey {
		t.Errorf("ClientConfig = %+v", cc)
	}
}

// Curl lines must name the variable that actually holds the key: api_key_env's, unless CONFORMANCE_API_KEY (which
// wins) was set.
func TestClientConfigNamesTheKeyVariable(t *testing.T) {
	p := writeFile(t, t.TempDir(), "target_url: http://127.0.0.1:12111\napi_key_env: MY_KEY\n")
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MY_KEY": "sk_test_fromMyKeyVariable"}, "MY_KEY"},
		{map[string]string{"MY_KEY": "sk_test_fromMyKeyVariable", EnvAPIKey: "sk_test_fromTheDefault"}, EnvAPIKey},
	} {
		c, err := LoadFrom(p, envMap(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ClientConfig("").APIKeyEnv; got != tc.want {
			t.Errorf("env %v: ClientConfig().APIKeyEnv = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestProfileStatuses(t *testing.T) {
	c := Default()
	if !c.CanReach("requires_capture") {
		t.Error("reference profile cannot reach requires_capture")
	}
	c.Profile = "stripe-mock"
	if c.CanReach("requires_capture") || !c.CanReach("requires_payment_method") {
		t.Error("stripe-mock statuses not applied")
	}
	p := c.Profiles["stripe-mock"]
	p.Statuses = []string{"cancelled"}
	c.Profiles["stripe-mock"] = p
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `unknown status "cancelled"`) {
		t.Errorf("Validate = %v", err)
	}
}

// rate_limit: CONFORMANCE_RATE_LIMIT, then a top-level rate_limit in the file (even 0), then the active profile's,
// then 0.
func TestRateLimitPrecedence(t *testing.T) {
	key := map[string]string{EnvAPIKey: "sk_test_x"}
	withEnv := func(k, v string) map[string]string {
		m := map[string]string{EnvAPIKey: "sk_test_x", k: v}
		return m
	}
	for _, tc := range []struct {
		name   string
		file   string
		env    map[string]string
		want   float64
		source string
	}{
		{"stripe-test profile", "profile: stripe-test\n", key, StripeTestRateLimit, `profile "stripe-test"`},
		{"reference profile", "profile: reference\n", key, 0, "default"},
		{"file beats profile", "profile: stripe-test\nrate_limit: 10\n", key, 10, "the config file"},
		{"file 0 beats profile", "profile: stripe-test\nrate_limit: 0\n", key, 0, "the config file"},
		{"env beats file", "profile: stripe-test\nrate_limit: 10\n", withEnv(EnvRateLimit, "7.5"), 7.5, EnvRateLimit},
		{"env 0 beats profile", "profile: stripe-test\n", withEnv(EnvRateLimit, "0"), 0, EnvRateLimit},
		{"profile from env", "", withEnv(EnvProfile, "stripe-test"), StripeTestRateLimit, `profile "stripe-test"`},
		{"a file's own profile", "profile: mine\nprofiles:\n  mine:\n    rate_limit: 3\n", key, 3, `profile "mine"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tc.file)
			c, err := LoadFrom(p, envMap(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.RateLimit != tc.want || c.RateLimitSource != tc.source {
				t.Errorf("rate limit %g from %q, want %g from %q", c.RateLimit, c.RateLimitSource, tc.want, tc.source)
			}
			if tc.want > 0 && !strings.Contains(c.String(), tc.source) {
				t.Errorf("String() does not say where the rate limit came from:\n%s", c)
			}
		})
	}
	p := writeFile(t, t.TempDir(), "profile: stripe-test\n")
	if _, err := LoadFrom(p, envMap(withEnv(EnvRateLimit, "fast"))); err == nil || !strings.Contains(err.Error(), EnvRateLimit) {
		t.Errorf("a bad %s: %v", EnvRateLimit, err)
	}
	p = writeFile(t, t.TempDir(), "profile: mine\nprofiles:\n  mine:\n    rate_limit: -1\n")
	if _, err := LoadFrom(p, envMap(key)); err == nil || !strings.Contains(err.Error(), `profile "mine": rate_limit`) {
		t.Errorf("a negative profile rate_limit: %v", err)
	}
}
