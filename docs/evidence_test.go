package docs

import "testing"

func TestEvidenceTableLoadsAndMatchesByPrefix(t *testing.T) {
	tab, err := LoadEvidence()
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"post-cancel.capture.from-requires_action":    "post-cancel.capture",
		"post-cancel.confirm.from-processing":         "post-cancel.confirm",
		"post-cancel.confirm-with-pm.from-x":          "post-cancel.confirm-with-pm",
		"schema.request-id":                           "schema.request-id",
		"schema.create_payment_intent.payment_intent": "schema",
	} {
		if _, key, ok := tab.For(id); !ok || key != want {
			t.Errorf("For(%q) = %q, %v; want %q", id, key, ok, want)
		}
	}
	if _, _, ok := tab.For("nothing.here"); ok {
		t.Error("an unknown id matched")
	}
}

func TestEvidenceTableRefusesBadEntries(t *testing.T) {
	for _, bad := range []string{
		"entries:\n  x:\n    level: sure\n    source: s\n",
		"entries:\n  x:\n    level: recorded\n    source: s\n",
		"entries:\n  x:\n    level: documented\n    source: s\n    year: 2020\n",
		"entries:\n  x:\n    level: documented\n",
		"entries:\n  x:\n    level: documented\n    source: s\n    extra: 1\n",
	} {
		if _, err := parseEvidence([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}
