// Package schema validates target responses against the pinned Stripe OpenAPI document (kin-openapi), and checks the
// fields that the document leaves optional but Stripe always sends.
//
// Load is cheap (the pinned document is small and decoded with encoding/json); routes are resolved by a hand-built
// matcher over the handful of pinned paths, so no kin router (and no whole-document validation) runs in a suite
// process. The whole-document validation lives in this package's tests.
package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pi-conformance/suite/fixtures/openapi"
	"github.com/pi-conformance/suite/harness/jsondecode"
)

// Validator validates responses of the pinned operations.
type Validator struct {
	routes     []route
	components map[string]*openapi3.SchemaRef
	// Version is the Stripe API version of the pinned document (info.version).
	Version string
}

type route struct {
	method    string
	template  string
	segments  []string
	responses map[string]*openapi3.SchemaRef // by status code or "default": the application/json body schema
}

var (
	defaultOnce sync.Once
	defaultV    *Validator
	defaultErr  error
)

// Default returns the process-wide validator for the pinned document, loading it on first use.
func Default() (*Validator, error) {
	defaultOnce.Do(func() { defaultV, defaultErr = Load(openapi.Document) })
	return defaultV, defaultErr
}

// Load builds a validator from an OpenAPI 3.0 JSON document: it decodes the document once, compiles the response
// schemas of every operation (and the component schemas they reach), and builds the routes.
func Load(document []byte) (*Validator, error) {
	raw, err := decodeDocument(document)
	if err != nil {
		return nil, err
	}
	c := &compiler{raw: raw.Components.Schemas, refs: map[string]*openapi3.SchemaRef{}}
	v := &Validator{Version: raw.Info.Version, components: c.refs}
	for name := range raw.Components.Schemas {
		if _, err := c.component(name); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
	}
	for template, item := range raw.Paths {
		for method, op := range item {
			rt := route{
				method:    strings.ToUpper(method),
				template:  template,
				segments:  strings.Split(strings.Trim(template, "/"), "/"),
				responses: map[string]*openapi3.SchemaRef{},
			}
			for status, resp := range op.Responses {
				mt, ok := resp.Content["application/json"]
				if !ok || mt.Schema == nil {
					continue
				}
				ref, err := c.schemaRef(mt.Schema, fmt.Sprintf("paths/%s/%s/responses/%s", template, method, status))
				if err != nil {
					return nil, fmt.Errorf("schema: %w", err)
				}
				rt.responses[status] = ref
			}
			v.routes = append(v.routes, rt)
		}
	}
	roots := make([]*openapi3.SchemaRef, 0, len(c.refs))
	for _, r := range c.refs {
		roots = append(roots, r)
	}
	for _, rt := range v.routes {
		for _, r := range rt.responses {
			roots = append(roots, r)
		}
	}
	simplify(roots)
	// Literal segments win over parameters (e.g. /v1/payment_intents/search over /{intent}): sort by literal count.
	sort.SliceStable(v.routes, func(i, j int) bool {
		if a, b := literals(v.routes[i].segments), literals(v.routes[j].segments); a != b {
			return a > b
		}
		return v.routes[i].template+v.routes[i].method < v.routes[j].template+v.routes[j].method
	})
	return v, nil
}

func literals(segs []string) int {
	n := 0
	for _, s := range segs {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

// Operation returns the path template of the pinned operation matching method and a concrete path.
func (v *Validator) Operation(method, path string) (string, bool) {
	r := v.find(method, path)
	if r == nil {
		return "", false
	}
	return r.template, true
}

func (v *Validator) find(method, path string) *route {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range v.routes {
		r := &v.routes[i]
		if r.method != method || len(r.segments) != len(segs) {
			continue
		}
		ok := true
		for k, s := range r.segments {
			if strings.HasPrefix(s, "{") {
				if segs[k] == "" {
					ok = false
					break
				}
				continue
			}
			if s != segs[k] {
				ok = false
				break
			}
		}
		if ok {
			return r
		}
	}
	return nil
}

// Issue is one schema violation: where (a JSON pointer into the response body) and why.
type Issue struct {
	Pointer string `json:"pointer"`
	Reason  string `json:"reason"`
}

func (i Issue) String() string {
	p := i.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + i.Reason
}

// Error is returned when a response does not conform. It lists every issue found, each with a JSON pointer.
type Error struct {
	Operation string // e.g. "POST /v1/payment_intents/{intent}/cancel"
	Status    int
	Schema    string // "payment_intent", "error", ...
	Issues    []Issue
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "response %d to %s does not conform to the pinned Stripe schema", e.Status, e.Operation)
	if e.Schema != "" {
		fmt.Fprintf(&b, " (%s)", e.Schema)
	}
	b.WriteString(":")
	for i, is := range e.Issues {
		if i == 12 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Issues)-i)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(is.String())
	}
	return b.String()
}

// ErrUnknownOperation is returned for a method and path that are not in the pinned document.
var ErrUnknownOperation = errors.New("schema: operation not in the pinned document")

// ValidateResponse validates one response to method+path (a concrete request path, e.g.
// /v1/payment_intents/pi_123/cancel). A status with no specific response in the document is validated against
// the "default" response (Stripe's error schema). It returns nil, ErrUnknownOperation (wrapped), or *Error.
func (v *Validator) ValidateResponse(method, path string, status int, header http.Header, body []byte) error {
	return v.validate(method, path, status, header, func() (any, *Issue) {
		value, err := jsondecode.Decode(body)
		if errors.Is(err, jsondecode.ErrTrailingData) {
			return nil, &Issue{Reason: "body has trailing data after the JSON value"}
		}
		if errors.Is(err, jsondecode.ErrTooManyValues) {
			return nil, &Issue{Reason: "body not validated: " + err.Error()}
		}
		if err != nil {
			return nil, &Issue{Reason: "body is not JSON: " + err.Error()}
		}
		return value, nil
	})
}

// ValidateResponseValue is ValidateResponse for a body the caller has already decoded (exactly one JSON value;
// numbers as float64 or json.Number).
func (v *Validator) ValidateResponseValue(method, path string, status int, header http.Header, value any) error {
	return v.validate(method, path, status, header, func() (any, *Issue) { return value, nil })
}

func (v *Validator) validate(method, path string, status int, header http.Header, decode func() (any, *Issue)) error {
	r := v.find(method, path)
	if r == nil {
		return fmt.Errorf("%w: %s %s", ErrUnknownOperation, method, path)
	}
	opName := r.method + " " + r.template
	sr := r.responses[strconv.Itoa(status)]
	if sr == nil {
		sr = r.responses["default"]
	}
	if sr == nil || sr.Value == nil {
		return &Error{Operation: opName, Status: status, Issues: []Issue{{Reason: fmt.Sprintf("the document declares no application/json response for status %d", status)}}}
	}
	schemaName := refName(sr.Ref)
	ct := header.Get("Content-Type")
	if media, _, err := mime.ParseMediaType(ct); err != nil || media != "application/json" {
		return &Error{Operation: opName, Status: status, Schema: schemaName, Issues: []Issue{{Reason: fmt.Sprintf("Content-Type is %q, want application/json", ct)}}}
	}
	value, bad := decode()
	if bad != nil {
		return &Error{Operation: opName, Status: status, Schema: schemaName, Issues: []Issue{*bad}}
	}
	if issues := v.visit(sr.Value, value); len(issues) > 0 {
		return &Error{Operation: opName, Status: status, Schema: schemaName, Issues: issues}
	}
	return nil
}

// ValidateValue validates a decoded JSON value against a named component schema (e.g. "payment_intent").
func (v *Validator) ValidateValue(component string, value any) []Issue {
	ref := v.components[component]
	if ref == nil || ref.Value == nil {
		return []Issue{{Reason: fmt.Sprintf("no component schema %q in the pinned document", component)}}
	}
	return v.visit(ref.Value, value)
}

// fullReportValues bounds the values of a body whose issues are collected. kin-openapi collects every issue at
// once (hundreds of bytes each), so a body of tens of thousands of bad members would cost time and memory out of
// all proportion to a report that lists twelve. A larger body is validated with each object and array cut to its
// first wideContainer members or elements (by key), and says so; if that is still too large, the issue only says
// that the body does not conform (kin-openapi's fail-fast pass names nothing more).
const (
	fullReportValues = 10_000
	wideContainer    = 1_000
)

// Bounds of one issue's text: a pointer into a deeply nested body, or a reason quoting a value, stays readable.
const (
	maxPointer = 240
	maxReason  = 400
)

func (v *Validator) visit(s *openapi3.Schema, value any) []Issue {
	// Almost every response conforms: a fail-fast pass decides that cheaply, and only a failure is validated
	// again to collect every issue.
	first := s.VisitJSON(value, openapi3.FailFast())
	if first == nil {
		return nil
	}
	var notes []Issue
	if !fewValues(value, fullReportValues) {
		var cut []string
		value = prune(value, nil, &cut)
		if !fewValues(value, fullReportValues) {
			return []Issue{{Reason: fmt.Sprintf("the body does not conform; it holds more than %d values, too many to list its issues", fullReportValues)}}
		}
		for i, p := range cut {
			if i == 3 {
				notes = append(notes, Issue{Reason: fmt.Sprintf("… and %d more containers cut", len(cut)-i)})
				break
			}
			notes = append(notes, bounded(Issue{Pointer: p, Reason: fmt.Sprintf("only the first %d members or elements of this container were validated", wideContainer)}))
		}
	}
	err := s.VisitJSON(value, openapi3.MultiErrors())
	if err == nil {
		return []Issue{{Reason: "suite error: kin-openapi failed the value in fail-fast mode and passed it with all errors collected"}}
	}
	var out []Issue
	collect(err, "", &out)
	return append(dedupe(out), notes...)
}

// prune copies v with every object and array cut to its first wideContainer members (in key order) or elements,
// and lists the pointers of the containers it cut. path holds the keys and indexes down to v: a pointer is built
// only for a container that is cut (building one per level would cost the square of a deep body's depth).
func prune(v any, path []string, cut *[]string) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		if len(keys) > wideContainer {
			sort.Strings(keys)
			keys = keys[:wideContainer]
			*cut = append(*cut, pointer(path))
		}
		out := make(map[string]any, len(keys))
		for _, k := range keys {
			out[k] = prune(t[k], append(path, k), cut)
		}
		return out
	case []any:
		if len(t) > wideContainer {
			t = t[:wideContainer]
			*cut = append(*cut, pointer(path))
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = prune(e, append(path, strconv.Itoa(i)), cut)
		}
		return out
	}
	return v
}

// explainXOf looks inside a failed anyOf or oneOf: when exactly one alternative has the value's JSON type (Stripe's
// expandable fields are anyOf [id string, object], compiled to oneOf), the failures inside that alternative are the
// real news.
func explainXOf(se *openapi3.SchemaError, prefix string, out *[]Issue) bool {
	if se.Schema == nil {
		return false
	}
	alts := se.Schema.AnyOf
	if se.SchemaField == "oneOf" {
		alts = se.Schema.OneOf
	}
	var match *openapi3.Schema
	for _, alt := range alts {
		if alt.Value == nil || !sameJSONType(alt.Value, se.Value) {
			continue
		}
		if match != nil {
			return false
		}
		match = alt.Value
	}
	if match == nil {
		return false
	}
	err := match.VisitJSON(se.Value, openapi3.MultiErrors())
	if err == nil {
		return false
	}
	before := len(*out)
	collect(err, prefix, out)
	return len(*out) > before
}

// fewValues reports whether the decoded value holds at most n values (it stops counting past n).
func fewValues(v any, n int) bool {
	count := 0
	var walk func(v any) bool
	walk = func(v any) bool {
		if count++; count > n {
			return false
		}
		switch t := v.(type) {
		case map[string]any:
			for _, e := range t {
				if !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range t {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	return walk(v)
}

// bounded shortens an issue's pointer (keeping both ends, where its news is) and reason.
func bounded(is Issue) Issue {
	if len(is.Pointer) > maxPointer {
		segs := strings.Count(is.Pointer, "/")
		is.Pointer = cutUTF8(is.Pointer, maxPointer/2) + fmt.Sprintf("/…(%d segments in all)…/", segs) + tailUTF8(is.Pointer, maxPointer/2)
	}
	if len(is.Reason) > maxReason {
		is.Reason = cutUTF8(is.Reason, maxReason) + fmt.Sprintf("… (%d bytes)", len(is.Reason))
	}
	return is
}

func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
}

func tailUTF8(s string, n int) string {
	i := max(len(s)-n, 0)
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

func sameJSONType(s *openapi3.Schema, v any) bool {
	switch v.(type) {
	case map[string]any:
		return s.Type.Is("object") || len(s.Properties) > 0
	case []any:
		return s.Type.Is("array")
	case string:
		return s.Type.Is("string")
	case bool:
		return s.Type.Is("boolean")
	case float64, json.Number:
		return s.Type.Is("number") || s.Type.Is("integer")
	}
	return false
}

func collect(err error, prefix string, out *[]Issue) {
	// An anyOf or oneOf failure wraps the failures of every branch; explain it by the branch of the value's type
	// before unwrapping (otherwise "value must be a string" from the id branch of an expandable field would be
	// reported beside the real problem inside the object).
	if se, ok := err.(*openapi3.SchemaError); ok && (se.SchemaField == "anyOf" || se.SchemaField == "oneOf") &&
		explainXOf(se, pointerOf(se, prefix), out) {
		return
	}
	var me openapi3.MultiError
	if errors.As(err, &me) {
		for _, e := range me {
			collect(e, prefix, out)
		}
		return
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		reason := se.Reason
		if reason == "" {
			reason = se.Error()
		}
		if se.SchemaField != "" && !strings.Contains(reason, se.SchemaField) {
			reason = fmt.Sprintf("%s (schema keyword %q)", reason, se.SchemaField)
		}
		*out = append(*out, bounded(Issue{Pointer: pointerOf(se, prefix), Reason: reason}))
		return
	}
	*out = append(*out, bounded(Issue{Pointer: prefix, Reason: err.Error()}))
}

// pointerOf is the JSON pointer of a schema error's value, below prefix.
func pointerOf(se *openapi3.SchemaError, prefix string) string {
	if p := se.JSONPointer(); len(p) > 0 {
		return prefix + "/" + strings.Join(p, "/")
	}
	return prefix
}

func dedupe(in []Issue) []Issue {
	seen := map[Issue]bool{}
	out := in[:0]
	for _, i := range in {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Pointer < out[b].Pointer })
	return out
}

func refName(ref string) string { return strings.TrimPrefix(ref, "#/components/schemas/") }
