package reference

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits applied by the form decoder. They keep hostile input from using
// unbounded memory or recursion.
const (
	maxFormDepth  = 8     // bracket segments after the top-level name
	maxFormPairs  = 10000 // key=value pairs per request
	maxListIndex  = 10000 // largest numeric index accepted in a[N]
	maxParamBytes = 64 << 10
)

type nodeKind int

const (
	kindString nodeKind = iota
	kindMap
	kindList
)

// formNode is one decoded form value: a string leaf, a map (from a[b]=...)
// or a list (from a[]=...). Maps remember insertion order so that errors
// name the first offending parameter in request order.
type formNode struct {
	kind nodeKind
	str  string
	keys []string
	m    map[string]*formNode
	list []*formNode
}

// formError is a decoding failure. Param names the offending key as sent.
type formError struct {
	Param   string
	Message string
}

func (e *formError) Error() string { return e.Message }

func newMapNode() *formNode { return &formNode{kind: kindMap, m: map[string]*formNode{}} }

// decodeForm parses an application/x-www-form-urlencoded string using
// Stripe's bracket notation: metadata[k]=v, a[]=x (append), a[0]=x (index),
// line_items[0][price_data][currency]=usd. Rules:
//
//   - pairs are separated by '&'; empty pairs are skipped; a pair without '='
//     has the empty string as value;
//   - keys and values are percent-decoded ('+' is a space) and must be UTF-8;
//   - a repeated scalar key keeps the last value ("last wins");
//   - a key used both as a scalar and as a hash/array is an error;
//   - "[]" followed by more segments follows Rack semantics: the segment is
//     merged into the last element unless that would overwrite a value, in
//     which case a new element is started;
//   - at most maxFormDepth bracket segments and maxFormPairs pairs.
func decodeForm(raw string) (*formNode, error) {
	root := newMapNode()
	if raw == "" {
		return root, nil
	}
	pairs := 0
	for len(raw) > 0 {
		var pair string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		if pair == "" {
			continue
		}
		pairs++
		if pairs > maxFormPairs {
			return nil, &formError{Message: "Too many parameters in request: the limit is " + strconv.Itoa(maxFormPairs) + "."}
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, &formError{Message: "Invalid URL encoding in parameter name: " + clip(rawKey, 80) + "."}
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return nil, &formError{Param: safeParam(key), Message: "Invalid URL encoding in the value of parameter " + safeParam(key) + "."}
		}
		if !utf8.ValidString(key) {
			return nil, &formError{Message: "Invalid parameter name: parameter names must be valid UTF-8."}
		}
		if !utf8.ValidString(val) {
			return nil, &formError{Param: key, Message: "Invalid string: the value of " + key + " must be valid UTF-8."}
		}
		if key == "" {
			continue // "=value" carries no parameter; ignore it like Rack does
		}
		if len(val) > maxParamBytes {
			return nil, &formError{Param: key, Message: "Invalid string: the value of " + key + " is too long."}
		}
		segs, ferr := splitKey(key)
		if ferr != nil {
			return nil, ferr
		}
		if err := root.insert(segs, val, key); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// splitKey turns "a[b][][c]" into ["a","b","","c"].
func splitKey(key string) ([]string, *formError) {
	open := strings.IndexByte(key, '[')
	if open < 0 {
		return []string{key}, nil
	}
	if open == 0 {
		return nil, errParamName(key)
	}
	segs := []string{key[:open]}
	rest := key[open:]
	for len(rest) > 0 {
		if rest[0] != '[' {
			return nil, errParamName(key)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, errParamName(key)
		}
		inner := rest[1:end]
		if strings.IndexByte(inner, '[') >= 0 {
			return nil, errParamName(key)
		}
		segs = append(segs, inner)
		if len(segs)-1 > maxFormDepth {
			return nil, &formError{Param: key, Message: "Invalid parameter name: " + clip(key, 100) + " is nested too deeply (at most " + strconv.Itoa(maxFormDepth) + " levels)."}
		}
		rest = rest[end+1:]
	}
	return segs, nil
}

func errParamName(key string) *formError {
	return &formError{Param: key, Message: "Invalid parameter name: " + clip(key, 100) + "."}
}

// insert stores val at the path segs (segs[0] is a key of n, which must be a map).
func (n *formNode) insert(segs []string, val, fullKey string) *formError {
	name := segs[0]
	rest := segs[1:]
	child := n.m[name]
	if len(rest) == 0 {
		if child != nil && child.kind != kindString {
			return conflict(fullKey)
		}
		if child == nil {
			n.keys = append(n.keys, name)
		}
		n.m[name] = &formNode{kind: kindString, str: val}
		return nil
	}
	if rest[0] == "" { // name[] ...
		if child == nil {
			child = &formNode{kind: kindList}
			n.keys = append(n.keys, name)
			n.m[name] = child
		} else if child.kind != kindList {
			return conflict(fullKey)
		}
		if len(rest) == 1 {
			child.list = append(child.list, &formNode{kind: kindString, str: val})
			return nil
		}
		if rest[1] == "" {
			return &formError{Param: fullKey, Message: "Invalid array: nested arrays are not supported (" + clip(fullKey, 100) + ")."}
		}
		if len(child.list) > 0 {
			last := child.list[len(child.list)-1]
			if last.kind == kindMap && !last.hasPath(rest[1:]) {
				return last.insert(rest[1:], val, fullKey)
			}
		}
		if len(child.list) >= maxListIndex {
			return &formError{Param: fullKey, Message: "Invalid array: too many elements in " + clip(fullKey, 100) + "."}
		}
		elem := newMapNode()
		child.list = append(child.list, elem)
		return elem.insert(rest[1:], val, fullKey)
	}
	if child == nil {
		child = newMapNode()
		n.keys = append(n.keys, name)
		n.m[name] = child
	} else if child.kind != kindMap {
		return conflict(fullKey)
	}
	return child.insert(rest, val, fullKey)
}

// hasPath reports whether inserting at segs would collide with an existing value.
func (n *formNode) hasPath(segs []string) bool {
	cur := n
	for i, s := range segs {
		if cur.kind != kindMap || s == "" {
			return false
		}
		next, ok := cur.m[s]
		if !ok {
			return false
		}
		if i == len(segs)-1 || next.kind == kindString {
			return true
		}
		cur = next
	}
	return false
}

func conflict(key string) *formError {
	return &formError{Param: key, Message: "Invalid parameter " + clip(key, 100) + ": it is used both as a single value and as a hash or array."}
}

// asList returns the elements of a list node, or of a map whose keys are all
// decimal indexes (a[0]=x&a[1]=y), ordered by index. ok is false otherwise.
func (n *formNode) asList() ([]*formNode, bool) {
	switch n.kind {
	case kindList:
		return n.list, true
	case kindMap:
		type ent struct {
			i int
			n *formNode
		}
		ents := make([]ent, 0, len(n.keys))
		for _, k := range n.keys {
			i, ok := listIndex(k)
			if !ok {
				return nil, false
			}
			ents = append(ents, ent{i, n.m[k]})
		}
		sort.Slice(ents, func(a, b int) bool { return ents[a].i < ents[b].i })
		out := make([]*formNode, len(ents))
		for i, e := range ents {
			out[i] = e.n
		}
		return out, true
	}
	return nil, false
}

func listIndex(k string) (int, bool) {
	if k == "" || len(k) > 5 {
		return 0, false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(k)
	if err != nil || v > maxListIndex {
		return 0, false
	}
	return v, true
}

// canonical renders the tree deterministically (map keys sorted, list order
// kept). Two requests with the same canonical form carry the same parameters;
// the idempotency layer compares these.
func (n *formNode) canonical() string {
	var b strings.Builder
	n.writeCanonical(&b)
	return b.String()
}

func (n *formNode) writeCanonical(b *strings.Builder) {
	switch n.kind {
	case kindString:
		b.WriteString(strconv.Quote(n.str))
	case kindList:
		b.WriteByte('[')
		for i, e := range n.list {
			if i > 0 {
				b.WriteByte(',')
			}
			e.writeCanonical(b)
		}
		b.WriteByte(']')
	case kindMap:
		writeSortedMap(b, n, func(e *formNode) { e.writeCanonical(b) })
	}
}

// writeSortedMap writes the entries of map node n as {"key":value,...} in
// key order; w writes a value.
func writeSortedMap(b *strings.Builder, n *formNode, w func(*formNode)) {
	keys := append([]string(nil), n.keys...)
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		w(n.m[k])
	}
	b.WriteByte('}')
}

// writeIndexed writes l as {"0":value,"1":value,...}; w writes a value.
func writeIndexed(b *strings.Builder, l []*formNode, w func(*formNode)) {
	b.WriteByte('{')
	for i, e := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(strconv.Itoa(i)))
		b.WriteByte(':')
		w(e)
	}
	b.WriteByte('}')
}

// encodeForm serialises a tree produced by decodeForm. Lists are written
// with explicit indexes (a[0]=x), so decoding the result gives a tree whose
// normCanonical form equals the original's. Used by tests and fuzzers.
func encodeForm(n *formNode) string {
	var parts []string
	var walk func(prefix string, n *formNode)
	walk = func(prefix string, n *formNode) {
		switch n.kind {
		case kindString:
			parts = append(parts, url.QueryEscape(prefix)+"="+url.QueryEscape(n.str))
		case kindMap:
			for _, k := range n.keys {
				p := k
				if prefix != "" {
					p = prefix + "[" + k + "]"
				}
				walk(p, n.m[k])
			}
		case kindList:
			for i, e := range n.list {
				walk(prefix+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk("", n)
	return strings.Join(parts, "&")
}

// normCanonical is canonical() with lists rendered as maps keyed by index,
// so that a[]=x and a[0]=x compare equal.
func (n *formNode) normCanonical() string {
	var b strings.Builder
	var w func(n *formNode)
	w = func(n *formNode) {
		switch n.kind {
		case kindString:
			b.WriteString(strconv.Quote(n.str))
		case kindList:
			writeIndexed(&b, n.list, w)
		case kindMap:
			if l, ok := n.asList(); ok && len(l) == len(n.keys) {
				// index-keyed map: render in index order like a list
				writeIndexed(&b, l, w)
				return
			}
			writeSortedMap(&b, n, w)
		}
	}
	w(n)
	return b.String()
}

// clip shortens s to about n bytes for use in a message, replacing invalid
// UTF-8 so that messages are always valid text.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func safeParam(s string) string {
	if !utf8.ValidString(s) {
		return "(invalid UTF-8)"
	}
	return clip(s, 100)
}
