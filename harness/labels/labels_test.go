package labels

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, ok := range []string{"status:requires_capture", "status:any", "op:cancel", "check:post-cancel", "check:reach", "id:cancel.from-requires_capture", "id:x"} {
		if err := Validate(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"cancel":           "not of the form",
		"state:canceled":   "unknown family",
		"status:cancelled": "not a known status",
		"check:refunds":    "not a known check",
		"op:":              "not a known op",
		"id:":              "an id is",
		"id:Cancel":        "an id is",
		"id:-x":            "an id is",
		"id:a b":           "an id is",
		"id:a/b":           "an id is",
	} {
		err := Validate(bad)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: got %v, want an error containing %q", bad, err, why)
		}
	}
}

func TestConstructorsPanicOnUnknownValues(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Status(\"cancelled\") did not panic")
		}
	}()
	Status("cancelled")
}

func TestCheckSpecLabels(t *testing.T) {
	if err := CheckSpec([]string{"status:canceled", "op:cancel", "check:rejection", "id:rejection.canceled"}); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{
		{"status:canceled", "op:cancel", "check:rejection"},
		{"status:canceled", "op:cancel", "check:rejection", "id:a", "id:b"},
		{"status:canceled", "op:cancel", "check:rejection", "id:Has Space"},
		{"op:cancel", "check:rejection"},
		{"status:canceled", "status:succeeded", "op:cancel", "check:rejection"},
		{"status:canceled", "op:cancel", "check:rejection", "slow"},
	} {
		if err := CheckSpec(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	for _, c := range Checks {
		if CheckTitles[c] == "" {
			t.Errorf("check %q has no title", c)
		}
	}
}

func TestValue(t *testing.T) {
	if v := Value([]string{"op:cancel", "status:processing"}, FamilyStatus); v != "processing" {
		t.Errorf("Value = %q", v)
	}
	if v := Value([]string{"op:cancel"}, FamilyCheck); v != "" {
		t.Errorf("Value = %q", v)
	}
}
