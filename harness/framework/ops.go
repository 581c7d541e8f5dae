package framework

import (
	"context"
	"fmt"
	"net/url"

	. "github.com/onsi/ginkgo/v2"

	"github.com/pi-conformance/suite/harness/client"
)

// Typed operations on the target. Each builds its request from the operation and the object's id (no spec writes a
// URL), sends it through Do (recording, schema observation, livemode guard), and returns the response whatever its
// status: the spec asserts. Create operations tag what they create with the run id and register the created object
// with the session's tracker from the answer itself (its "object" and "id"), so cleanup releases it by its type's
// rule; nothing is tracked by hand.
//
// The Must variants are for setting up a spec's starting point: they require a 2xx answer carrying the expected
// object and otherwise end the spec as Blocked (the precondition could not be reached; the clause was not
// exercised), never as a clause failure.

// Option adjusts one request (idempotency key, auth, raw body, racing).
type Option func(*client.Request)

func intentPath(id string, action ...string) string {
	p := "/v1/payment_intents/" + url.PathEscape(id)
	for _, a := range action {
		p += "/" + a
	}
	return p
}

func (s *Session) send(ctx context.Context, method, path string, params client.Params, opts []Option) *Resp {
	GinkgoHelper()
	req := client.Request{Method: method, Path: path, Params: params}
	for _, o := range opts {
		o(&req)
	}
	return s.Do(ctx, req)
}

// tagged returns params plus the run's metadata tag (a copy: the caller's params are not changed).
func (s *Session) tagged(params client.Params, keys ...string) client.Params {
	p := client.Params{}
	for k, v := range params {
		p[k] = append([]string(nil), v...)
	}
	for _, k := range keys {
		p[k] = []string{s.F.RunID}
	}
	return p
}

// CreateIntent creates a PaymentIntent (tagged with the run id) and tracks it.
func (s *Session) CreateIntent(ctx context.Context, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	r := s.send(ctx, "POST", "/v1/payment_intents", s.tagged(params, "metadata["+RunMetadataKey+"]"), opts)
	s.trackCreated(r)
	return r
}

// RetrieveIntent reads a PaymentIntent (params: e.g. expand[]).
func (s *Session) RetrieveIntent(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", intentPath(id), params, opts)
}

// UpdateIntent updates a PaymentIntent.
func (s *Session) UpdateIntent(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "POST", intentPath(id), params, opts)
}

// ConfirmIntent confirms a PaymentIntent.
func (s *Session) ConfirmIntent(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "POST", intentPath(id, "confirm"), params, opts)
}

// CaptureIntent captures a PaymentIntent.
func (s *Session) CaptureIntent(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "POST", intentPath(id, "capture"), params, opts)
}

// CancelIntent cancels a PaymentIntent.
func (s *Session) CancelIntent(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "POST", intentPath(id, "cancel"), params, opts)
}

// IncrementAuthorization asks for an increment of a PaymentIntent's authorization.
func (s *Session) IncrementAuthorization(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "POST", intentPath(id, "increment_authorization"), params, opts)
}

// IntentOp names a state-changing PaymentIntent operation, for specs that try several in turn.
type IntentOp string

// The state-changing PaymentIntent operations.
const (
	OpConfirm   IntentOp = "confirm"
	OpCapture   IntentOp = "capture"
	OpUpdate    IntentOp = "update"
	OpCancel    IntentOp = "cancel"
	OpIncrement IntentOp = "increment_authorization"
)

// Apply sends the operation op to the intent id.
func (s *Session) Apply(ctx context.Context, op IntentOp, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	switch op {
	case OpConfirm:
		return s.ConfirmIntent(ctx, id, params, opts...)
	case OpCapture:
		return s.CaptureIntent(ctx, id, params, opts...)
	case OpUpdate:
		return s.UpdateIntent(ctx, id, params, opts...)
	case OpCancel:
		return s.CancelIntent(ctx, id, params, opts...)
	case OpIncrement:
		return s.IncrementAuthorization(ctx, id, params, opts...)
	}
	Fail(fmt.Sprintf("suite bug: unknown operation %q", op))
	return nil
}

// RetrieveCharge reads a Charge.
func (s *Session) RetrieveCharge(ctx context.Context, id string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", "/v1/charges/"+url.PathEscape(id), params, opts)
}

// ListRefunds lists refunds (params: payment_intent, charge, limit...).
func (s *Session) ListRefunds(ctx context.Context, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", "/v1/refunds", params, opts)
}

// RetrieveRefund reads a Refund.
func (s *Session) RetrieveRefund(ctx context.Context, id string, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", "/v1/refunds/"+url.PathEscape(id), nil, opts)
}

// CreateCheckoutSession creates a Checkout Session, tagging it and its PaymentIntent with the run id, and tracks it
// (and its PaymentIntent, when the answer names one).
func (s *Session) CreateCheckoutSession(ctx context.Context, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	p := s.tagged(params, "metadata["+RunMetadataKey+"]", "payment_intent_data[metadata]["+RunMetadataKey+"]")
	r := s.send(ctx, "POST", "/v1/checkout/sessions", p, opts)
	s.trackCreated(r)
	return r
}

// RetrieveCheckoutSession reads a Checkout Session.
func (s *Session) RetrieveCheckoutSession(ctx context.Context, id string, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", "/v1/checkout/sessions/"+url.PathEscape(id), nil, opts)
}

// ExpireCheckoutSession expires a Checkout Session.
func (s *Session) ExpireCheckoutSession(ctx context.Context, id string, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "POST", "/v1/checkout/sessions/"+url.PathEscape(id)+"/expire", nil, opts)
}

// ConfirmCheckoutSessionForTest asks the target's test helper
// POST /v1/test_helpers/checkout/sessions/{session}/confirm to do what a customer's confirmation does first: create
// the session's PaymentIntent. The reference target has it; a target without it answers 404, which only means the
// intent cannot be obtained server-side (Stripe has no such helper). It is outside the pinned document, so its
// answer is not validated; the intent it names is tracked.
func (s *Session) ConfirmCheckoutSessionForTest(ctx context.Context, id string) *Resp {
	GinkgoHelper()
	r := s.send(ctx, "POST", "/v1/test_helpers/checkout/sessions/"+url.PathEscape(id)+"/confirm", nil, nil)
	if pi, ok := r.Obj["payment_intent"].(string); ok && r.Status == 200 {
		s.tracker.add("payment_intent", pi)
	}
	return r
}

// MustCancelIntent cancels a PaymentIntent as a set-up step: anything but 200 with status canceled blocks the spec.
func (s *Session) MustCancelIntent(ctx context.Context, id, from string, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	r := s.CancelIntent(ctx, id, params, opts...)
	s.must(r, "cancel a PaymentIntent in "+from, "payment_intent", "canceled")
	return r
}

// MustRetrieveIntent reads a PaymentIntent as a set-up step.
func (s *Session) MustRetrieveIntent(ctx context.Context, id string) *Resp {
	GinkgoHelper()
	r := s.RetrieveIntent(ctx, id, nil)
	s.must(r, "retrieve a PaymentIntent", "payment_intent", "")
	return r
}

// MustCreateCheckoutSession creates a Checkout Session as a set-up step.
func (s *Session) MustCreateCheckoutSession(ctx context.Context, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	r := s.CreateCheckoutSession(ctx, params, opts...)
	s.must(r, "create a Checkout Session", "checkout.session", "")
	return r
}

// must blocks the spec unless r is a 2xx answer carrying object (and status, when given).
func (s *Session) must(r *Resp, step, object, status string) {
	GinkgoHelper()
	switch {
	case r.Status < 200 || r.Status > 299:
		Blocked("", step, fmt.Sprintf("the target answered HTTP %d", r.Status), r)
	case r.Str("object") != object || r.ID() == "":
		Blocked("", step, fmt.Sprintf("the answer is not a %s with an id (object %q)", object, r.Str("object")), r)
	case status != "" && r.Str("status") != status:
		Blocked("", step, fmt.Sprintf("the answer has status %q, not %s", r.Str("status"), status), r)
	}
}

// WithIdempotencyKey sets the request's Idempotency-Key.
func WithIdempotencyKey(k string) Option {
	return func(r *client.Request) { r.IdempotencyKey = k }
}

// Racing returns the option for a group of n requests meant to race: their first attempts take their n tokens of
// the rate limit in one reservation and leave together. Make one per group and give it to each of the n requests.
func Racing(n int) Option {
	race := client.NewRace(n)
	return func(r *client.Request) { r.Race = race }
}

// WithAuth sends key instead of the configured one ("" sends no Authorization header).
func WithAuth(key string) Option {
	return func(r *client.Request) { r.Auth = &key }
}

// WithRawBody sends body verbatim with the given Content-Type ("" sends none).
func WithRawBody(body []byte, contentType string) Option {
	return func(r *client.Request) {
		r.RawBody = body
		if r.Header == nil {
			r.Header = map[string][]string{}
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
	}
}
