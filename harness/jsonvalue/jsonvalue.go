// Package jsonvalue decodes a response body into the generic form the suite works with (map[string]any, []any,
// json.Number, string, bool, nil): exactly what encoding/json's Decoder with UseNumber produces, several times
// faster. Every response of a run is decoded before it is checked, so this sits on the suite's critical path.
//
// The speed comes from two things encoding/json cannot do for a generic value: the body is copied into one string
// and every string and number without escapes is a substring of it (no allocation per value), and the bytes are
// scanned once instead of twice. Whatever the fast path is not certain to decode exactly as encoding/json would
// (invalid JSON, \u escapes, control characters, invalid UTF-8, very deep nesting) is handed to encoding/json, so
// the values and the error messages are always encoding/json's. FuzzDecode holds the two to the same results.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxDepth bounds the fast path's recursion; deeper documents go to encoding/json, which refuses more than 10000
// levels (a document that deep costs little memory: the bound that matters is MaxValues).
const maxDepth = 512

// MaxValues bounds the values (members, elements and the root) of a decoded document. A Stripe response holds a
// few hundred, a page of 100 expanded objects some tens of thousands; the decoded form costs about 50 bytes a value
// on top of the body, so without a bound a body of small values ("[0,0,…]") would cost some twenty times its
// size, and every check walking it more.
const MaxValues = 100_000

// ErrTooManyValues is returned (wrapped) for a document with more than MaxValues values. It is checked before
// the document is decoded (encoding/json's path) or while it is (the fast path), so such a body costs little.
var ErrTooManyValues = fmt.Errorf("the JSON document holds more than %d values (members and elements); a Stripe response holds a few hundred", MaxValues)

// Decode decodes one JSON value followed only by white space, as a json.Decoder with UseNumber would, and returns
// encoding/json's error when data is not that, or ErrTooManyValues.
func Decode(data []byte) (any, error) {
	v, ok, tooMany := fast(data)
	switch {
	case tooMany:
		return nil, ErrTooManyValues
	case ok:
		return v, nil
	}
	return slow(data)
}

// ErrTrailingData is returned (wrapped) when a valid value is followed by more than white space.
var ErrTrailingData = errors.New("trailing data after the JSON value")

func slow(data []byte) (any, error) {
	if tooManyValues(data) {
		return nil, ErrTooManyValues
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrTrailingData
	}
	return v, nil
}

// tooManyValues reports whether data, scanned as JSON without decoding it, holds more than MaxValues values: it
// counts the commas and the opening brackets outside strings (for a valid document, every value but the root and
// the first of each container follows a comma).
func tooManyValues(data []byte) bool {
	n, inString := 1, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == ',' || c == '[' || c == '{':
			if n++; n > MaxValues {
				return true
			}
		}
	}
	return false
}

// fast decodes data when it lies within the subset the fast path handles; ok is false otherwise, and tooMany is
// set when it stopped at MaxValues.
func fast(data []byte) (v any, ok, tooMany bool) {
	p := parser{s: string(data)}
	p.skipSpace()
	v, ok = p.value(0)
	if !ok {
		return nil, false, p.values > MaxValues
	}
	p.skipSpace()
	return v, p.i == len(p.s), false
}

type parser struct {
	s      string
	i      int
	values int // values begun so far
	// members is a stack of the members of the objects being decoded: an object's map is made at its end, with
	// its final size, instead of growing member by member.
	members []member
}

type member struct {
	k string
	v any
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, bool) {
	if p.i >= len(p.s) {
		return nil, false
	}
	if p.values++; p.values > MaxValues {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *parser) literal(word string) bool {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return false
	}
	p.i += len(word)
	return true
}

func (p *parser) object(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.i++ // '{'
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return map[string]any{}, true
	}
	base := len(p.members) // on failure the whole parse is abandoned: only success pops the stack
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.skipSpace()
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.members = append(p.members, member{k, v})
		more, ok := p.next('}')
		if !ok {
			return nil, false
		}
		if !more {
			ms := p.members[base:]
			m := make(map[string]any, len(ms))
			for _, kv := range ms {
				m[kv.k] = kv.v // a repeated key keeps its last value, as in encoding/json
			}
			clear(ms)
			p.members = p.members[:base]
			return m, true
		}
	}
}

func (p *parser) array(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.i++ // '['
	a := make([]any, 0)
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		more, ok := p.next(']')
		if !ok {
			return nil, false
		}
		if !more {
			return a, true
		}
	}
}

// next consumes what follows a member or an element: white space, then either a comma and more white space (more
// follows) or closer (the container ends). ok is false for anything else.
func (p *parser) next(closer byte) (more, ok bool) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return false, false
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		p.skipSpace()
		return true, true
	case closer:
		p.i++
		return false, true
	}
	return false, false
}

// str decodes the string at p.i (which is '"'). Strings without escapes are substrings of the input; the simple
// escapes are decoded; \u escapes, control characters and invalid UTF-8 leave the fast path.
func (p *parser) str() (string, bool) {
	start := p.i + 1
	ascii := true
	for j := start; j < len(p.s); j++ {
		c := p.s[j]
		if !special[c] {
			continue
		}
		switch {
		case c == '"':
			p.i = j + 1
			out := p.s[start:j]
			if !ascii && !utf8.ValidString(out) {
				return "", false // encoding/json replaces invalid bytes with U+FFFD
			}
			return out, true
		case c == '\\':
			return p.escaped(start, j)
		case c < 0x20:
			return "", false
		default: // c >= utf8.RuneSelf
			ascii = false
		}
	}
	return "", false
}

// special marks the bytes a string scan must stop at: the quote, the backslash, control characters and the bytes
// of multi-byte UTF-8 sequences.
var special = func() (t [256]bool) {
	for c := range t {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

// escaped finishes a string that has an escape at esc, copying what came before it.
func (p *parser) escaped(start, esc int) (string, bool) {
	b := make([]byte, 0, esc-start+16)
	b = append(b, p.s[start:esc]...)
	for j := esc; j < len(p.s); j++ {
		c := p.s[j]
		switch {
		case c == '"':
			if !utf8.Valid(b) {
				return "", false
			}
			p.i = j + 1
			return string(b), true
		case c == '\\':
			if j+1 >= len(p.s) {
				return "", false
			}
			j++
			switch p.s[j] {
			case '"', '\\', '/':
				b = append(b, p.s[j])
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			default: // \u (surrogates have their own rules) or an invalid escape
				return "", false
			}
		case c < 0x20:
			return "", false
		default:
			b = append(b, c)
		}
	}
	return "", false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and returns it as a json.Number.
func (p *parser) number() (any, bool) {
	s, j := p.s, p.i
	if s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && s[j] >= '1' && s[j] <= '9':
		j = digits(s, j)
	default:
		return nil, false
	}
	if j < len(s) && s[j] == '.' {
		k := digits(s, j+1)
		if k == j+1 {
			return nil, false
		}
		j = k
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := digits(s, j)
		if k == j {
			return nil, false
		}
		j = k
	}
	n := json.Number(s[p.i:j])
	p.i = j
	return n, true
}

func digits(s string, j int) int {
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j
}
