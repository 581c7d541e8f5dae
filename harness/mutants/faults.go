package mutants

import (
	"io"
	"net"
	"net/http"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// faultLabelFilter keeps the runs against faults that cost a timeout per spec short: the specs of two clauses
// (7 specs) are enough to show how the suite ends.
const faultLabelFilter = "check: containsAny {rejection, errors}"

// Faults returns targets that are broken as a whole. The suite must end each run with clean failures that name the
// request (Errored, labels.PrefixErrored, when nothing usable came back), never a panic or a hang.
func Faults() []Mutant {
	return []Mutant{
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
	}
}
