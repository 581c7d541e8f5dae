package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A rate budget shared by several processes (Ginkgo's parallel processes): one of them serves a Bucket over HTTP on
// loopback (ServeBucket), the others, and itself, take tokens through a RemoteBucket.
//
// The protocol is one request per wait: POST <url>?n=N[&wait=MS]. The server answers when the N tokens are taken:
// 200 "ok". It answers 408 at once when the wait would take longer than MS milliseconds (the caller's deadline),
// 400 for a bad N (more than the bucket holds), 404 for any other path. When the caller gives up (its context ends,
// the connection closes), the server's wait ends too and the tokens go back to the bucket. The URL's path holds a
// random secret, so that another local program cannot spend the budget by accident.

// maxRemoteWait bounds a wait whose context has no deadline, so that a stuck server cannot hang a caller for ever.
const maxRemoteWait = 5 * time.Minute

// BucketServer serves a Bucket to other processes on 127.0.0.1.
type BucketServer struct {
	bucket *Bucket
	srv    *http.Server
	url    string
}

// ServeBucket starts serving a bucket of perSecond tokens a second and burst banked on 127.0.0.1 (a free port).
func ServeBucket(perSecond float64, burst int) (*BucketServer, error) {
	b := NewBucket(perSecond, burst)
	if b == nil {
		return nil, errors.New("shared rate limit: the rate must be positive")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("shared rate limit: %w", err)
	}
	path := "/bucket/" + randomHex(12)
	s := &BucketServer{bucket: b, url: "http://" + ln.Addr().String() + path}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+path, s.take)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is what RemoteBucket needs (it carries the secret path).
func (s *BucketServer) URL() string { return s.url }

// Bucket is the served bucket itself, for the serving process (it may also use a RemoteBucket on URL).
func (s *BucketServer) Bucket() *Bucket { return s.bucket }

// Close stops serving; waits in progress end and their callers get an error.
func (s *BucketServer) Close() error { return s.srv.Close() }

func (s *BucketServer) take(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 1 {
		http.Error(w, "n must be a positive integer", http.StatusBadRequest)
		return
	}
	if n > s.bucket.Burst() {
		http.Error(w, fmt.Sprintf("%d requests must leave together but the shared bucket holds %d tokens (raise the burst)", n, s.bucket.Burst()), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if v := q.Get("wait"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			http.Error(w, "wait must be a number of milliseconds >= 0", http.StatusBadRequest)
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	if err := s.bucket.WaitN(ctx, n); err != nil {
		if r.Context().Err() != nil {
			return // the caller is gone; the tokens went back
		}
		http.Error(w, err.Error(), http.StatusRequestTimeout)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// RemoteBucket takes tokens from a bucket that another process serves (ServeBucket). It is safe for concurrent use;
// each waiting caller holds one loopback connection.
type RemoteBucket struct {
	url string
	hc  *http.Client
}

// NewRemoteBucket returns a client of the bucket served at rawURL (BucketServer.URL), which must be on loopback.
func NewRemoteBucket(rawURL string) (*RemoteBucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("shared rate limit: %q is not a bucket URL", rawURL)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("shared rate limit: the bucket must be on a loopback address, not %q", u.Host)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback only, never through a proxy
	tr.MaxIdleConnsPerHost = 64
	return &RemoteBucket{url: rawURL, hc: &http.Client{Transport: tr}}, nil
}

// WaitN implements Throttle.
func (b *RemoteBucket) WaitN(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q := url.Values{"n": {strconv.Itoa(n)}}
	if dl, ok := ctx.Deadline(); ok {
		q.Set("wait", strconv.FormatInt(max(time.Until(dl).Milliseconds(), 0), 10))
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxRemoteWait)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("shared rate limit: %w", err)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("shared rate limit: the bucket at %s (served by Ginkgo process 1) did not answer; has process 1 stopped? %w", hostOfURL(b.url), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusRequestTimeout:
		return fmt.Errorf("shared rate limit: %s: %w", msg, context.DeadlineExceeded)
	default:
		return fmt.Errorf("shared rate limit: the bucket at %s answered %s: %s", hostOfURL(b.url), statusLine(resp.StatusCode), msg)
	}
}

// CloseIdleConnections closes the idle loopback connections to the bucket.
func (b *RemoteBucket) CloseIdleConnections() { b.hc.CloseIdleConnections() }

func hostOfURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Host
	}
	return "(bad URL)"
}
