package reference

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Metadata limits (Stripe's documented limits).
const (
	maxMetadataKeys     = 50
	maxMetadataKeyLen   = 40
	maxMetadataValueLen = 500
)

// ---- validation errors (never stored under an idempotency key) ----

func invalidRequest(param, code, msg string) *Error {
	return &Error{Type: "invalid_request_error", Code: code, Param: param, Message: msg, HTTPStatus: http.StatusBadRequest, noStore: true}
}

// errNoSuch is resource_missing for an id given in a parameter: the
// reference has no such object.
func errNoSuch(what, param, id string) *Error {
	return invalidRequest(param, "resource_missing", "No such "+what+": '"+clip(id, 200)+"'")
}

// errNotFound is resource_missing for an id in the request path (404).
func errNotFound(what, param, id string) *Error {
	e := errNoSuch(what, param, id)
	e.HTTPStatus = http.StatusNotFound
	return e
}

func errUnknownParam(name string) *Error {
	return invalidRequest(name, "parameter_unknown", "Received unknown parameter: "+name)
}

func errMissingParam(name string) *Error {
	return invalidRequest(name, "parameter_missing", "Missing required param: "+name+".")
}

func errEmptyParam(name string) *Error {
	return invalidRequest(name, "parameter_invalid_empty",
		"You passed an empty string for '"+name+"'. We assume empty values are an attempt to unset a parameter; however '"+name+"' cannot be unset. You should remove '"+name+"' from your request or supply a non-empty value.")
}

func errInvalidInteger(name, val string) *Error {
	return invalidRequest(name, "parameter_invalid_integer", "Invalid integer: "+clip(val, 100))
}

func errEnum(name string, allowed []string) *Error {
	return invalidRequest(name, "", "Invalid "+name+": must be one of "+joinOr(allowed))
}

func joinOr(vals []string) string {
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}

// pview is a view of one hash of parameters. Errors are sticky: the first
// one is kept in *err and every later accessor becomes a no-op, so handlers
// can read all parameters and check once.
type pview struct {
	n      *formNode
	prefix string
	err    **Error
}

func newPView(root *formNode, err **Error) *pview {
	return &pview{n: root, err: err}
}

func (v *pview) failed() bool { return *v.err != nil }

func (v *pview) fail(e *Error) {
	if *v.err == nil {
		*v.err = e
	}
}

func (v *pview) name(k string) string {
	if v.prefix == "" {
		return k
	}
	return v.prefix + "[" + k + "]"
}

// allow reports the first parameter (in request order) not in keys.
func (v *pview) allow(keys ...string) {
	if v.failed() || v.n == nil {
		return
	}
	for _, k := range v.n.keys {
		if !slices.Contains(keys, k) {
			v.fail(errUnknownParam(v.name(k)))
			return
		}
	}
}

func (v *pview) get(k string) *formNode {
	if v.n == nil {
		return nil
	}
	return v.n.m[k]
}

func (v *pview) has(k string) bool { return v.get(k) != nil }

// str returns a string parameter. present is false when absent.
func (v *pview) str(k string) (s string, present bool) {
	if v.failed() {
		return "", false
	}
	n := v.get(k)
	if n == nil {
		return "", false
	}
	if n.kind != kindString {
		v.fail(invalidRequest(v.name(k), "", "Invalid string: "+v.name(k)+" must be a string, not a hash or an array."))
		return "", false
	}
	return n.str, true
}

// strMax is str with a maximum length (in characters).
func (v *pview) strMax(k string, max int) (string, bool) {
	s, ok := v.str(k)
	if ok && utf8.RuneCountInString(s) > max {
		v.fail(invalidRequest(v.name(k), "", "Invalid string: "+clip(s, 40)+"; must be at most "+strconv.Itoa(max)+" characters"))
		return "", false
	}
	return s, ok
}

// requiredStr is a string that must be present and non-empty.
func (v *pview) requiredStr(k string, max int) string {
	if v.failed() {
		return ""
	}
	if !v.has(k) {
		v.fail(errMissingParam(v.name(k)))
		return ""
	}
	s, ok := v.strMax(k, max)
	if ok && s == "" {
		v.fail(errEmptyParam(v.name(k)))
	}
	return s
}

func (v *pview) integer(k string) (int64, bool) {
	if v.failed() {
		return 0, false
	}
	n := v.get(k)
	if n == nil {
		return 0, false
	}
	if n.kind != kindString {
		v.fail(errInvalidInteger(v.name(k), "(hash or array)"))
		return 0, false
	}
	s := n.str
	if s == "" {
		v.fail(errEmptyParam(v.name(k)))
		return 0, false
	}
	val, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s[0] == '+' {
		v.fail(errInvalidInteger(v.name(k), s))
		return 0, false
	}
	return val, true
}

func (v *pview) requiredInt(k string) (int64, bool) {
	if v.failed() {
		return 0, false
	}
	if !v.has(k) {
		v.fail(errMissingParam(v.name(k)))
		return 0, false
	}
	return v.integer(k)
}

func (v *pview) boolean(k string) (bool, bool) {
	s, ok := v.str(k)
	if !ok {
		return false, false
	}
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	v.fail(invalidRequest(v.name(k), "", "Invalid boolean: "+clip(s, 100)))
	return false, false
}

func (v *pview) enum(k string, allowed ...string) (string, bool) {
	s, ok := v.str(k)
	if !ok {
		return "", false
	}
	if slices.Contains(allowed, s) {
		return s, true
	}
	v.fail(errEnum(v.name(k), allowed))
	return "", false
}

// obj returns a nested hash. present is false when absent.
func (v *pview) obj(k string) (*pview, bool) {
	if v.failed() {
		return nil, false
	}
	n := v.get(k)
	if n == nil {
		return nil, false
	}
	if n.kind != kindMap {
		v.fail(invalidRequest(v.name(k), "", "Invalid object"))
		return nil, false
	}
	return &pview{n: n, prefix: v.name(k), err: v.err}, true
}

// list returns the elements of an array parameter (a[]=x or a[0]=x).
func (v *pview) list(k string) ([]*formNode, bool) {
	if v.failed() {
		return nil, false
	}
	n := v.get(k)
	if n == nil {
		return nil, false
	}
	if n.kind == kindString && n.str == "" {
		return []*formNode{}, true // "a=" unsets / empty array
	}
	l, ok := n.asList()
	if !ok {
		v.fail(invalidRequest(v.name(k), "", "Invalid array"))
		return nil, false
	}
	return l, true
}

func (v *pview) strList(k string, maxLen int) ([]string, bool) {
	l, ok := v.list(k)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for i, e := range l {
		if e.kind != kindString {
			v.fail(invalidRequest(v.name(k)+"["+strconv.Itoa(i)+"]", "", "Invalid string: "+v.name(k)+" must be an array of strings."))
			return nil, false
		}
		if utf8.RuneCountInString(e.str) > maxLen {
			v.fail(invalidRequest(v.name(k)+"["+strconv.Itoa(i)+"]", "", "Invalid string: must be at most "+strconv.Itoa(maxLen)+" characters"))
			return nil, false
		}
		out = append(out, e.str)
	}
	return out, true
}

// elem returns a view of one element of an array of hashes.
func (v *pview) elem(k string, i int, n *formNode) (*pview, bool) {
	name := v.name(k) + "[" + strconv.Itoa(i) + "]"
	if n.kind != kindMap {
		v.fail(invalidRequest(name, "", "Invalid object"))
		return nil, false
	}
	return &pview{n: n, prefix: name, err: v.err}, true
}

// metadataUpdate describes a metadata parameter: clear=true for "metadata=",
// set holds key → value ("" means unset that key).
type metadataUpdate struct {
	present bool
	clear   bool
	set     []kv
}

type kv struct{ k, v string }

func (v *pview) metadata(k string) metadataUpdate {
	var mu metadataUpdate
	if v.failed() {
		return mu
	}
	n := v.get(k)
	if n == nil {
		return mu
	}
	mu.present = true
	name := v.name(k)
	if n.kind == kindString {
		if n.str == "" {
			mu.clear = true
			return mu
		}
		v.fail(invalidRequest(name, "", "Invalid object"))
		return mu
	}
	if n.kind != kindMap {
		v.fail(invalidRequest(name, "", "Invalid object"))
		return mu
	}
	for _, key := range n.keys {
		val := n.m[key]
		if val.kind != kindString {
			v.fail(invalidRequest(name+"["+key+"]", "", "Invalid string: metadata values must be strings."))
			return mu
		}
		if utf8.RuneCountInString(key) > maxMetadataKeyLen {
			v.fail(invalidRequest(name+"["+clip(key, 60)+"]", "", "Metadata keys can have up to "+strconv.Itoa(maxMetadataKeyLen)+" characters."))
			return mu
		}
		if utf8.RuneCountInString(val.str) > maxMetadataValueLen {
			v.fail(invalidRequest(name+"["+key+"]", "", "Metadata values can have up to "+strconv.Itoa(maxMetadataValueLen)+" characters."))
			return mu
		}
		mu.set = append(mu.set, kv{key, val.str})
	}
	return mu
}

// apply merges a metadata update into m (creating it if needed) and checks
// the key limit. It returns the resulting map.
func (mu metadataUpdate) apply(m map[string]string, name string) (map[string]string, *Error) {
	if !mu.present {
		return m, nil
	}
	out := map[string]string{}
	if !mu.clear {
		for k, v := range m {
			out[k] = v
		}
	}
	for _, e := range mu.set {
		if e.v == "" {
			delete(out, e.k)
		} else {
			out[e.k] = e.v
		}
	}
	if len(out) > maxMetadataKeys {
		return m, invalidRequest(name, "", "Metadata can have up to "+strconv.Itoa(maxMetadataKeys)+" keys.")
	}
	return out, nil
}

// expandList reads expand[] (must be an array of strings).
func (v *pview) expandList() []string {
	if v.failed() || !v.has("expand") {
		return nil
	}
	n := v.get("expand")
	if n.kind == kindString {
		if n.str == "" {
			return nil
		}
		v.fail(invalidRequest("expand", "", "Invalid array"))
		return nil
	}
	l, ok := v.strList("expand", 5000)
	if !ok {
		return nil
	}
	return l
}

// refuseReference fails with resource_missing when param names an object
// (a non-empty id) of a kind the reference does not model.
func (v *pview) refuseReference(param, what string) {
	if id, ok := v.str(param); ok && id != "" && !v.failed() {
		v.fail(errNoSuch(what, v.name(param), id))
	}
}

// validURL is a loose check of a URL parameter (scheme and, for http(s), a host).
func validURL(s string) bool {
	if s == "" || len(s) > 5000 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return false
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return false
	}
	return true
}

func (v *pview) urlParam(k string) (string, bool) {
	s, ok := v.str(k)
	if !ok {
		return "", false
	}
	if !validURL(s) {
		v.fail(invalidRequest(v.name(k), "url_invalid", "Not a valid URL"))
		return "", false
	}
	return s, true
}
