package client

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "sk_test_51TopSecretKeyValue0123456789"

// seen is one request as the server observed it.
type seen struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     string
	At       time.Time
}

func (s seen) form(t *testing.T) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s.Body)
	if err != nil {
		t.Fatalf("server got an unparseable form body %q: %v", s.Body, err)
	}
	return v
}

func (s seen) query(t *testing.T) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s.RawQuery)
	if err != nil {
		t.Fatalf("server got an unparseable query %q: %v", s.RawQuery, err)
	}
	return v
}

// recServer records every request and answers with the handler's reply (default 200 {"ok":true}).
type recServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []seen
	reply func(n int, w http.ResponseWriter, r *http.Request) // n is the 1-based request number
}

func newRecServer(t *testing.T, reply func(n int, w http.ResponseWriter, r *http.Request)) *recServer {
	t.Helper()
	rs := &recServer{reply: reply}
	rs.Server = httptest.NewServer(http.HandlerFunc(rs.serve))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rs.mu.Lock()
	rs.reqs = append(rs.reqs, seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body), At: time.Now()})
	n := len(rs.reqs)
	rs.mu.Unlock()
	if rs.reply != nil {
		rs.reply(n, w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func (rs *recServer) requests() []seen {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]seen(nil), rs.reqs...)
}

func (rs *recServer) last(t *testing.T) seen {
	t.Helper()
	r := rs.requests()
	if len(r) == 0 {
		t.Fatal("the server saw no request")
	}
	return r[len(r)-1]
}

func newTestClient(t *testing.T, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: base, APIKey: testKey, StripeVersion: "2026-08-26.dahlia", RetryBackoff: time.Millisecond, RunID: "testrun"}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// resetFirstListener resets (RST) the first accepted connection, then behaves normally.
type resetFirstListener struct {
	net.Listener
	n atomic.Int32
}

func (l *resetFirstListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.n.Add(1) == 1 {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
			continue
		}
		return c, nil
	}
}

func newResetFirstServer(t *testing.T, rs *recServer) (*httptest.Server, *resetFirstListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(rs.serve))
	l := &resetFirstListener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, l
}

// shellWords splits a POSIX shell command line (single quotes, double quotes, backslashes, $VAR expansion from
// env; no other expansions). Unsupported syntax fails the test.
func shellWords(t *testing.T, line string, env map[string]string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(i int) int { // line[i] == '$'; returns index after the name
		j := i + 1
		for j < len(line) && (line[j] == '_' || line[j] >= 'A' && line[j] <= 'Z' || line[j] >= 'a' && line[j] <= 'z' || line[j] >= '0' && line[j] <= '9') {
			j++
		}
		if j == i+1 {
			t.Fatalf("bare $ at %d in %q", i, line)
		}
		v, ok := env[line[i+1:j]]
		if !ok {
			t.Fatalf("curl line uses unset variable %s", line[i+1:j])
		}
		cur.WriteString(v)
		return j
	}
	for i := 0; i < len(line); {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case ch == '\'':
			inWord = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated single quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 2
		case ch == '"':
			inWord = true
			i++
			for {
				if i >= len(line) {
					t.Fatalf("unterminated double quote in %q", line)
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				switch c {
				case '\\':
					if i+1 < len(line) && strings.IndexByte("$`\"\\", line[i+1]) >= 0 {
						cur.WriteByte(line[i+1])
						i += 2
					} else {
						cur.WriteByte(c)
						i++
					}
				case '$':
					i = expand(i)
				case '`':
					t.Fatalf("backquote in %q", line)
				default:
					cur.WriteByte(c)
					i++
				}
			}
		case ch == '\\':
			inWord = true
			if i+1 < len(line) {
				cur.WriteByte(line[i+1])
			}
			i += 2
		case ch == '$':
			inWord = true
			i = expand(i)
		case strings.IndexByte("|&;<>()`*?\n", ch) >= 0:
			t.Fatalf("unquoted shell metacharacter %q at %d in %q", ch, i, line)
		default:
			inWord = true
			cur.WriteByte(ch)
			i++
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// curlToRequest interprets the curl options Exchange.Curl emits and builds the equivalent request.
func curlToRequest(t *testing.T, line string, env map[string]string) *http.Request {
	t.Helper()
	w := shellWords(t, line, env)
	if len(w) == 0 || w[0] != "curl" {
		t.Fatalf("not a curl command: %q", line)
	}
	method, target := "", ""
	header := http.Header{}
	var data []string
	var user *string
	for i := 1; i < len(w); i++ {
		next := func() string {
			i++
			if i >= len(w) {
				t.Fatalf("option %s lacks its argument in %q", w[i-1], line)
			}
			return w[i]
		}
		switch a := w[i]; a {
		case "-sS", "-g":
		case "-X":
			method = next()
		case "-H":
			name, value, ok := strings.Cut(next(), ":")
			if !ok {
				t.Fatalf("bad -H in %q", line)
			}
			value = strings.TrimSpace(value)
			if value == "" {
				header.Del(name)
				header.Set("X-Curl-Removed", name)
			} else {
				header.Add(name, value)
			}
		case "-u":
			u := next()
			user = &u
		case "--data-urlencode":
			name, content, ok := strings.Cut(next(), "=")
			if !ok || name == "" {
				t.Fatalf("--data-urlencode without name= in %q", line)
			}
			data = append(data, name+"="+url.QueryEscape(content))
		case "-d", "--data-raw":
			data = append(data, next())
		default:
			if strings.HasPrefix(a, "-") {
				t.Fatalf("unexpected curl option %q in %q", a, line)
			}
			if target != "" {
				t.Fatalf("two URLs in %q", line)
			}
			target = a
		}
	}
	var body io.Reader
	if data != nil {
		body = strings.NewReader(strings.Join(data, "&"))
		if header.Get("Content-Type") == "" && header.Get("X-Curl-Removed") != "Content-Type" {
			header.Set("Content-Type", "application/x-www-form-urlencoded") // curl's default for -d
		}
		if method == "" {
			method = http.MethodPost
		}
	}
	header.Del("X-Curl-Removed")
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("curl URL %q: %v", target, err)
	}
	req.Header = header
	if user != nil {
		name, pass, _ := strings.Cut(*user, ":")
		req.SetBasicAuth(name, pass)
	}
	return req
}

// assertNoLeak fails if any of the forms of the test key shows up in s.
func assertNoLeak(t *testing.T, what, s string, leaks ...string) {
	t.Helper()
	for _, l := range leaks {
		if l != "" && strings.Contains(s, l) {
			t.Errorf("%s leaks %q:\n%s", what, l, s)
		}
	}
}

func haveCurl() bool {
	for _, dir := range strings.Split(os.Getenv("PATH"), string(os.PathListSeparator)) {
		if st, err := os.Stat(dir + "/curl"); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

func mustDo(t *testing.T, c *Client, ctx context.Context, req Request) *Response {
	t.Helper()
	r, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s %s: unexpected error: %v", req.Method, req.Path, err)
	}
	return r
}

func mustJSON(t *testing.T, r *Response) map[string]any {
	t.Helper()
	m, err := r.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return m
}

var _ = fmt.Sprint
