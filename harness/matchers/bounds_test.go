package matchers_test

import (
	"strings"
	"testing"

	. "github.com/pi-conformance/suite/harness/matchers"
)

// TestDiffAndShowAreBounded: values 9000 levels deep or megabytes long give failure lines of bounded size, and a
// registered secret straddling Show's cut does not show in part.
func TestDiffAndShowAreBounded(t *testing.T) {
	deep := func(leaf any) any {
		var v = leaf
		for range 9000 {
			v = map[string]any{"n": v}
		}
		return v
	}
	d := Diff(deep("a"), deep("b"), 10)
	if len(d) != 1 || len(d[0]) > 400 || !strings.Contains(d[0], "(9000 segments in all)") || !strings.HasSuffix(d[0], `/n/n: "a" vs "b"`) {
		t.Fatalf("Diff of a deep difference: %d entries, %d bytes: %.500v", len(d), len(d[0]), d)
	}
	wideA, wideB := map[string]any{}, map[string]any{}
	for i := range 5000 {
		wideA[strings.Repeat("k", 1+i%50)+string(rune('a'+i%26))+strings.Repeat("x", i/1300)] = i
	}
	if d := Diff(wideA, wideB, 10); len(d) != 10 {
		t.Fatalf("Diff kept %d entries, want at most 10", len(d))
	}

	secret := "custom-matchers-secret-0123456789"
	RegisterSecret(secret)
	for at := 270; at < 310; at++ {
		s := Show(strings.Repeat("x", at) + secret + strings.Repeat("y", 1<<20))
		if len(s) > 400 || strings.Contains(s, secret[:12]) {
			t.Fatalf("Show with the secret at %d: %d bytes: %.500s", at, len(s), s)
		}
	}
}
