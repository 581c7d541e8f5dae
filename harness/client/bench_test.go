package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The client's own work per request (building it, redacting and recording the exchange), against a local handler
// that answers a PaymentIntent-sized body at once. own-ns/op is the figure: the time in Do that is not waiting on
// the target.
func BenchmarkDoOwnTime(b *testing.B) {
	body := `{"id":"pi_3Q1a2b3c4d5e6f7g","object":"payment_intent","client_secret":"pi_3Q1a2b3c4d5e6f7g_secret_Ab12Cd34Ef56Gh78Ij90",` +
		strings.Repeat(`"field_with_a_long_name":"some value of a field","amount":2000,`, 45) + `"livemode":false}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_123456789")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: "sk_test_benchmarkkey0123456789", StripeVersion: "2026-08-26.dahlia"})
	if err != nil {
		b.Fatal(err)
	}
	c = c.WithRecorder(NewRecorder())
	ctx := context.Background()
	req := Request{Method: "POST", Path: "/v1/payment_intents/pi_3Q1a2b3c4d5e6f7g/cancel", Params: Params{"cancellation_reason": {"abandoned"}}}
	b.ReportAllocs()
	start := c.Stats()
	for b.Loop() {
		if _, err := c.Do(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	end := c.Stats()
	n := end.Requests - start.Requests
	b.ReportMetric(float64((end.OwnTime-start.OwnTime)/time.Duration(n)), "own-ns/op")
	b.ReportMetric(float64((end.WaitTime-start.WaitTime)/time.Duration(n)), "wait-ns/op")
}
