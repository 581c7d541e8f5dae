package schema_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestWideBodyIsValidatedInPart: a body of 20000 bad members is validated with its wide object cut to its first
// members, and says so, instead of collecting an issue per member.
func TestWideBodyIsValidatedInPart(t *testing.T) {
	v := mustDefault(t)
	pi := canceledPI(t)
	md := map[string]any{}
	for i := range 20_000 {
		md[fmt.Sprintf("k%05d", i)] = i
	}
	pi["metadata"] = md
	issues := v.ValidateValue("payment_intent", pi)
	if len(issues) != 1001 || issues[0].Pointer != "/metadata/k00000" || issues[999].Pointer != "/metadata/k00999" ||
		issues[1000].Pointer != "/metadata" || !strings.Contains(issues[1000].Reason, "only the first 1000") {
		t.Fatalf("want the issues of the first 1000 members and a note, got %d issues: %.500v", len(issues), issues)
	}
	// Under the bound, every issue is listed.
	pi["metadata"] = map[string]any{"a": 1, "b": 2}
	if issues := v.ValidateValue("payment_intent", pi); len(issues) != 2 || issues[0].Pointer != "/metadata/a" || issues[1].Pointer != "/metadata/b" {
		t.Fatalf("want both issues, got %v", issues)
	}
}
