package cancel

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/docs"
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

func TestTreeProblemsRefusesDuplicatesAndMissingEvidence(t *testing.T) {
	spec := func(text, id string) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text,
			LeafNodeLabels: []string{"status:any", "op:cancel", "check:errors", "id:" + id}}
	}
	ev := docs.Table{"errors": {Level: "documented", Source: "s"}}
	if p := treeProblems(types.SpecReports{spec("a", "errors.a"), spec("b", "errors.b")}, ev); len(p) != 0 {
		t.Errorf("a clean tree: %v", p)
	}
	for name, c := range map[string]struct {
		specs types.SpecReports
		want  string
	}{
		"same name":   {types.SpecReports{spec("a", "errors.a"), spec("a", "errors.b")}, "has the same name"},
		"same id":     {types.SpecReports{spec("a", "errors.a"), spec("b", "errors.a")}, "is also the id"},
		"no evidence": {types.SpecReports{spec("a", "other.a")}, "has no entry in docs/evidence.yaml"},
		"bad label":   {types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: "x", LeafNodeLabels: []string{"status:any"}}}, "want exactly one"},
	} {
		p := treeProblems(c.specs, ev)
		if !strings.Contains(strings.Join(p, "\n"), c.want) {
			t.Errorf("%s: problems %v, want one containing %q", name, p, c.want)
		}
	}
}
