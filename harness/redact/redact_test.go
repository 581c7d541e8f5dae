package redact

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

const key = "sk_test_51HxyzABCDEFghijkl0123456789"

func TestStringSecretsReplacedEverywhere(t *testing.T) {
	in := "a=" + key + " b=" + key + " c=hunter2 d=other"
	got := String(in, key, "hunter2", "")
	want := "a=[REDACTED] b=[REDACTED] c=[REDACTED] d=other"
	if got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

func TestStringEmptySecretIsIgnored(t *testing.T) {
	in := "nothing to hide"
	if got := String(in, ""); got != in {
		t.Fatalf("empty secret changed text: %q", got)
	}
}

func TestStringStripeKeyShapes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"sk_test_abcdefgh12", "sk_test_[REDACTED]"},
		{"key sk_live_ABCDEFGH12345678 end", "key sk_live_[REDACTED] end"},
		{`{"k":"rk_test_0123456789abcdef"}`, `{"k":"rk_test_[REDACTED]"}`},
		{"rk_live_ZZZZZZZZ", "rk_live_[REDACTED]"},
		{"sk_test_conformance_reference", "sk_test_[REDACTED]"},
		{"Bearer=xsk_test_abcdefgh", "Bearer=xsk_test_[REDACTED]"},
		// Fewer than 8 key characters: not a key shape (Stripe's own masked form stays as is).
		{"sk_test_short", "sk_test_short"},
		{"Invalid API Key provided: sk_test_****wxyz", "Invalid API Key provided: sk_test_****wxyz"},
		// Publishable keys are not secret.
		{"pk_test_abcdefghijkl", "pk_test_abcdefghijkl"},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStringAuthorizationInText(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("opaque-user:pw"))
	cases := []struct{ in, want string }{
		{"AUTHORIZATION: BEARER shouted-token-1", "AUTHORIZATION: BEARER [REDACTED]"},
		{"Authorization: Bearer opaque-token-123", "Authorization: Bearer [REDACTED]"},
		{"authorization: basic " + b64 + "\nNext: x", "authorization: basic [REDACTED]\nNext: x"},
		{"map[Authorization:[Bearer tok123] Accept:[*/*]]", "map[Authorization:[Bearer [REDACTED]] Accept:[*/*]]"},
		{`{"Authorization": "Basic ` + b64 + `"}`, `{"Authorization": "Basic [REDACTED]"}`},
		{"curl -H 'Authorization: Bearer tok123' x", "curl -H 'Authorization: Bearer [REDACTED]' x"},
		// Shell variables and already redacted values are kept.
		{`-H "Authorization: Bearer $CONFORMANCE_API_KEY"`, `-H "Authorization: Bearer $CONFORMANCE_API_KEY"`},
		{"Authorization: Bearer [REDACTED]", "Authorization: Bearer [REDACTED]"},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStringBasicAuthOfSecretInText(t *testing.T) {
	// A non-Stripe-shaped secret in base64 form, outside any Authorization header (e.g. a dumped request line).
	secret := "opaquesecret"
	b64 := base64.StdEncoding.EncodeToString([]byte(secret + ":"))
	got := String("creds="+b64, secret)
	if strings.Contains(got, b64) || got != "creds=[REDACTED]" {
		t.Fatalf("base64 Basic credential leaked: %q", got)
	}
}

func TestStringIsIdempotent(t *testing.T) {
	in := "Authorization: Bearer " + key + " body " + key
	once := String(in, key)
	if twice := String(once, key); twice != once {
		t.Fatalf("not idempotent: %q then %q", once, twice)
	}
}

func TestHeaderAuthorization(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":"))
	h := http.Header{
		"Authorization":       {"Basic " + basic},
		"Proxy-Authorization": {"Bearer " + key},
		"X-Echo":              {"got " + key, "fine"},
		"Stripe-Version":      {"2026-08-26.dahlia"},
	}
	orig := h.Clone()
	got := Header(h, key)

	if v := got.Get("Authorization"); v != "Basic [REDACTED]" {
		t.Errorf("Authorization = %q", v)
	}
	if v := got.Get("Proxy-Authorization"); v != "Bearer [REDACTED]" {
		t.Errorf("Proxy-Authorization = %q", v)
	}
	if v := got.Values("X-Echo"); len(v) != 2 || v[0] != "got [REDACTED]" || v[1] != "fine" {
		t.Errorf("X-Echo = %q", v)
	}
	if v := got.Get("Stripe-Version"); v != "2026-08-26.dahlia" {
		t.Errorf("Stripe-Version = %q", v)
	}
	// A copy: the input is unchanged.
	if fmt.Sprint(h) != fmt.Sprint(orig) {
		t.Errorf("input header was modified: %v", h)
	}
	// The key, and its base64 Basic form, appear nowhere in the rendered header.
	dump := fmt.Sprint(got)
	for _, leak := range []string{key, basic, "51HxyzABCDEF"} {
		if strings.Contains(dump, leak) {
			t.Errorf("redacted header leaks %q: %s", leak, dump)
		}
	}
}

func TestHeaderBasicWithoutSecretArgument(t *testing.T) {
	// Even when the caller forgets to pass the key, the Authorization value is masked.
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":"))
	got := Header(http.Header{"authorization": {"Basic " + basic}})
	if dump := fmt.Sprint(got); strings.Contains(dump, basic) || !strings.Contains(dump, "Basic [REDACTED]") {
		t.Fatalf("basic credential not masked: %s", dump)
	}
}

func TestHeaderOtherSchemesAndEdgeCases(t *testing.T) {
	got := Header(http.Header{"Authorization": {"Token abc", "rawcredential", ""}})
	want := []string{"Token [REDACTED]", "[REDACTED]", ""}
	for i, v := range got.Values("Authorization") {
		if v != want[i] {
			t.Errorf("value %d = %q, want %q", i, v, want[i])
		}
	}
	if Header(nil) != nil {
		t.Error("Header(nil) != nil")
	}
}

func TestClientSecretIsMasked(t *testing.T) {
	in := `{"client_secret":"pi_3Abc_secret_Dm43xiq1k0ywrRRjDoi8y1gkM"}`
	got := String(in)
	if strings.Contains(got, "Dm43xiq1k0") || !strings.Contains(got, "pi_3Abc_secret_[REDACTED]") {
		t.Errorf("client secret not masked: %s", got)
	}
	if String(got) != got {
		t.Error("not idempotent")
	}
}

func TestMaskClientSecretsEdgeCases(t *testing.T) {
	for in, want := range map[string]string{
		"a_secret_abcdef":                     "a_secret_" + Mask,
		"a_secret_abcde":                      "a_secret_abcde",
		"x_secret_abc_secret_abcdefgh!":       "x_secret_abc_secret_" + Mask + "!",
		"pi_1_secret_A1b2C3d4, pi_2_secret_Z": "pi_1_secret_" + Mask + ", pi_2_secret_Z",
		"no secret here":                      "no secret here",
		"_secret_":                            "_secret_",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// A canceled PaymentIntent as the reference sends it: the body every exchange records.
func BenchmarkStringPaymentIntentBody(b *testing.B) {
	body := `{
  "id": "pi_3Q1a2b3c4d5e6f7g",
  "object": "payment_intent",
  "amount": 2000,
  "amount_capturable": 0,
  "cancellation_reason": "abandoned",
  "client_secret": "pi_3Q1a2b3c4d5e6f7g_secret_Ab12Cd34Ef56Gh78Ij90",
  "currency": "usd",
  "livemode": false,
  "metadata": {"conformance_run": "run_20261130_abcdef"},
  "payment_method_types": ["card"],
  "status": "canceled"
}`
	body = strings.Repeat(body, 10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = String(body, "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
	}
}

// TestHeadIsAPrefixOfTheRedactedWhole places each kind of credential at every offset around Head's cut and around
// the end of the window Head redacts: the head must always be a prefix of String of the whole text (so no part of
// a credential straddling either edge shows), at most n bytes, and not much shorter than n.
func TestHeadIsAPrefixOfTheRedactedWhole(t *testing.T) {
	custom := "custom-credential-" + strings.Repeat("x1", 40) // an explicit secret of no known shape, 98 bytes
	basic := base64.StdEncoding.EncodeToString([]byte(custom + ":"))
	cases := []struct {
		name    string
		token   string
		secrets []string
	}{
		{"explicit secret", custom, []string{custom}},
		{"Basic form of a secret", basic, []string{custom}},
		{"Stripe key shape", "sk_test_" + strings.Repeat("Ab3", 12), nil},
		{"Authorization credential", `"Authorization": "Bearer tok_` + strings.Repeat("z9", 20) + `"`, nil},
		{"client secret", "pi_3ABC_secret_" + strings.Repeat("q7", 12), nil},
	}
	filler := strings.Repeat("lorem ipsum, ", 200)
	for _, c := range cases {
		margin := headMargin
		for _, s := range c.secrets {
			margin = max(margin, 2*len(s)+headMargin)
		}
		for _, n := range []int{40, 300} {
			for at := max(0, n-len(c.token)-3); at <= n+2*margin+3; at++ {
				s := filler[:at] + c.token + filler
				whole := String(s, c.secrets...)
				got, cut := Head(s, n, c.secrets...)
				if !cut || len(got) > n || !strings.HasPrefix(whole, got) {
					t.Fatalf("%s at %d, n=%d: Head = %q (cut %v), not a prefix of at most n bytes of the redacted whole %.200q…",
						c.name, at, n, got, cut, whole)
				}
				if len(got) < n-len(Mask) && len(whole) > n {
					t.Fatalf("%s at %d, n=%d: Head keeps only %d bytes", c.name, at, n, len(got))
				}
			}
		}
	}
}

// TestHeadManyMasksBeforeTheCut: masks shrink the text (98-byte secrets become [REDACTED]), so the head reaches into
// what was the end of the window; a secret straddling that end must still not show.
func TestHeadManyMasksBeforeTheCut(t *testing.T) {
	custom := "custom-credential-" + strings.Repeat("x1", 40)
	for k := 1; k <= 8; k++ {
		for tail := 0; tail < len(custom); tail += 7 {
			s := strings.Repeat(custom+" ", k) + strings.Repeat("-", tail) + custom + strings.Repeat(".", 2000)
			got, _ := Head(s, 300, custom)
			if whole := String(s, custom); !strings.HasPrefix(whole, got) {
				t.Fatalf("k=%d tail=%d: Head = %q is not a prefix of %.400q", k, tail, got, whole)
			}
			if strings.Contains(got, custom[:12]) {
				t.Fatalf("k=%d tail=%d: Head shows part of the secret: %q", k, tail, got)
			}
		}
	}
}

func TestHeadShortTextIsWhole(t *testing.T) {
	if got, cut := Head([]byte("a="+key), 100, key); got != "a=[REDACTED]" || cut {
		t.Fatalf("Head = %q, %v", got, cut)
	}
	if got, cut := Head("héllo", 2); got != "h" || !cut {
		t.Fatalf("Head cut inside a UTF-8 sequence: %q, %v", got, cut)
	}
}

func TestWebhookSecretMasked(t *testing.T) {
	in := `{"secret": "whsec_0123456789abcdefABCDEF0123456789", "t": "Stripe-Signature: t=1,v1=ab"}`
	got := String(in)
	if strings.Contains(got, "0123456789abcdef") || !strings.Contains(got, `"whsec_[REDACTED]"`) {
		t.Fatalf("webhook secret not masked: %s", got)
	}
	if String(got) != got {
		t.Fatalf("not idempotent: %s", String(got))
	}
}
