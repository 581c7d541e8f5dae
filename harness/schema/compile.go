package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The pinned document is decoded once with encoding/json into generic values and compiled here into kin-openapi
// schema values, resolving "#/components/schemas/…" references as it goes. kin-openapi's own loader would decode
// every nested object several times over (each level re-reads its subtree to collect extensions) and then resolve
// references in a second pass; for this document that is most of a suite process's start-up. Validation itself
// stays kin-openapi's (Schema.VisitJSON). A test checks that both ways validate the same bodies alike.

const componentPrefix = "#/components/schemas/"

type compiler struct {
	raw  map[string]any                 // components.schemas, decoded
	refs map[string]*openapi3.SchemaRef // compiled components, by name
}

func (c *compiler) component(name string) (*openapi3.SchemaRef, error) {
	if r, ok := c.refs[name]; ok {
		return r, nil
	}
	raw, ok := c.raw[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no component schema %q", name)
	}
	// Register before compiling, so that cycles resolve to the same value.
	ref := &openapi3.SchemaRef{Ref: componentPrefix + name, Value: &openapi3.Schema{}}
	c.refs[name] = ref
	if err := c.fill(ref.Value, raw, name); err != nil {
		return nil, err
	}
	return ref, nil
}

func (c *compiler) schemaRef(v any, where string) (*openapi3.SchemaRef, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object, got %T", where, v)
	}
	if ref, ok := m["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, componentPrefix)
		if !found {
			return nil, fmt.Errorf("%s: unsupported $ref %q", where, ref)
		}
		return c.component(name)
	}
	s := &openapi3.Schema{}
	if err := c.fill(s, m, where); err != nil {
		return nil, err
	}
	return &openapi3.SchemaRef{Value: s}, nil
}

func (c *compiler) schemaRefs(v any, where string) (openapi3.SchemaRefs, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an array of schemas", where)
	}
	out := make(openapi3.SchemaRefs, len(arr))
	for i, e := range arr {
		r, err := c.schemaRef(e, fmt.Sprintf("%s/%d", where, i))
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// It is long because it copies every schema keyword, one short case each.
func (c *compiler) fill(s *openapi3.Schema, m map[string]any, where string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic errors
	for _, k := range keys {
		v := m[k]
		at := where + "/" + k
		var err error
		switch k {
		case "type":
			t, ok := v.(string)
			if !ok {
				return fmt.Errorf("%s: want a string", at)
			}
			s.Type = &openapi3.Types{t}
		case "nullable":
			s.Nullable, err = asBool(v, at)
		case "maxLength":
			var n uint64
			n, err = asUint(v, at)
			s.MaxLength = &n
		case "minLength":
			s.MinLength, err = asUint(v, at)
		case "maxItems":
			var n uint64
			n, err = asUint(v, at)
			s.MaxItems = &n
		case "minItems":
			s.MinItems, err = asUint(v, at)
		case "minimum", "maximum":
			f, ok := v.(float64)
			if !ok {
				return fmt.Errorf("%s: want a number", at)
			}
			if k == "minimum" {
				s.Min = &f
			} else {
				s.Max = &f
			}
		case "pattern":
			s.Pattern, _ = v.(string)
		case "format":
			s.Format, _ = v.(string)
		case "title":
			s.Title, _ = v.(string)
		case "description":
			s.Description, _ = v.(string)
		case "enum":
			arr, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s: want an array", at)
			}
			s.Enum = arr
		case "required":
			arr, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s: want an array", at)
			}
			for _, e := range arr {
				name, ok := e.(string)
				if !ok {
					return fmt.Errorf("%s: want strings", at)
				}
				s.Required = append(s.Required, name)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: want an object", at)
			}
			s.Properties = make(openapi3.Schemas, len(props))
			for name, p := range props {
				r, err := c.schemaRef(p, at+"/"+name)
				if err != nil {
					return err
				}
				s.Properties[name] = r
			}
		case "items":
			s.Items, err = c.schemaRef(v, at)
		case "anyOf":
			s.AnyOf, err = c.schemaRefs(v, at)
		case "oneOf":
			s.OneOf, err = c.schemaRefs(v, at)
		case "allOf":
			s.AllOf, err = c.schemaRefs(v, at)
		case "additionalProperties":
			switch t := v.(type) {
			case bool:
				s.AdditionalProperties.Has = &t
			default:
				s.AdditionalProperties.Schema, err = c.schemaRef(t, at)
			}
		case "$ref":
			return fmt.Errorf("%s: $ref beside other keywords is not supported", at)
		default:
			if strings.HasPrefix(k, "x-") {
				if s.Extensions == nil {
					s.Extensions = map[string]any{}
				}
				s.Extensions[k] = v
				continue
			}
			// An unknown keyword would be silently ignored by validation: refuse it instead.
			return fmt.Errorf("%s: unsupported schema keyword %q", where, k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func asBool(v any, at string) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: want a boolean", at)
	}
	return b, nil
}

func asUint(v any, at string) (uint64, error) {
	f, ok := v.(float64)
	if !ok || f < 0 || f != float64(uint64(f)) {
		return 0, fmt.Errorf("%s: want a non-negative integer", at)
	}
	return uint64(f), nil
}

// rawDocument is the part of an OpenAPI document the validator reads.
type rawDocument struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Version string `json:"version"`
	} `json:"info"`
	Paths map[string]map[string]struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema any `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

func decodeDocument(document []byte) (*rawDocument, error) {
	var raw rawDocument
	if err := json.Unmarshal(document, &raw); err != nil {
		return nil, fmt.Errorf("schema: decode OpenAPI document: %w", err)
	}
	if !strings.HasPrefix(raw.OpenAPI, "3.0") {
		return nil, fmt.Errorf("schema: want an OpenAPI 3.0 document, got openapi %q", raw.OpenAPI)
	}
	if len(raw.Paths) == 0 {
		return nil, fmt.Errorf("schema: the document has no paths")
	}
	return &raw, nil
}

// simplify rewrites, in place, two shapes of anyOf that kin-openapi validates at several times their cost into
// shapes it judges identically and validates once. Stripe's document is full of both:
//
//   - {nullable: true, anyOf: [X]} (a nullable reference) becomes X with nullable set. kin-openapi validates the
//     branch of a passing anyOf twice (once to find it, once more to inject defaults), so every level of nesting
//     doubled the work: an expanded charge inside a PaymentIntent was validated four times over.
//   - anyOf [string, object] (an expandable field) becomes oneOf when its branches cannot both accept one value:
//     each has one concrete type, no two types accept the same JSON value, at most one accepts null, and none
//     has sub-schemas of its own that could accept null. oneOf tries every branch once and passes when exactly one
//     passes, which for disjoint branches is exactly when anyOf passes.
//
// TestSimplifiedSchemasJudgeAlike holds the rewritten schemas to the loader's on mutated bodies.
func simplify(roots []*openapi3.SchemaRef) {
	seen := map[*openapi3.Schema]bool{}
	for _, r := range roots {
		if r != nil {
			simplifySchema(r.Value, seen)
		}
	}
}

func simplifySchema(s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	for _, r := range s.Properties {
		simplifySchema(r.Value, seen)
	}
	for _, r := range []*openapi3.SchemaRef{s.Items, s.AdditionalProperties.Schema, s.Not} {
		if r != nil {
			simplifySchema(r.Value, seen)
		}
	}
	for _, rs := range []openapi3.SchemaRefs{s.AnyOf, s.OneOf, s.AllOf} {
		for _, r := range rs {
			simplifySchema(r.Value, seen)
		}
	}
	switch {
	case len(s.AnyOf) == 1 && onlyNullableBesideAnyOf(s) && s.AnyOf[0].Value != nil:
		nullable := s.Nullable
		*s = *s.AnyOf[0].Value // a shallow copy: the branch's own sub-schemas are shared, never changed
		s.Nullable = s.Nullable || nullable
	case len(s.AnyOf) > 1 && s.Discriminator == nil && disjointBranches(s.AnyOf):
		s.OneOf, s.AnyOf = s.AnyOf, nil
	}
}

// onlyNullableBesideAnyOf reports whether anyOf and nullable are the schema's only validating keywords.
func onlyNullableBesideAnyOf(s *openapi3.Schema) bool {
	probe := *s
	probe.AnyOf, probe.Nullable, probe.Title, probe.Description, probe.Extensions = nil, false, "", "", nil
	return probe.IsEmpty() && len(probe.Enum) == 0 && probe.Type == nil && probe.Not == nil &&
		len(probe.OneOf) == 0 && len(probe.AllOf) == 0 && probe.Discriminator == nil
}

// disjointBranches reports whether no JSON value can satisfy two of the branches.
func disjointBranches(branches openapi3.SchemaRefs) bool {
	classes := map[string]bool{}
	nullable := 0
	for _, b := range branches {
		v := b.Value
		if v == nil || v.Type == nil || len(v.Type.Slice()) != 1 || v.Not != nil ||
			len(v.AnyOf) > 0 || len(v.OneOf) > 0 || len(v.AllOf) > 0 {
			return false
		}
		class := v.Type.Slice()[0]
		switch class {
		case "integer", "number": // an integer is a number too
			class = "number"
		case "string", "boolean", "array", "object":
		default:
			return false
		}
		if classes[class] {
			return false
		}
		classes[class] = true
		if v.Nullable {
			nullable++
		}
	}
	return nullable <= 1
}
