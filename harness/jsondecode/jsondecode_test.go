package jsondecode

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	v, err := Decode([]byte(` {"a":[1,2.5,"x,{["],"b":null} `))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["a"].([]any)[0] != json.Number("1") || m["a"].([]any)[2] != "x,{[" || m["b"] != nil {
		t.Errorf("decoded %#v", v)
	}
	if _, err := Decode([]byte(`{} {}`)); !errors.Is(err, ErrTrailingData) {
		t.Errorf("trailing data: %v", err)
	}
	if _, err := Decode([]byte(`{"a":`)); err == nil || errors.Is(err, ErrTrailingData) {
		t.Errorf("truncated: %v", err)
	}
}

func TestTooManyValuesIsRefusedBeforeDecoding(t *testing.T) {
	at := "[" + strings.Repeat("0,", MaxValues-2) + "0]" // the array and MaxValues-1 elements
	if _, err := Decode([]byte(at)); err != nil {
		t.Errorf("%d values: %v", MaxValues, err)
	}
	over := "[" + strings.Repeat("0,", MaxValues-1) + "0]"
	if _, err := Decode([]byte(over)); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("%d values: %v", MaxValues+1, err)
	}
	// Commas and brackets inside strings (escaped quotes included) are not values.
	s := `["` + strings.Repeat(`,[{\"`, MaxValues) + `"]`
	if _, err := Decode([]byte(s)); err != nil {
		t.Errorf("a string full of separators: %v", err)
	}
}
