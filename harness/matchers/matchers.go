// Package matchers holds the Gomega matchers the specs assert with. Every matcher takes a target response
// (*client.Response, or anything with a ClientResponse method) and, when it fails, shows the request, the response
// status, the relevant part of the body (redacted) and a curl line that reproduces the exchange.
package matchers

import (
	"fmt"
	"strings"
	"text/template"

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
		secretsMu.RLock()
		body, cut := redact.Head(r.Body, BodyExcerpt, secrets...)
		secretsMu.RUnlock()
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

// HaveJSON succeeds when the JSON body has expected at path (dotted, e.g. "error.code"); nil expects JSON null.
func HaveJSON(path string, expected any) types.GomegaMatcher {
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

// HaveJSONSatisfying succeeds when the value at path exists and pred returns "" for it (else the reason).
func HaveJSONSatisfying(path, description string, pred func(v any) string) types.GomegaMatcher {
	return match(fmt.Sprintf("to answer with %s %s", path, description), func(r *client.Response, obj map[string]any) string {
		if obj == nil {
			return "the body is not a JSON object"
		}
		v, ok := Lookup(obj, path)
		if !ok {
			return fmt.Sprintf("%s is absent", path)
		}
		if why := pred(v); why != "" {
			return fmt.Sprintf("%s = %s: %s", path, Show(v), why)
		}
		return ""
	})
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
