package cancel

import (
	"strings"
	"testing"
)

func TestProfileMismatch(t *testing.T) {
	if w := profileMismatch(false, "api.stripe.com", "reference"); !strings.Contains(w, "stripe-test") {
		t.Errorf("Stripe with the reference profile: %q", w)
	}
	if w := profileMismatch(true, "127.0.0.1:1", "stripe-mock"); w == "" {
		t.Error("embedded reference with the stripe-mock profile: no warning")
	}
	for _, ok := range [][3]string{{"false", "api.stripe.com", "stripe-test"}, {"true", "127.0.0.1:1", "reference"}, {"false", "staging.example.com", "reference"}} {
		if w := profileMismatch(ok[0] == "true", ok[1], ok[2]); w != "" {
			t.Errorf("%v: unexpected warning %q", ok, w)
		}
	}
}

func TestVersionMismatch(t *testing.T) {
	if w := versionMismatch("2024-06-20", "2026-08-26.dahlia"); !strings.Contains(w, "pinned document only") || !strings.Contains(w, "2024-06-20") {
		t.Errorf("different versions: %q", w)
	}
	for _, same := range []string{"", "2026-08-26.dahlia"} {
		if w := versionMismatch(same, "2026-08-26.dahlia"); w != "" {
			t.Errorf("%q: unexpected warning %q", same, w)
		}
	}
}
