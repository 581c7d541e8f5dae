// Package jsondecode decodes response bodies with encoding/json (numbers as json.Number), with the two checks the
// suite needs around it: nothing but white space after the value, and a bound on the number of values, checked by a
// scan before anything is decoded so that a hostile body costs little.
package jsondecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxValues bounds the values (members, elements and the root) of a decoded document. A Stripe response holds a
// few hundred, a page of 100 expanded objects some tens of thousands; the decoded form costs about 50 bytes a value
// on top of the body, so without a bound a body of small values ("[0,0,…]") would cost some twenty times its size,
// and every check walking it more.
const MaxValues = 100_000

// ErrTooManyValues is returned for a document with more than MaxValues values.
var ErrTooManyValues = fmt.Errorf("the JSON document holds more than %d values (members and elements); a Stripe response holds a few hundred", MaxValues)

// ErrTrailingData is returned when a valid value is followed by more than white space.
var ErrTrailingData = errors.New("trailing data after the JSON value")

// Decode decodes exactly one JSON value followed only by white space, as encoding/json's Decoder with UseNumber
// does, and returns encoding/json's error when data is not JSON, ErrTrailingData, or ErrTooManyValues.
func Decode(data []byte) (any, error) {
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
