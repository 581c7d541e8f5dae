package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/pi-conformance/suite/harness/reference"
)

// Bodies the reference target really sends: a created, a canceled (with its expanded charge) and a refused intent,
// an error without an object, and a list.
func referenceBodies(t testing.TB) map[string][]byte {
	t.Helper()
	srv := httptest.NewServer(reference.New(reference.Options{}))
	t.Cleanup(srv.Close)
	do := func(method, path string, form url.Values) []byte {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("sk_test_jsonvalue", "")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	id := func(body []byte) string {
		var v struct{ ID string }
		if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
			t.Fatalf("no id in %s", body)
		}
		return v.ID
	}
	out := map[string][]byte{}
	out["created"] = do("POST", "/v1/payment_intents", url.Values{"amount": {"2000"}, "currency": {"usd"},
		"metadata[note]": {"quote \" backslash \\ newline \n tab \t é ✓"}})
	auth := do("POST", "/v1/payment_intents", url.Values{"amount": {"2000"}, "currency": {"usd"},
		"payment_method": {"pm_card_visa"}, "confirm": {"true"}, "capture_method": {"manual"}, "payment_method_types[]": {"card"}})
	out["canceled"] = do("POST", "/v1/payment_intents/"+id(auth)+"/cancel?expand[]=latest_charge", url.Values{"cancellation_reason": {"abandoned"}})
	out["refused"] = do("POST", "/v1/payment_intents/"+id(auth)+"/cancel", nil)
	out["missing"] = do("POST", "/v1/payment_intents/pi_missing/cancel", nil)
	out["list"] = do("GET", "/v1/payment_intents?limit=3", nil)
	return out
}

// sameAsEncodingJSON fails unless Decode gives what encoding/json gives: the same value, or an error when it errs.
func sameAsEncodingJSON(t *testing.T, data []byte) {
	t.Helper()
	want, werr := slow(data)
	got, gerr := Decode(data)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("Decode(%s): error %v, encoding/json: %v", clip(data), gerr, werr)
	}
	if werr != nil {
		if gerr.Error() != werr.Error() {
			t.Fatalf("Decode(%s): error %q, encoding/json: %q", clip(data), gerr, werr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode(%s) = %s, encoding/json: %s", clip(data), clip([]byte(fmt.Sprintf("%#v", got))), clip([]byte(fmt.Sprintf("%#v", want))))
	}
}

// clip quotes b, cut to 300 bytes, for failure messages.
func clip(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q… (%d bytes)", b[:300], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func TestReferenceBodiesTakeTheFastPath(t *testing.T) {
	for name, body := range referenceBodies(t) {
		t.Run(name, func(t *testing.T) {
			if _, ok, _ := fast(body); !ok {
				t.Fatalf("a body the reference sends left the fast path: %s", clip(body))
			}
			sameAsEncodingJSON(t, body)
		})
	}
}

var cases = []string{
	`{}`, `[]`, `{"a":[]}`, ` {"a" : 1 , "b":[1,2 ,3] } `, "\t\n\r{}\n",
	`"x"`, `1`, `-0`, `-0.5e+10`, `1E-2`, `0.0`, `123456789012345678901234567890`, `true`, `false`, `null`,
	`{"a":1,"a":2}`, `{"":null}`, `[[[[]]]]`, `{"a":{"b":{"c":[{"d":null}]}}}`,
	`"esc \" \\ \/ \b \f \n \r \t"`, `"é ✓ 𝄞"`, `"\u00e9"`, `"\ud834\udd1e"`, `"\ud834"`, `"\ud834x"`, `"\udd1e\ud834"`,
	`"a\u0000b"`, "\"raw\x01ctl\"", "\"bad \xff utf8\"", "\"bad \xc3\"", "{\"k\xff\":1}", `"\x"`, `"\`, `"abc`,
	``, ` `, `{`, `}`, `[`, `]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{1:2}`, `{"a" 1}`,
	`01`, `-`, `-a`, `1.`, `.5`, `1e`, `1e+`, `+1`, `1x`, `0x10`, `tru`, `nul`, `truex`, `NaN`, `Infinity`,
	`{} {}`, `{}x`, `1 2`, `[1] `, `"a" "b"`, `{"a":1}}`, `[1]]`,
	strings.Repeat("[", 600) + strings.Repeat("]", 600),
	strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

func TestSameAsEncodingJSON(t *testing.T) {
	for _, c := range cases {
		sameAsEncodingJSON(t, []byte(c))
	}
}

func TestTrailingDataIsReported(t *testing.T) {
	_, err := Decode([]byte(`{"a":1} {"b":2}`))
	if !errors.Is(err, ErrTrailingData) {
		t.Fatalf("err = %v, want ErrTrailingData", err)
	}
}

// Strings and numbers share the decoded copy of the body, never the caller's buffer: the caller may reuse it.
func TestValuesDoNotAliasTheInput(t *testing.T) {
	data := []byte(`{"s":"hello","n":12}`)
	v, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	m := v.(map[string]any)
	if m["s"] != "hello" || m["n"] != json.Number("12") {
		t.Fatalf("values changed with the input buffer: %#v", m)
	}
}

// TestMaxValues: a document of MaxValues values decodes, one more is refused with ErrTooManyValues, on the fast path
// and on encoding/json's (a \u escape sends a document there).
func TestMaxValues(t *testing.T) {
	doc := func(values int, first string) []byte {
		var b strings.Builder
		b.WriteString(`{"a":[` + first)
		for range values - 3 { // the root, "a" and its array's elements
			b.WriteString(",0")
		}
		b.WriteString("]}")
		return []byte(b.String())
	}
	for _, first := range []string{"0", `"\u00e9"`} {
		if _, err := Decode(doc(MaxValues, first)); err != nil {
			t.Errorf("%d values (first element %s): %v", MaxValues, first, err)
		}
		if _, err := Decode(doc(MaxValues+1, first)); !errors.Is(err, ErrTooManyValues) {
			t.Errorf("%d values (first element %s): err = %v, want ErrTooManyValues", MaxValues+1, first, err)
		}
	}
	wide := `{"k0":0` + strings.Repeat(`,"k":{"x":"a,b[c{"}`, MaxValues/2) + "}"
	if _, err := Decode([]byte(wide)); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("an object of %d members: err = %v", MaxValues/2, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	for _, b := range referenceBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsEncodingJSON(t, data)
		if v, ok, _ := fast(data); ok {
			// Whatever the fast path accepts, encoding/json accepts with the same value.
			want, err := slow(data)
			if err != nil || !reflect.DeepEqual(v, want) {
				t.Fatalf("fast path accepted %s as %s; encoding/json: %s, %v", clip(data), clip([]byte(fmt.Sprintf("%#v", v))), clip([]byte(fmt.Sprintf("%#v", want))), err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	body := referenceBodies(b)["canceled"]
	b.Run("jsonvalue", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-decoder-usenumber", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
