package matchers

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Lookup returns the value at a dotted path ("error.code", "latest_charge.refunds.data.0.amount") in a decoded
// JSON object, and whether every step existed.
func Lookup(obj any, path string) (any, bool) {
	cur := obj
	if path == "" {
		return cur, true
	}
	for _, step := range strings.Split(path, ".") {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[step]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// AsInt converts a JSON number (json.Number or float64) to int64.
func AsInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// JSONEqual compares a decoded JSON value with an expected Go value: numbers by value, nil with JSON null.
func JSONEqual(actual, expected any) bool {
	if expected == nil {
		return actual == nil
	}
	switch e := expected.(type) {
	case int, int64, int32:
		ei, _ := AsInt(e)
		ai, ok := AsInt(actual)
		return ok && ai == ei
	case string:
		a, ok := actual.(string)
		return ok && a == e
	case bool:
		a, ok := actual.(bool)
		return ok && a == e
	}
	return fmt.Sprint(actual) == fmt.Sprint(expected)
}

// Show renders a decoded JSON value compactly for failure messages.
func Show(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
