package client

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pi-conformance/suite/harness/redact"
)

// A secret registered with harness/redact (not the client's own key) is masked in the client's exchanges and in
// Redact: there is one registry of secrets, not one per package.
func TestRegisteredSecretsAreMaskedInExchanges(t *testing.T) {
	const secret = "client-registered-vendor-token-77"
	redact.Register(secret)
	rs := newRecServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", secret)
		_, _ = w.Write([]byte(`{"object":"thing","note":"` + secret + `"}`))
	})
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/things", Params: Params{"description": {secret}}})
	ex := r.Exchange
	for name, text := range map[string]string{
		"request body": ex.RequestBody, "response body": ex.ResponseBody, "response header": ex.ResponseHeader.Get("X-Echo"),
		"curl": ex.Curl(), "summary": ex.Summary(0), "Redact": c.Redact("x " + secret),
	} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the registered secret: %s", name, text)
		}
	}
}
