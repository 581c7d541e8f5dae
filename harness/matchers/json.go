package matchers

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/pi-conformance/suite/harness/redact"
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

// JSONEqual compares a decoded JSON value with an expected value, strictly by JSON type: a string never equals a
// number ("2000" is not 2000), a bool only a bool, nil only JSON null; objects and arrays element by element.
// Numbers compare by value, exactly (json.Number, float64 and Go integers alike): JSON has one number type, so
// 1.0 and 1 are the same number, and the schema checks judge whether an integer field holds an integer.
func JSONEqual(actual, expected any) bool {
	if expected == nil {
		return actual == nil
	}
	if en, ok := numberValue(expected); ok {
		an, ok := numberValue(actual)
		return ok && an.Cmp(en) == 0
	}
	switch e := expected.(type) {
	case string:
		a, ok := actual.(string)
		return ok && a == e
	case bool:
		a, ok := actual.(bool)
		return ok && a == e
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok || len(a) != len(e) {
			return false
		}
		for k, ev := range e {
			av, in := a[k]
			if !in || !JSONEqual(av, ev) {
				return false
			}
		}
		return true
	case []any:
		a, ok := actual.([]any)
		if !ok || len(a) != len(e) {
			return false
		}
		for i := range e {
			if !JSONEqual(a[i], e[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(actual, expected)
}

// numberValue returns a JSON number (json.Number, float64, or a Go integer) as an exact rational.
func numberValue(v any) (*big.Rat, bool) {
	switch n := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(n))
		return r, ok
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(n), true
	case int:
		return new(big.Rat).SetInt64(int64(n)), true
	case int32:
		return new(big.Rat).SetInt64(int64(n)), true
	case int64:
		return new(big.Rat).SetInt64(n), true
	}
	return nil, false
}

// RegisterSecret adds a value (the API key) that Show and the matchers' messages must never print; Stripe-shaped keys
// and client secrets are masked anyway. It registers the value with harness/redact, the one registry of secrets,
// which the client and the reports mask too.
func RegisterSecret(s string) { redact.Register(s) }

func redacted(s string) string { return redact.String(s, redact.Secrets()...) }

// Show renders a decoded JSON value compactly and redacted, for failure messages.
func Show(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprint(v))
	}
	out, cut := redact.Head(b, showBytes, redact.Secrets()...)
	if cut {
		return out + "… (" + strconv.Itoa(len(b)) + " bytes)"
	}
	return out
}

// showBytes bounds a value shown in a failure message; maxPointer bounds a JSON pointer there.
const (
	showBytes  = 300
	maxPointer = 240
)

// pointer renders a path as a JSON pointer, keeping both ends of a deep one.
func pointer(path []string) string {
	p := "/" + strings.Join(path, "/")
	if len(path) == 0 {
		return ""
	}
	if len(p) <= maxPointer {
		return p
	}
	head, _ := redact.Head(p, maxPointer/2)
	tail := p[len(p)-maxPointer/2:]
	return fmt.Sprintf("%s/…(%d segments in all)…%s", head, len(path), strings.ToValidUTF8(tail, ""))
}

// Diff lists, as JSON pointers with both values, where two decoded JSON values differ (at most max entries). The
// path is a stack of segments rendered only for an entry, so a deep body costs no string per level.
func Diff(a, b any, max int) []string {
	var out []string
	var path []string
	var walk func(x, y any)
	walk = func(x, y any) {
		if len(out) >= max {
			return
		}
		xm, xok := x.(map[string]any)
		ym, yok := y.(map[string]any)
		if xok && yok {
			keys := map[string]bool{}
			for k := range xm {
				keys[k] = true
			}
			for k := range ym {
				keys[k] = true
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				if len(out) >= max {
					return
				}
				xv, xin := xm[k]
				yv, yin := ym[k]
				path = append(path, k)
				switch {
				case !xin:
					out = append(out, fmt.Sprintf("%s: absent vs %s", pointer(path), Show(yv)))
				case !yin:
					out = append(out, fmt.Sprintf("%s: %s vs absent", pointer(path), Show(xv)))
				default:
					walk(xv, yv)
				}
				path = path[:len(path)-1]
			}
			return
		}
		xa, xok := x.([]any)
		ya, yok := y.([]any)
		if xok && yok && len(xa) == len(ya) {
			for i := range xa {
				path = append(path, strconv.Itoa(i))
				walk(xa[i], ya[i])
				path = path[:len(path)-1]
			}
			return
		}
		if !reflect.DeepEqual(x, y) {
			out = append(out, fmt.Sprintf("%s: %s vs %s", pointer(path), Show(x), Show(y)))
		}
	}
	walk(a, b)
	return out
}
