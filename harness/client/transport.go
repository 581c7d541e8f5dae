package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

type attemptResult struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
}

// attempt sends one HTTP request under the per-attempt timeout and reads the whole body.
func (c *Client) attempt(ctx context.Context, method, target string, header http.Header, body []byte, hasBody bool) (attemptResult, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return attemptResult{}, err
	}
	hr.Header = header.Clone()
	start := time.Now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		return attemptResult{elapsed: time.Since(start)}, c.attemptErr(ctx, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	res := attemptResult{status: resp.StatusCode, header: resp.Header, elapsed: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("reading the %s response body: %w", statusLine(resp.StatusCode), c.attemptErr(ctx, actx, err))
	}
	if len(data) > MaxResponseBody {
		return res, fmt.Errorf("%s: %w", statusLine(resp.StatusCode), errBodyTooLarge)
	}
	res.body = data
	return res, nil
}

// attemptErr names a per-attempt timeout as such (the parent context is still alive in that case).
func (c *Client) attemptErr(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no complete response within the request timeout (%s): %w", c.cfg.RequestTimeout, err)
	}
	return err
}

// buildTarget returns the full URL and the body to send.
func (c *Client) buildTarget(method string, req Request) (target string, body []byte, hasBody bool, err error) {
	path, rawQuery, _ := strings.Cut(req.Path, "?")
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	target = c.cfg.BaseURL + path
	if _, err := url.Parse(target); err != nil {
		return "", nil, false, fmt.Errorf("invalid request path: %w", err)
	}
	bodyMethod := method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
	if !bodyMethod && len(req.Params) > 0 {
		if rawQuery != "" {
			rawQuery += "&"
		}
		rawQuery += req.Params.Encode()
	}
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	switch {
	case req.RawBody != nil:
		return target, req.RawBody, true, nil
	case bodyMethod:
		return target, []byte(req.Params.Encode()), true, nil
	}
	return target, nil, false, nil
}

func (c *Client) buildHeader(method string, req Request) http.Header {
	h := http.Header{}
	h.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.StripeVersion != "" {
		h.Set("Stripe-Version", c.cfg.StripeVersion)
	}
	key := c.cfg.APIKey
	if req.Auth != nil {
		key = *req.Auth
	}
	if key != "" {
		if req.BasicAuth {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
		} else {
			h.Set("Authorization", "Bearer "+key)
		}
	}
	if method == http.MethodPost && req.RawBody == nil {
		// Even with an empty body: stripe-mock refuses a POST without Content-Type.
		h.Set("Content-Type", formContentType)
	}
	if !isSafeMethod(method) && !req.NoIdempotencyKey {
		idem := req.IdempotencyKey
		if idem == "" && method == http.MethodPost {
			idem = c.NewIdempotencyKey()
		}
		if idem != "" {
			h.Set("Idempotency-Key", idem)
		}
	}
	for k, vs := range req.Header {
		ck := http.CanonicalHeaderKey(k)
		if len(vs) == 0 {
			h.Del(ck)
			continue
		}
		h[ck] = append([]string(nil), vs...)
	}
	return h
}

// isConnectionError reports whether err means the connection failed (refused, reset, closed before a complete
// response), as opposed to a timeout, a cancelled context or an oversized body.
func isConnectionError(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBodyTooLarge) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	for _, target := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, io.EOF, io.ErrUnexpectedEOF, net.ErrClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset", "broken pipe", "server closed", "connection refused", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
