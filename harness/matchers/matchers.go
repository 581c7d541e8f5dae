// Package matchers holds the Gomega matchers the specs assert with. Every matcher takes a target response
// (*client.Response, or anything with a ClientResponse method) and, when it fails, shows the request, the response
// status, the relevant part of the body (redacted) and a curl line that reproduces the exchange.
package matchers

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/redact"
)

// BodyExcerpt is how much of a response body a failure message shows.
const BodyExcerpt = 1500

// Responder is implemented by response wrappers that carry a client response.
type Responder interface{ ClientResponse() *client.Response }

func unwrap(actual any) (*client.Response, error) {
	switch r := actual.(type) {
	case *client.Response:
		if r == nil {
			return nil, fmt.Errorf("no response (nil)")
		}
		return r, nil
	case Responder:
		cr := r.ClientResponse()
		if cr == nil {
			return nil, fmt.Errorf("no response (nil)")
		}
		return cr, nil
	}
	return nil, fmt.Errorf("expected a target response, got %T", actual)
}

func exchange(r *client.Response) string {
	if r.Exchange == nil {
		body, cut := redact.Head(r.Body, BodyExcerpt, redact.Secrets()...)
		if cut {
			body += "…"
		}
		return fmt.Sprintf("  response: %d\n  body: %s", r.Status, body)
	}
	return r.Exchange.Summary(BodyExcerpt)
}

// failureTemplate is parsed once; gcustom would otherwise parse it for every matcher built.
var failureTemplate = func() *template.Template {
	t, err := gcustom.ParseTemplate("{{.Data.Describe}}\n{{if .Failure}}{{.Data.Reason}}{{else}}but it did{{end}}\nThe exchange:\n{{.Data.Exchange}}")
	if err != nil {
		panic(err)
	}
	return t
}()

// match builds a matcher from a check that returns "" on success or the reason for failure. The exchange is only
// rendered when a failure message is asked for.
func match(describe string, check func(r *client.Response, obj map[string]any) string) types.GomegaMatcher {
	data := &templateData{describe: describe}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		r, err := unwrap(actual)
		if err != nil {
			return false, err
		}
		obj, _ := r.JSON()
		data.reason = check(r, obj)
		data.resp = r
		return data.reason == "", nil
	}).WithPrecompiledTemplate(failureTemplate).WithTemplateData(data)
}

type templateData struct {
	describe string
	reason   string
	resp     *client.Response
}

func (t *templateData) Describe() string { return "Expected the target " + t.describe }
func (t *templateData) Reason() string   { return "but " + t.reason }
func (t *templateData) Exchange() string {
	if t.resp == nil {
		return ""
	}
	return indent(exchange(t.resp))
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// ExchangeBlock renders an exchange for a failure message: a heading, then the request, the response status, a
// redacted body excerpt and a curl line, indented. Every failure message of the suite shows exchanges this way.
func ExchangeBlock(ex *client.Exchange) string {
	if ex == nil {
		return ""
	}
	return "\n\nThe exchange:\n" + indent(ex.Summary(BodyExcerpt))
}

// HaveStatus succeeds when the HTTP status is code.
func HaveStatus(code int) types.GomegaMatcher {
	return match(fmt.Sprintf("to answer HTTP %d", code), func(r *client.Response, _ map[string]any) string {
		if r.Status != code {
			return fmt.Sprintf("it answered HTTP %d", r.Status)
		}
		return ""
	})
}

// HaveJSON succeeds when the JSON body has, at path (dotted, e.g. "error.code"), the expected value: a Gomega
// matcher is applied to the value; anything else is compared with JSONEqual (nil expects JSON null).
func HaveJSON(path string, expected any) types.GomegaMatcher {
	if m, ok := expected.(types.GomegaMatcher); ok {
		return haveJSONMatching(path, m)
	}
	return match(fmt.Sprintf("to answer with %s = %s", path, Show(expected)), func(r *client.Response, obj map[string]any) string {
		if obj == nil {
			return "the body is not a JSON object"
		}
		v, ok := Lookup(obj, path)
		if !ok {
			return fmt.Sprintf("%s is absent", path)
		}
		if !JSONEqual(v, expected) {
			return fmt.Sprintf("%s = %s", path, Show(v))
		}
		return ""
	})
}

// HaveJSONLike succeeds when the body has at path what before (another response) has there: the same JSON value,
// or absent in both.
func HaveJSONLike(path string, before any) types.GomegaMatcher {
	return match(fmt.Sprintf("to answer with %s as before", path), func(r *client.Response, obj map[string]any) string {
		if obj == nil {
			return "the body is not a JSON object"
		}
		br, err := unwrap(before)
		if err != nil {
			return "there is no earlier response to compare with"
		}
		bobj, _ := br.JSON()
		want, had := Lookup(bobj, path)
		got, has := Lookup(obj, path)
		switch {
		case !had && !has:
			return ""
		case had && !has:
			return fmt.Sprintf("%s is absent (it was %s)", path, Show(want))
		case !had:
			return fmt.Sprintf("%s = %s (it was absent)", path, Show(got))
		case !JSONEqual(got, want):
			return fmt.Sprintf("%s = %s (it was %s)", path, Show(got), Show(want))
		}
		return ""
	})
}

// haveJSONMatching applies a Gomega matcher to the value at path; its own failure message says why it failed.
func haveJSONMatching(path string, m types.GomegaMatcher) types.GomegaMatcher {
	return match(fmt.Sprintf("to answer with %s matching the clause", path), func(r *client.Response, obj map[string]any) string {
		if obj == nil {
			return "the body is not a JSON object"
		}
		v, ok := Lookup(obj, path)
		if !ok {
			return fmt.Sprintf("%s is absent", path)
		}
		v = gomegaValue(v)
		okm, err := m.Match(v)
		if err != nil {
			return fmt.Sprintf("%s = %s: %s", path, Show(v), bounded(redacted(err.Error())))
		}
		if !okm {
			return fmt.Sprintf("%s = %s:\n%s", path, Show(v), bounded(redacted(m.FailureMessage(v))))
		}
		return ""
	})
}

// gomegaValue hands a JSON number to Gomega's matchers as a Go number (int64 when integral, else float64), since
// they do not know json.Number; other values are passed as decoded.
func gomegaValue(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return v
}

// bounded cuts a matcher's message (it may print the whole value) to what a failure message can carry.
func bounded(s string) string {
	if len(s) > BodyExcerpt {
		return s[:BodyExcerpt] + "…"
	}
	return s
}

// BeStripeError succeeds for a Stripe error envelope with the given HTTP status, error.type and error.code.
// An empty errType or code is not checked; code "-" requires that no code is sent.
func BeStripeError(status int, errType, code string) types.GomegaMatcher {
	want := fmt.Sprintf("HTTP %d", status)
	if errType != "" {
		want += " error.type=" + errType
	}
	switch code {
	case "":
	case "-":
		want += " without error.code"
	default:
		want += " error.code=" + code
	}
	return match("to answer with a Stripe error: "+want, func(r *client.Response, obj map[string]any) string {
		return stripeErrorReason(r, obj, func(s int) bool { return s == status }, errType, code)
	})
}

// BeClientError succeeds for any 4xx Stripe error envelope, optionally with the given error.type.
func BeClientError(errType string) types.GomegaMatcher {
	want := "a 4xx Stripe error"
	if errType != "" {
		want += " with error.type=" + errType
	}
	return match("to answer with "+want, func(r *client.Response, obj map[string]any) string {
		return stripeErrorReason(r, obj, func(s int) bool { return s >= 400 && s < 500 }, errType, "")
	})
}

func stripeErrorReason(r *client.Response, obj map[string]any, statusOK func(int) bool, errType, code string) string {
	var problems []string
	if !statusOK(r.Status) {
		problems = append(problems, fmt.Sprintf("it answered HTTP %d", r.Status))
	}
	if obj == nil {
		return strings.Join(append(problems, "the body is not a JSON object"), "; ")
	}
	e, ok := obj["error"].(map[string]any)
	if !ok {
		return strings.Join(append(problems, "the body has no \"error\" object"), "; ")
	}
	if errType != "" && !JSONEqual(e["type"], errType) {
		problems = append(problems, fmt.Sprintf("error.type = %s", Show(e["type"])))
	}
	got, has := e["code"]
	switch {
	case code == "":
	case code == "-":
		if has {
			problems = append(problems, fmt.Sprintf("error.code = %s, but none is expected", Show(got)))
		}
	case !has:
		problems = append(problems, "error.code is absent")
	case !JSONEqual(got, code):
		problems = append(problems, fmt.Sprintf("error.code = %s", Show(got)))
	}
	return strings.Join(problems, "; ")
}

// HaveHeader succeeds when the response has header name with a non-empty value (or exactly value, when given).
func HaveHeader(name string, value ...string) types.GomegaMatcher {
	desc := "to send the header " + name
	if len(value) > 0 {
		desc += ": " + value[0]
	}
	return match(desc, func(r *client.Response, _ map[string]any) string {
		got := r.Header.Get(name)
		if got == "" {
			return "it is absent"
		}
		if len(value) > 0 && got != value[0] {
			return fmt.Sprintf("it is %q", got)
		}
		return ""
	})
}

// HaveSameBodyAs succeeds when the JSON body equals the first response's body; a failure lists the differing JSON
// pointers (values redacted) and shows both exchanges.
func HaveSameBodyAs(first any) types.GomegaMatcher {
	return match("to answer with the same body as before", func(r *client.Response, obj map[string]any) string {
		fr, err := unwrap(first)
		if err != nil {
			return "there is no first response to compare with"
		}
		fobj, err := fr.JSON()
		if err != nil || obj == nil {
			return "one of the bodies is not a JSON object"
		}
		d := Diff(fobj, obj, 10)
		if len(d) == 0 {
			return ""
		}
		msg := "the bodies differ (first vs this):\n    " + strings.Join(d, "\n    ")
		if fr.Exchange != nil {
			msg += "\nThe first exchange:\n" + indent(fr.Exchange.Summary(BodyExcerpt))
		}
		return msg
	})
}

// BeUnixTimeWithin succeeds for an integer number of unix seconds inside [from, to] widened by skew on both sides
// (the window's start rounds down and its end up, so a target that rounds either way fits).
func BeUnixTimeWithin(from, to time.Time, skew time.Duration) types.GomegaMatcher {
	lo := from.Add(-skew).Unix()
	hi := (to.Add(skew).UnixNano() + int64(time.Second) - 1) / int64(time.Second)
	return gcustom.MakeMatcher(func(v any) (bool, error) {
		ts, ok := AsInt(v)
		return ok && ts >= lo && ts <= hi, nil
	}).WithMessage(fmt.Sprintf("to be an integer of unix seconds inside the request window [%d, %d] (±%s clock skew allowed)", lo, hi, skew))
}

// BeAJSONList succeeds for a JSON array (compose with And: And(BeAJSONList(), BeEmpty())).
func BeAJSONList() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(v any) (bool, error) {
		_, ok := v.([]any)
		return ok, nil
	}).WithMessage("to be a JSON list")
}
