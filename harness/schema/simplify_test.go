package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pi-conformance/suite/fixtures/openapi"
)

// The compiler rewrites nullable single-branch anyOfs and type-disjoint anyOfs (see simplify) so that kin-openapi
// validates each value once. The rewritten schemas must judge every value as kin-openapi judges the document as
// written: this test takes realistic objects, applies every one of several mutations at every place in them (null,
// a string, a number, a boolean, an object, an array, removal), and compares the verdicts.
func TestSimplifiedSchemasJudgeAlike(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatal(err)
	}
	v := mustDefault(t)
	charge := fixtureObject(t, "charge")
	expanded := canceledPI(t)
	expanded["latest_charge"] = charge
	objects := map[string]map[string]any{
		"payment_intent":   expanded,
		"charge":           charge,
		"refund":           fixtureObject(t, "refund"),
		"checkout.session": fixtureObject(t, "checkout.session"),
	}
	names := make([]string, 0, len(objects))
	for n := range objects {
		names = append(names, n)
	}
	sort.Strings(names)
	replacements := []any{nil, "x", json.Number("1"), json.Number("1.5"), true, map[string]any{"id": "x", "object": "x"}, map[string]any{}, []any{}, []any{"x"}}
	cases, disagreements := 0, 0
	for _, name := range names {
		comp := doc.Components.Schemas[name]
		if comp == nil {
			t.Fatalf("no component %q in the pinned document", name)
		}
		base := roundTrip(t, objects[name])
		check := func(desc string, value any) {
			t.Helper()
			cases++
			want := comp.Value.VisitJSON(value, openapi3.MultiErrors()) == nil
			got := len(v.ValidateValue(name, value)) == 0
			if got != want {
				disagreements++
				if disagreements <= 20 {
					t.Errorf("%s %s: the document as written says valid=%v, the compiled schemas say valid=%v", name, desc, want, got)
				}
			}
		}
		check("as is", base)
		for _, path := range paths(base, "") {
			for i, r := range replacements {
				m := roundTrip(t, base)
				set(m, path, r, false)
				check(fmt.Sprintf("%s = replacement %d", path, i), m)
			}
			m := roundTrip(t, base)
			set(m, path, nil, true)
			check(path+" removed", m)
		}
	}
	if disagreements > 0 {
		t.Fatalf("%d of %d values judged differently", disagreements, cases)
	}
	t.Logf("%d values judged alike", cases)
}

// roundTrip copies v through JSON, with numbers as json.Number (as the client decodes them).
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// paths lists every place in v as "/"-separated keys and indexes (objects and arrays, to any depth).
func paths(v any, prefix string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := prefix + "/" + k
			out = append(out, p)
			out = append(out, paths(x[k], p)...)
		}
	case []any:
		for i, e := range x {
			p := fmt.Sprintf("%s/%d", prefix, i)
			out = append(out, p)
			out = append(out, paths(e, p)...)
		}
	}
	return out
}

// set replaces (or removes) the value at path.
func set(root map[string]any, path string, value any, remove bool) {
	var parent any = root
	segs := splitPath(path)
	for _, s := range segs[:len(segs)-1] {
		parent = child(parent, s)
	}
	last := segs[len(segs)-1]
	switch p := parent.(type) {
	case map[string]any:
		if remove {
			delete(p, last)
		} else {
			p[last] = value
		}
	case []any:
		var i int
		fmt.Sscan(last, &i)
		p[i] = value // arrays: removal is replaced by null
	}
}

func child(v any, seg string) any {
	switch p := v.(type) {
	case map[string]any:
		return p[seg]
	case []any:
		var i int
		fmt.Sscan(seg, &i)
		return p[i]
	}
	return nil
}

func splitPath(p string) []string {
	var out []string
	cur := ""
	for _, c := range p[1:] {
		if c == '/' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(c)
	}
	return append(out, cur)
}
