package framework

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/reference"
)

func TestLiveMode(t *testing.T) {
	cases := []struct {
		obj  map[string]any
		want bool
	}{
		{nil, false},
		{map[string]any{"livemode": false}, false},
		{map[string]any{"livemode": true}, true},
		{map[string]any{"livemode": "true"}, false},
		{map[string]any{"error": map[string]any{"payment_intent": map[string]any{"livemode": true}}}, true},
		{map[string]any{"object": "list", "data": []any{map[string]any{"livemode": false}, map[string]any{"livemode": true}}}, true},
		{map[string]any{"object": "list", "data": []any{map[string]any{"livemode": false}}}, false},
	}
	for i, c := range cases {
		if got := LiveMode(c.obj); got != c.want {
			t.Errorf("case %d: LiveMode(%v) = %v", i, c.obj, got)
		}
	}
}

func TestTargetHostNeverShowsCredentialsOrPaths(t *testing.T) {
	for url, want := range map[string]string{
		"https://api.example.com/v1?x=1": "api.example.com",
		"http://127.0.0.1:12111":         "127.0.0.1:12111",
		"https://user:secret@host:8443/": "host:8443",
	} {
		if got := (&Framework{TargetURL: url}).TargetHost(); got != want {
			t.Errorf("TargetHost(%q) = %q, want %q", url, got, want)
		}
	}
}

func TestNoteFinal(t *testing.T) {
	s := &Session{}
	s.noteFinal(map[string]any{"object": "payment_intent", "id": "pi_1", "status": "canceled"})
	s.noteFinal(map[string]any{"object": "payment_intent", "id": "pi_2", "status": "requires_capture"})
	s.noteFinal(map[string]any{"object": "charge", "id": "ch_1", "status": "succeeded"})
	if !s.tracker.isFinal("pi_1") || s.tracker.isFinal("pi_2") || s.tracker.isFinal("ch_1") {
		t.Errorf("final = %v", s.tracker.final)
	}
}

func TestShortRev(t *testing.T) {
	if got := shortRev("0123456789abcdef0123", true); got != "0123456789ab-dirty" {
		t.Errorf("shortRev = %q", got)
	}
}

func TestPreflightRefusesALiveAccount(t *testing.T) {
	for body, wantErr := range map[string]bool{
		`{"object":"list","data":[{"id":"pi_1","object":"payment_intent","livemode":true}],"has_more":false,"url":"/v1/payment_intents"}`:  true,
		`{"object":"list","data":[{"id":"pi_1","object":"payment_intent","livemode":false}],"has_more":false,"url":"/v1/payment_intents"}`: false,
		`{"object":"list","data":[],"has_more":false,"url":"/v1/payment_intents"}`:                                                         false,
	} {
		var got []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.Method+" "+r.URL.Path)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		c, err := client.New(client.Config{BaseURL: srv.URL, APIKey: "sk_test_preflight"})
		if err != nil {
			t.Fatal(err)
		}
		err = (&Framework{Client: c}).Preflight(context.Background())
		srv.Close()
		if (err != nil) != wantErr {
			t.Errorf("%s: Preflight = %v", body, err)
		}
		if len(got) != 1 || got[0] != "GET /v1/payment_intents" {
			t.Errorf("Preflight sent %v, want one read", got)
		}
	}
}

func TestOperationName(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"POST", "/v1/payment_intents"}:                                  "create_payment_intent",
		{"GET", "/v1/payment_intents"}:                                   "list_payment_intents",
		{"GET", "/v1/payment_intents/{intent}"}:                          "retrieve_payment_intent",
		{"POST", "/v1/payment_intents/{intent}"}:                         "update_payment_intent",
		{"POST", "/v1/payment_intents/{intent}/cancel"}:                  "cancel_payment_intent",
		{"POST", "/v1/payment_intents/{intent}/increment_authorization"}: "increment_authorization_payment_intent",
		{"GET", "/v1/charges/{charge}"}:                                  "retrieve_charge",
		{"GET", "/v1/refunds"}:                                           "list_refunds",
		{"GET", "/v1/refunds/{refund}"}:                                  "retrieve_refund",
		{"POST", "/v1/checkout/sessions"}:                                "create_checkout_session",
		{"POST", "/v1/checkout/sessions/{session}/expire"}:               "expire_checkout_session",
		{"DELETE", "/v1/webhook_endpoints/{webhook_endpoint}"}:           "delete_webhook_endpoint",
	} {
		if got := OperationName(in[0], in[1]); got != want {
			t.Errorf("OperationName(%s %s) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestSchemaLogKeepsTheFirstViolationPerPair(t *testing.T) {
	var l schemaLog
	l.observe("cancel_payment_intent", "payment_intent", "")
	l.observe("cancel_payment_intent", "payment_intent", "first")
	l.observe("cancel_payment_intent", "payment_intent", "second")
	l.observe("create_payment_intent", "payment_intent", "")
	got := l.entries()
	if len(got) != 2 || got[0].Operation != "cancel_payment_intent" || got[0].Responses != 3 || got[0].Violating != 2 ||
		got[0].Violations != "first" || got[1].Violating != 0 || got[1].Violations != "" {
		t.Errorf("entries = %+v", got)
	}
}

func TestTrackerReleasesNewestFirstAndOnlyKnownTypes(t *testing.T) {
	var tr tracker
	tr.add("payment_intent", "pi_1")
	tr.add("charge", "ch_1") // no release rule: not tracked
	tr.add("checkout.session", "cs_1")
	tr.add("payment_intent", "pi_1") // once
	tr.markFinal("pi_1")
	got := tr.snapshot()
	if len(got) != 2 || got[0].id != "pi_1" || got[1].id != "cs_1" || !tr.isFinal("pi_1") {
		t.Errorf("tracked = %+v", got)
	}
}

// A user who keeps the key in another variable (api_key_env) must get curl lines that name that variable: the
// framework's client is built from the configuration, not from a hand-copied subset of it.
func TestNewNamesTheConfiguredKeyVariable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"object":"list","data":[],"has_more":false,"url":"/v1/payment_intents"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "ginkgo.yaml")
	if err := os.WriteFile(path, []byte("target_url: "+srv.URL+"\napi_key_env: MY_STRIPE_KEY\nprofile: stripe-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MY_STRIPE_KEY": "sk_test_fromMyStripeKey"}
	cfg, err := config.LoadFrom(path, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(cfg, srv.URL, "run1")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Client.Config().APIKeyEnv; got != "MY_STRIPE_KEY" {
		t.Errorf("client APIKeyEnv = %q, want MY_STRIPE_KEY", got)
	}
	r, err := f.Client.Do(context.Background(), client.Request{Method: "GET", Path: "/v1/payment_intents"})
	if err != nil {
		t.Fatal(err)
	}
	if curl := r.Exchange.Curl(); !strings.Contains(curl, `"Authorization: Bearer $MY_STRIPE_KEY"`) {
		t.Errorf("curl line names the wrong key variable: %s", curl)
	}
}

// The release rules touch only objects tagged with the run's id: a tagged intent is canceled and a tagged open
// session expired, an untagged or other-run intent is left as it is, and so is a final one.
func TestReleaseRulesTouchOnlyTheRunsObjects(t *testing.T) {
	srv := httptest.NewServer(reference.New(reference.Options{}))
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL, APIKey: "sk_test_release"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	create := func(path string, p client.Params) map[string]any {
		r, err := c.Do(ctx, client.Request{Method: "POST", Path: path, Params: p})
		if err != nil || r.Status != 200 {
			t.Fatalf("create %s: %v %v", path, err, r)
		}
		obj, _ := r.JSON()
		return obj
	}
	intent := func(run string) string {
		p := client.Params{"amount": {"2000"}, "currency": {"usd"}}
		if run != "" {
			p["metadata["+RunMetadataKey+"]"] = []string{run}
		}
		return create("/v1/payment_intents", p)["id"].(string)
	}
	status := func(path string) string {
		r, err := c.Do(ctx, client.Request{Method: "GET", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := r.JSON()
		s, _ := obj["status"].(string)
		return s
	}
	mine, other, untagged := intent("run-1"), intent("run-2"), intent("")
	session := create("/v1/checkout/sessions", client.Params{"mode": {"payment"}, "success_url": {"https://example.com/s"},
		"line_items[0][quantity]": {"1"}, "line_items[0][price_data][currency]": {"usd"},
		"line_items[0][price_data][unit_amount]": {"2000"}, "line_items[0][price_data][product_data][name]": {"x"},
		"metadata[" + RunMetadataKey + "]": {"run-1"}})["id"].(string)

	var tr tracker
	for _, id := range []string{mine, other, untagged} {
		tr.add("payment_intent", id)
	}
	tr.add("checkout.session", session)
	tr.release(ctx, c, "run-1")

	for path, want := range map[string]string{
		"/v1/payment_intents/" + mine:      "canceled",
		"/v1/payment_intents/" + other:     "requires_payment_method",
		"/v1/payment_intents/" + untagged:  "requires_payment_method",
		"/v1/checkout/sessions/" + session: "expired",
	} {
		if got := status(path); got != want {
			t.Errorf("%s: status %q after release, want %q", path, got, want)
		}
	}
}
