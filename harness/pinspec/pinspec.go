// Package pinspec derives the suite's pinned OpenAPI document from Stripe's official spec3.json.
//
// The source is the Go module github.com/stripe/stripe-mock (package embedded), so the pinned document is reproducible
// from a module version and a checksum. Generate keeps the structure the suite validates against and drops the prose;
// see the command harness/cmd/pinspec for the rules.
package pinspec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/stripe/stripe-mock/embedded"
)

// SourceModule is the Go module whose package embedded ships Stripe's spec3.json.
const SourceModule = "github.com/stripe/stripe-mock"

// File names inside fixtures/openapi.
const (
	DocumentFile   = "stripe-pinned.json"
	ProvenanceFile = "provenance.json"
)

// Operations are the method+path pairs the suite (and the reference target) use. Everything else is dropped.
var Operations = []string{
	"GET /v1/payment_intents",
	"POST /v1/payment_intents",
	"GET /v1/payment_intents/{intent}",
	"POST /v1/payment_intents/{intent}",
	"POST /v1/payment_intents/{intent}/cancel",
	"POST /v1/payment_intents/{intent}/capture",
	"POST /v1/payment_intents/{intent}/confirm",
	"POST /v1/payment_intents/{intent}/increment_authorization",
	"GET /v1/charges/{charge}",
	"GET /v1/refunds",
	"GET /v1/refunds/{refund}",
	"POST /v1/checkout/sessions",
	"GET /v1/checkout/sessions/{session}",
	"POST /v1/checkout/sessions/{session}/expire",
	"GET /v1/events",
	"GET /v1/events/{id}",
	"POST /v1/webhook_endpoints",
	"GET /v1/webhook_endpoints",
	"GET /v1/webhook_endpoints/{webhook_endpoint}",
	"DELETE /v1/webhook_endpoints/{webhook_endpoint}",
}

// Expansions are the expandable fields ("schema.property") the suite asks targets to expand. Every other expandable
// field keeps only its unexpanded form: an id string (or null where the spec allows it).
var Expansions = []string{
	"payment_intent.latest_charge",
}

// prose keys are dropped wherever they are a keyword (never when they are a property or parameter name).
var prose = map[string]bool{
	"description":          true,
	"summary":              true,
	"externalDocs":         true,
	"termsOfService":       true,
	"contact":              true,
	"x-stripeMostCommon":   true,
	"x-stripeOperations":   true,
	"x-stripeResource":     true,
	"x-resourceId":         true,
	"x-stripeSpecFilename": true,
}

// nameMaps are keywords whose object value is keyed by user-chosen names (property names, paths, media types...).
var nameMaps = map[string]bool{
	"properties":      true,
	"encoding":        true,
	"schemas":         true,
	"paths":           true,
	"responses":       true,
	"content":         true,
	"securitySchemes": true,
}

// Output is the generated document and its provenance record.
type Output struct {
	Document      []byte
	Provenance    []byte
	ModuleVersion string
	SourceSHA256  string
	Paths         int
	Schemas       int
}

// Provenance is written beside the pinned document.
type Provenance struct {
	Source         string   `json:"source"`
	Module         string   `json:"module"`
	ModuleVersion  string   `json:"module_version"`
	SourceSHA256   string   `json:"source_sha256"`
	SourceBytes    int      `json:"source_bytes"`
	OpenAPI        string   `json:"openapi"`
	APIVersion     string   `json:"api_version"`
	DocumentSHA256 string   `json:"document_sha256"`
	Operations     []string `json:"operations"`
	Expansions     []string `json:"expansions"`
	Schemas        int      `json:"schemas"`
	Generator      string   `json:"generator"`
	Rules          []string `json:"rules"`
}

// ModuleVersion reports the version of SourceModule linked into this binary, from the build information.
func ModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == SourceModule {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	// Test binaries carry no dependency list: read the requirement from go.mod instead.
	dir, err := os.Getwd()
	for err == nil {
		if data, rerr := os.ReadFile(filepath.Join(dir, "go.mod")); rerr == nil {
			for _, line := range strings.Split(string(data), "\n") {
				f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
				if len(f) >= 2 && f[0] == SourceModule {
					return f[1]
				}
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "unknown"
}

// Generate builds the pinned document from the linked stripe-mock module.
func Generate() (*Output, error) { return GenerateFrom(embedded.OpenAPISpec, ModuleVersion()) }

// GenerateFrom builds the pinned document from the given spec3.json bytes.
//
// It is long because the generation is one sequence of steps, each reading the previous one's result.
func GenerateFrom(source []byte, moduleVersion string) (*Output, error) {
	var spec map[string]any
	if err := json.Unmarshal(source, &spec); err != nil {
		return nil, fmt.Errorf("parse spec3.json: %w", err)
	}
	components, _ := spec["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	paths, _ := spec["paths"].(map[string]any)
	if schemas == nil || paths == nil {
		return nil, fmt.Errorf("spec3.json has no components.schemas or paths")
	}

	// 1. Keep only the operations the suite uses.
	keptPaths := map[string]any{}
	for _, op := range Operations {
		method, path, _ := strings.Cut(op, " ")
		item, ok := paths[path].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("operation %q: path not in the source spec", op)
		}
		opObj, ok := item[strings.ToLower(method)]
		if !ok {
			return nil, fmt.Errorf("operation %q: method not in the source spec", op)
		}
		dst, _ := keptPaths[path].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			keptPaths[path] = dst
		}
		dst[strings.ToLower(method)] = opObj
	}

	// 2. Collapse expandable fields that the suite never expands, everywhere in the component schemas.
	allowed := map[string]bool{}
	for _, e := range Expansions {
		allowed[e] = true
	}
	used := map[string]bool{}
	for name, s := range schemas {
		collapseExpandables(name, s, allowed, used)
	}
	for _, e := range Expansions {
		if !used[e] {
			return nil, fmt.Errorf("expansion %q: no such expandable field in the source spec", e)
		}
	}

	// 3. Keep every schema reachable from the kept operations.
	reach := map[string]bool{}
	var walkRefs func(v any)
	walkRefs = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if name != ref && !reach[name] {
					reach[name] = true
					walkRefs(schemas[name])
				}
			}
			for _, c := range t {
				walkRefs(c)
			}
		case []any:
			for _, c := range t {
				walkRefs(c)
			}
		}
	}
	walkRefs(keptPaths)
	keptSchemas := map[string]any{}
	for name := range reach {
		s, ok := schemas[name]
		if !ok {
			return nil, fmt.Errorf("dangling reference to schema %q", name)
		}
		keptSchemas[name] = s
	}

	info, _ := spec["info"].(map[string]any)
	doc := map[string]any{
		"openapi": spec["openapi"],
		"info":    info,
		"paths":   keptPaths,
		"components": map[string]any{
			"schemas":         keptSchemas,
			"securitySchemes": components["securitySchemes"],
		},
		"security": spec["security"],
	}
	doc = stripProse(doc, "").(map[string]any)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	document := buf.Bytes()

	srcSum := sha256.Sum256(source)
	docSum := sha256.Sum256(document)
	apiVersion, _ := info["version"].(string)
	openapi, _ := spec["openapi"].(string)
	prov := Provenance{
		Source:         SourceModule + "/embedded: openapi/spec3.json (embedded.OpenAPISpec)",
		Module:         SourceModule,
		ModuleVersion:  moduleVersion,
		SourceSHA256:   hex.EncodeToString(srcSum[:]),
		SourceBytes:    len(source),
		OpenAPI:        openapi,
		APIVersion:     apiVersion,
		DocumentSHA256: hex.EncodeToString(docSum[:]),
		Operations:     Operations,
		Expansions:     Expansions,
		Schemas:        len(keptSchemas),
		Generator:      "go run ./harness/cmd/pinspec",
		Rules: []string{
			"keep only the listed operations and every component schema they reach through $ref",
			"drop prose keywords: " + strings.Join(sortedKeys(prose), ", ") + " (except the description OpenAPI requires on response objects)",
			"expandable fields (anyOf [id string, $ref] with x-expansionResources) not listed in expansions keep the id string and accept, in place of the full resource, any object with string id and object (x-conformanceUnrequestedExpansion)",
			"drop servers, so validation is host-agnostic",
		},
	}
	provJSON, err := json.MarshalIndent(prov, "", "  ")
	if err != nil {
		return nil, err
	}
	provJSON = append(provJSON, '\n')
	return &Output{
		Document:      document,
		Provenance:    provJSON,
		ModuleVersion: moduleVersion,
		SourceSHA256:  prov.SourceSHA256,
		Paths:         len(keptPaths),
		Schemas:       len(keptSchemas),
	}, nil
}

// collapseExpandables rewrites, in place, every property of schema owner that is an expandable field not in allowed.
func collapseExpandables(owner string, node any, allowed, used map[string]bool) {
	m, ok := node.(map[string]any)
	if !ok {
		if arr, ok := node.([]any); ok {
			for _, c := range arr {
				collapseExpandables(owner, c, allowed, used)
			}
		}
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for pname, p := range props {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			if _, expandable := pm["x-expansionResources"]; expandable {
				key := owner + "." + pname
				if allowed[key] {
					used[key] = true
				} else {
					props[pname] = collapse(pm)
				}
				continue
			}
		}
	}
	for k, c := range m {
		if k == "x-expansionResources" {
			continue
		}
		collapseExpandables(owner, c, allowed, used)
	}
}

// collapse keeps the non-$ref alternatives of an expandable anyOf (the id string) and replaces the expanded
// resources by a generic expanded object (an object with string id and object). Stripe never expands a field
// nobody asked for, but some Stripe-compatible targets (stripe-mock's fixtures, for one) do; their answer stays
// valid, and the document does not need the schemas of every resource reachable through an expansion.
func collapse(p map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		if k == "anyOf" || k == "x-expansionResources" {
			continue
		}
		out[k] = v
	}
	var keep []any
	if alts, ok := p["anyOf"].([]any); ok {
		for _, a := range alts {
			if am, ok := a.(map[string]any); ok {
				if _, isRef := am["$ref"]; isRef {
					continue
				}
			}
			keep = append(keep, a)
		}
	}
	keep = append(keep, map[string]any{
		"type":     "object",
		"required": []any{"id", "object"},
		"properties": map[string]any{
			"id":     map[string]any{"type": "string", "maxLength": 5000},
			"object": map[string]any{"type": "string", "maxLength": 5000},
		},
		"x-conformanceUnrequestedExpansion": true,
	})
	out["anyOf"] = keep
	return out
}

// stripProse drops prose keywords. parentKey is the key under which v sits; entries of a "responses" map are
// response objects, whose description OpenAPI 3.0 requires, so theirs is kept.
func stripProse(v any, parentKey string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, c := range t {
			if !nameMaps[parentKey] && parentKey != "response" && prose[k] {
				continue
			}
			childKey := k
			if parentKey == "responses" {
				childKey = "response"
			}
			out[k] = stripProse(c, childKey)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = stripProse(c, "")
		}
		return out
	default:
		return v
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
