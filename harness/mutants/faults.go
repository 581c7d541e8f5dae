package mutants

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/reference"
)

// faultLabelFilter keeps the runs against faults that cost a timeout per spec short: the specs of two clauses
// (7 specs) are enough to show how the suite ends.
const faultLabelFilter = "check: containsAny {rejection, errors}"

// Faults returns targets that are broken as a whole. The suite must end each run with clean failures that name the
// request (Errored, labels.PrefixErrored, when nothing usable came back), never a panic or a hang.
func Faults() []Mutant {
	return append([]Mutant{
		{
			// A wedged process behind a load balancer: the connection is accepted, the request read, nothing answered.
			Name: "hang", Kind: Fault, Errored: true, LabelFilter: faultLabelFilter,
			Description: "the target accepts connections and reads requests but never answers",
			New: func(*reference.Server) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client going away
					select {
					case <-r.Context().Done():
					case <-time.After(2 * time.Minute):
					}
				})
			},
		},
		{
			// A crashing worker: the connection is reset without a response.
			Name: "reset", Kind: Fault, Errored: true, LabelFilter: faultLabelFilter,
			Description: "the target resets every connection (hijack, SO_LINGER 0, close)",
			New: func(*reference.Server) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hj, ok := w.(http.Hijacker)
					if !ok {
						panic(http.ErrAbortHandler)
					}
					conn, _, err := hj.Hijack()
					if err != nil {
						return
					}
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0)
					}
					_ = conn.Close()
				})
			},
		},
		{
			// A proxy error page instead of the API.
			Name: "html-502", Kind: Fault,
			Description: "every request gets a 502 HTML error page from a proxy",
			New: func(*reference.Server) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.WriteHeader(http.StatusBadGateway)
					_, _ = io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
				})
			},
		},
		{
			// A buggy streaming encoder: half the body, with a Content-Length that matches what is sent.
			Name: "truncated-json", Kind: Fault,
			Description: "every JSON body is cut in half (Content-Length matches the truncated body)",
			New: Steps(func(_ *Call, next func() *Result) *Result {
				res := next()
				res.Body = res.Body[:len(res.Body)/2]
				return res
			}),
		},
		{
			// An outage.
			Name: "server-error-500", Kind: Fault,
			Description: "every request gets 500 api_error",
			New: Steps(func(c *Call, _ func() *Result) *Result {
				return c.Error(&reference.Error{Type: "api_error", HTTPStatus: http.StatusInternalServerError,
					Message: "An unknown error occurred while processing this request."})
			}),
		},
	}, BadInputFaults()...)
}

// ---- bad input: bodies that are valid JSON but huge, deep or wide ----

// The bad-input faults answer every request with a body that breaks the schema in one outsized way: every
// payment_intent in it, and the error object of an error body, carry the bad member. The suite must fail every spec
// cleanly, naming the request, and stay bounded in memory and output whatever the body's size or shape (see
// badinput_test.go).
const (
	// HugeDescriptionBytes is the description of the huge-description fault: over the client's response cap, so
	// that every request ends in a named transport error.
	HugeDescriptionBytes = 6 << 20
	// DeepNesting is the depth of the deep-nesting fault's objects: deeper than any real response, within
	// encoding/json's own limit (10000) so that it reaches whatever follows the decoder.
	DeepNesting = 9000
	// ManyFields is the member count of the many-fields fault's metadata object.
	ManyFields = 200_000
)

// BadInputFaults are the faults that send valid JSON of outsized size, depth or width.
//
// It is long because it is a table: one small entry per fault.
func BadInputFaults() []Mutant {
	return []Mutant{
		{
			Name: "huge-description", Kind: Fault, Errored: HugeDescriptionBytes > client.MaxResponseBody,
			Description: "every intent's description (and every error's message) is 6 MiB of text echoing the request's API key",
			New: Steps(editIntentsAndErrors(func(c *Call, intent, errObj map[string]any) {
				text := filler(HugeDescriptionBytes, bearerKey(c))
				if intent != nil {
					intent["description"] = text
				}
				if errObj != nil {
					errObj["message"] = text
				}
			})),
		},
		{
			Name: "deep-nesting", Kind: Fault,
			Description: fmt.Sprintf("every intent's metadata (and every error's param) holds objects nested %d deep", DeepNesting),
			New: Steps(editIntentsAndErrors(func(c *Call, intent, errObj map[string]any) {
				if intent != nil {
					md, _ := intent["metadata"].(map[string]any)
					if md == nil {
						md = map[string]any{}
						intent["metadata"] = md
					}
					md["nested"] = nested(DeepNesting, bearerKey(c))
				}
				if errObj != nil {
					errObj["param"] = nested(DeepNesting, bearerKey(c))
				}
			})),
		},
		{
			Name: "many-fields", Kind: Fault,
			Description: fmt.Sprintf("every intent's metadata (and every error's param) is an object of %d members with number values", ManyFields),
			New: func(ref *reference.Server) http.Handler {
				// Encoded once per key: building and encoding 200k members for every response would make the
				// target, not the suite, the slow part.
				var mu sync.Mutex
				encoded := map[string]json.RawMessage{}
				wide := func(key string) json.RawMessage {
					mu.Lock()
					defer mu.Unlock()
					if b, ok := encoded[key]; ok {
						return b
					}
					var b bytes.Buffer
					b.WriteString(`{"echo":`)
					kb, _ := json.Marshal(key)
					b.Write(kb)
					for i := range ManyFields {
						fmt.Fprintf(&b, `,"k%06d":%d`, i, i)
					}
					b.WriteString("}")
					encoded[key] = b.Bytes()
					return b.Bytes()
				}
				return Wrap(ref, editIntentsAndErrors(func(c *Call, intent, errObj map[string]any) {
					if intent != nil {
						intent["metadata"] = wide(bearerKey(c))
					}
					if errObj != nil {
						errObj["param"] = wide(bearerKey(c))
					}
				}))
			},
		},
		{
			Name: "near-cap", Kind: Fault,
			Description: "every body is padded (intent description, error message) to just under the client's response cap",
			New: Steps(func(c *Call, next func() *Result) *Result {
				res := next()
				const marker = "conformance-near-cap-padding"
				edit := editIntentsAndErrors(func(_ *Call, intent, errObj map[string]any) {
					if intent != nil {
						intent["description"] = marker
					}
					if errObj != nil {
						errObj["message"] = marker
					}
				})
				res = edit(c, func() *Result { return res })
				// The marker occurs once per intent or error: share the room left under the cap between them.
				n := bytes.Count(res.Body, []byte(marker))
				if n == 0 {
					return res
				}
				room := client.MaxResponseBody - 1024 - len(res.Body)
				pad := filler(room/n+len(marker), bearerKey(c))
				res.Body = bytes.ReplaceAll(res.Body, []byte(`"`+marker+`"`), []byte(`"`+pad+`"`))
				return res
			}),
		},
	}
}

// editIntentsAndErrors edits every JSON body: fn is called once for every payment_intent in it (intent set) and
// once for the error object of an error body (errObj set).
func editIntentsAndErrors(fn func(c *Call, intent, errObj map[string]any)) Step {
	return EditJSON(func(c *Call, status int, body any) (int, any) {
		EachIntent(body, func(pi map[string]any) { fn(c, pi, nil) })
		if e, ok := ErrorObject(body); ok {
			fn(c, nil, e)
		}
		return status, body
	})
}

// bearerKey is the key of the request's Bearer Authorization ("" without one): the bad-input bodies echo it, so that
// the self-test also proves that no output file shows the key, however large the body it hides in.
func bearerKey(c *Call) string {
	k, _ := strings.CutPrefix(c.R.Header.Get("Authorization"), "Bearer ")
	return k
}

// filler is n bytes of plain text (JSON needs no escape in it) with key written every 997 bytes, so that some
// copy of the key straddles any cut a report may make.
func filler(n int, key string) string {
	if n <= 0 {
		return ""
	}
	unit := []byte(strings.Repeat("lorem ipsum dolor sit amet ", 40)[:997])
	copy(unit[100:], " key="+key+" ")
	return strings.Repeat(string(unit), n/len(unit)+1)[:n]
}

// nested is depth objects, each the only member "n" of its parent, around key.
func nested(depth int, key string) any {
	var v any = key
	for range depth {
		v = map[string]any{"n": v}
	}
	return v
}
