package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pi-conformance/suite/harness/redact"
)

// Exchange is the redacted record of one Do call (all its attempts). It is immutable once Do returns and is
// marshalled to JSON for the reports (labels.EntryExchanges).
//
// Bodies are kept as redacted excerpts of at most RecordedBody bytes (redact.Head: a credential straddling the cut
// never shows); a cut body says so in RequestBodyCut/ResponseBodyCut, with its full size and digest. The whole
// body is only in Response.Body, for the duration of the request's checks: every exchange of a failed spec is
// attached to its report, so what an exchange keeps is what every report holds.
type Exchange struct {
	Method         string      `json:"method"`
	URL            string      `json:"url"`                       // redacted
	RequestHeader  http.Header `json:"request_header,omitempty"`  // redacted
	RequestBody    string      `json:"request_body,omitempty"`    // redacted excerpt
	Status         int         `json:"status"`                    // 0 if no response
	ResponseHeader http.Header `json:"response_header,omitempty"` // redacted
	ResponseBody   string      `json:"response_body,omitempty"`   // redacted excerpt
	// RequestBodyCut and ResponseBodyCut are set when the body was longer than the excerpt kept.
	RequestBodyCut  *BodyCut      `json:"request_body_cut,omitempty"`
	ResponseBodyCut *BodyCut      `json:"response_body_cut,omitempty"`
	Started         time.Time     `json:"started"`
	Duration        time.Duration `json:"duration_ns"` // total incl. retries
	Attempts        int           `json:"attempts"`
	Err             string        `json:"error,omitempty"` // transport error text, redacted

	// Additions.
	RetryLog   []string `json:"retry_log,omitempty"`   // one line per retried attempt: what happened and the delay
	CustomAuth bool     `json:"custom_auth,omitempty"` // Request.Auth supplied a key other than the client's (redacted too)
	BodyRaw    bool     `json:"body_raw,omitempty"`    // the body came from Request.RawBody (Curl sends it verbatim)
	KeyEnv     string   `json:"key_env,omitempty"`     // variable Curl uses for the client's key

	// requestWhole and responseWhole describe bodies longer than SlimBody, for Recorder.Exchanges to cut further.
	requestWhole, responseWhole *BodyCut
}

// RecordedBody is the most an Exchange keeps of a request or response body. Stripe's PaymentIntent, error and
// list bodies are 1 to 6 KiB, so a conforming target's bodies are kept whole or nearly so; a larger body is shown
// by its beginning, its size and its digest.
const RecordedBody = 4 << 10

// BodyCut describes a body an Exchange keeps only the beginning of.
type BodyCut struct {
	Bytes  int    `json:"bytes"`  // size of the whole body
	SHA256 string `json:"sha256"` // hex SHA-256 of the whole body as sent or received (compare: curl … | sha256sum)
}

func (c *BodyCut) String() string {
	return fmt.Sprintf("cut: %d bytes in all, sha256 %s", c.Bytes, c.SHA256)
}

// recordBody returns what an Exchange keeps of body: a redacted excerpt, a BodyCut when it is not the whole, and
// the whole body's BodyCut when it is longer than SlimBody.
func recordBody(body []byte, secrets []string) (excerpt string, cut, whole *BodyCut) {
	excerpt, isCut := redact.Head(body, RecordedBody, secrets...)
	if len(body) > SlimBody {
		sum := sha256.Sum256(body)
		whole = &BodyCut{Bytes: len(body), SHA256: hex.EncodeToString(sum[:])}
	}
	if isCut {
		cut = whole
	}
	return excerpt, cut, whole
}

// Bounds of the headers an Exchange keeps (a target may send up to MaxResponseHeader bytes of them).
const (
	maxHeaderFields = 40
	maxHeaderValues = 4
	maxHeaderValue  = 512
)

// recordHeader returns the redacted header an Exchange keeps: at most maxHeaderFields fields (by name), each with at
// most maxHeaderValues values of at most maxHeaderValue bytes (cut after redaction, redact.Head).
func recordHeader(h http.Header, secrets []string) http.Header {
	if len(h) > maxHeaderFields {
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		small := make(http.Header, maxHeaderFields)
		for _, k := range keys[:maxHeaderFields] {
			small[k] = h[k]
		}
		small["X-Conformance-Omitted-Headers"] = []string{strconv.Itoa(len(keys) - maxHeaderFields)}
		h = small
	}
	out := redact.Header(h, secrets...)
	for k, vs := range out {
		if len(vs) > maxHeaderValues {
			vs = append(vs[:maxHeaderValues:maxHeaderValues], "… "+strconv.Itoa(len(vs)-maxHeaderValues)+" more values")
		}
		for i, v := range vs {
			if len(v) > maxHeaderValue {
				vs[i] = truncate(v, maxHeaderValue) + "… (" + strconv.Itoa(len(v)) + " bytes)"
			}
		}
		out[k] = vs
	}
	return out
}

// Path returns the path and query of URL ("/v1/payment_intents/pi_1/cancel").
func (e *Exchange) Path() string {
	u, err := url.Parse(e.URL)
	if err != nil {
		return e.URL
	}
	return u.RequestURI()
}

// Curl returns a one-line curl command that repeats the request. The key never appears: it is read from
// $CONFORMANCE_API_KEY (Config.APIKeyEnv), or $CONFORMANCE_OTHER_API_KEY for a per-request key.
func (e *Exchange) Curl() string {
	var parts []string
	add := func(s ...string) { parts = append(parts, s...) }
	add("curl", "-sS", "-X", ShellQuote(e.Method), singleQuote(e.URL))
	if strings.ContainsAny(e.URL, "[]{}") {
		add("-g") // no URL globbing
	}

	env := e.KeyEnv
	if env == "" {
		env = DefaultAPIKeyEnv
	}
	if e.CustomAuth {
		env = OtherAPIKeyEnv
	}
	for _, v := range e.RequestHeader.Values("Authorization") {
		switch {
		case strings.HasPrefix(v, "Bearer "):
			add("-H", `"Authorization: Bearer $`+env+`"`)
		case strings.HasPrefix(v, "Basic "):
			add("-u", `"$`+env+`:"`)
		default:
			add("-H", singleQuote("Authorization: "+v))
		}
	}
	keys := make([]string, 0, len(e.RequestHeader))
	for k := range e.RequestHeader {
		switch k {
		case "Authorization", "User-Agent", "Content-Length", "Accept-Encoding", "Host":
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return headerRank(keys[i]) < headerRank(keys[j]) || headerRank(keys[i]) == headerRank(keys[j]) && keys[i] < keys[j]
	})
	for _, k := range keys {
		for _, v := range e.RequestHeader[k] {
			add("-H", singleQuote(k+": "+v))
		}
	}

	hasBody := e.RequestBody != "" || e.BodyRaw || e.Method == http.MethodPost || e.Method == http.MethodPut || e.Method == http.MethodPatch
	if hasBody {
		if e.RequestHeader.Get("Content-Type") == "" {
			add("-H", singleQuote("Content-Type:")) // curl would otherwise add a form Content-Type
		}
		if e.RequestBodyCut != nil {
			// The excerpt cannot repeat the request: send the whole body from a file the user saves.
			add("--data-binary", "@request-body", "#", "request body not recorded whole ("+e.RequestBodyCut.String()+")")
		} else {
			add(curlBody(e.RequestBody, e.BodyRaw)...)
		}
	}
	return strings.Join(parts, " ")
}

func headerRank(k string) int {
	switch k {
	case "Idempotency-Key":
		return 0
	case "Stripe-Version":
		return 1
	case "Content-Type":
		return 2
	}
	return 3
}

// curlBody renders a body as curl data options: one --data-urlencode per form pair when the body is a form that can
// be re-encoded, otherwise the bytes verbatim.
func curlBody(body string, raw bool) []string {
	if body == "" {
		return []string{"-d", "''"}
	}
	if !raw {
		if vals, err := url.ParseQuery(body); err == nil {
			keys := make([]string, 0, len(vals))
			for k := range vals {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var out []string
			for _, k := range keys {
				for _, v := range vals[k] {
					if curlSafeName(k) {
						out = append(out, "--data-urlencode", singleQuote(k+"="+v))
					} else {
						out = append(out, "-d", singleQuote(url.QueryEscape(k)+"="+url.QueryEscape(v)))
					}
				}
			}
			return out
		}
	}
	return []string{"--data-raw", singleQuote(body)}
}

// curlSafeName reports whether curl's --data-urlencode "name=content" form keeps name intact (curl does not encode
// the name, and splits at the first "=" or "@").
func curlSafeName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.[]", r)) {
			return false
		}
	}
	return true
}

// ShellQuote quotes s for a POSIX shell: bare when it is plainly safe, else in single quotes (also inside "$(...)",
// whose command the shell parses on its own). The report's rerun file uses it too.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:@%+=") == "" {
		return s
	}
	return singleQuote(s)
}

// singleQuote always wraps s in single quotes (a quote inside becomes quote, backslash, quote, quote), so the
// shell expands nothing in it.
func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Summary renders the exchange for a failure message:
//
//	POST /v1/payment_intents/pi_1/cancel
//	  request: cancellation_reason=duplicate
//	  response: 400 Bad Request
//	  body: {…at most maxBody bytes…}
//	  reproduce: curl …
//
// maxBody <= 0 means no limit. JSON bodies are compacted before truncation.
func (e *Exchange) Summary(maxBody int) string {
	var b strings.Builder
	b.WriteString(e.Method + " " + e.Path())
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	b.WriteString("\n  request: " + bodyExcerpt(readableBody(e.RequestBody, e.BodyRaw, e.RequestBodyCut != nil), maxBody, e.RequestBodyCut, "(none)"))
	if e.Status == 0 {
		fmt.Fprintf(&b, "\n  response: none\n  error: %s", e.Err)
	} else {
		b.WriteString("\n  response: " + statusLine(e.Status))
		body := e.ResponseBody
		if e.ResponseBodyCut == nil {
			body = compactJSON(body)
		}
		b.WriteString("\n  body: " + bodyExcerpt(body, maxBody, e.ResponseBodyCut, "(empty)"))
	}
	for _, l := range e.RetryLog {
		b.WriteString("\n  retry: " + l)
	}
	b.WriteString("\n  reproduce: " + e.Curl())
	return b.String()
}

// readableBody shows a form body with its keys and values decoded (brackets readable), in wire order. The decoded
// text is redacted again: decoding may spell out a credential that the recorded, encoded text hid.
func readableBody(body string, raw, cut bool) string {
	if raw || cut || body == "" {
		return body
	}
	pairs := strings.Split(body, "&")
	for i, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return body
		}
		pairs[i] = dk + "=" + dv
	}
	return redact.String(strings.Join(pairs, "&"))
}

// bodyExcerpt is excerpt for a body recorded whole, and for a body recorded in part its beginning (cut to max) and
// the cut note.
func bodyExcerpt(s string, max int, cut *BodyCut, empty string) string {
	if cut == nil {
		return excerpt(s, max, empty)
	}
	s = strings.ReplaceAll(s, "\n", `\n`)
	if max > 0 {
		s = truncate(s, max)
	}
	return s + "… (" + cut.String() + ")"
}

func compactJSON(s string) string {
	var buf bytes.Buffer
	if json.Valid([]byte(s)) && json.Compact(&buf, []byte(s)) == nil {
		return buf.String()
	}
	return s
}

func excerpt(s string, max int, empty string) string {
	if s == "" {
		return empty
	}
	s = strings.ReplaceAll(s, "\n", `\n`)
	if max <= 0 || len(s) <= max {
		return s
	}
	return truncate(s, max) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
