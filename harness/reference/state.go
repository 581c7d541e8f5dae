package reference

import (
	"errors"
	"slices"
)

// ErrNotFound is returned by the state accessors for an unknown id.
var ErrNotFound = errors.New("reference: no such object")

// The methods below give wrappers (for example deliberately broken variants
// of the reference) direct access to the stored state. They take the state
// lock; the callbacks passed to Update* run with the lock held and must not
// call back into the Server. Snapshots are deep copies.

// snapshot returns a deep copy of the object find returns, found and
// copied under the state lock; false when find returns nil.
func snapshot[T any](s *Server, find func() *T, clone func(*T) T) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := find(); p != nil {
		return clone(p), true
	}
	var zero T
	return zero, false
}

// update runs fn, with the state lock held, on the object find returns;
// ErrNotFound when find returns nil.
func update[T any](s *Server, find func() *T, fn func(*T)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := find()
	if p == nil {
		return ErrNotFound
	}
	fn(p)
	return nil
}

// Intent returns a snapshot of a PaymentIntent (after any due
// ProcessingDelay transition).
func (s *Server) Intent(id string) (PaymentIntent, bool) {
	return snapshot(s, func() *PaymentIntent { return s.getIntent(id) }, (*PaymentIntent).clone)
}

// Intents returns snapshots of every PaymentIntent, newest first.
func (s *Server) Intents() []PaymentIntent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PaymentIntent, 0, len(s.intentOrder))
	for i := len(s.intentOrder) - 1; i >= 0; i-- {
		out = append(out, s.getIntent(s.intentOrder[i]).clone())
	}
	return out
}

// UpdateIntent changes a stored PaymentIntent in place. The id cannot be
// changed. The change emits no event (it is not an API change), and no
// later request reports it as one.
func (s *Server) UpdateIntent(id string, fn func(*PaymentIntent)) error {
	return update(s, func() *PaymentIntent { return s.getIntent(id) }, func(pi *PaymentIntent) {
		fn(pi)
		pi.ID = id
		s.events.remember(pi)
	})
}

// IntentObject renders a PaymentIntent exactly as GET /v1/payment_intents/{id}
// would (with the given expand paths).
func (s *Server) IntentObject(id string, expand ...string) (map[string]any, error) {
	if e := validateExpand("payment_intent", expand); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.getIntent(id)
	if pi == nil {
		return nil, ErrNotFound
	}
	obj := s.renderIntent(pi)
	s.applyExpand(obj, expand)
	return obj, nil
}

// FinishProcessing moves a processing PaymentIntent to succeeded (the Go
// equivalent of POST /v1/test_helpers/payment_intents/{intent}/finish_processing).
func (s *Server) FinishProcessing(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.getIntent(id)
	if pi == nil {
		return ErrNotFound
	}
	if pi.Status != StatusProcessing {
		return errors.New("reference: payment intent " + id + " has status " + pi.Status + ", not processing")
	}
	s.succeedProcessing(pi)
	return nil
}

// Charge returns a snapshot of a Charge.
func (s *Server) Charge(id string) (Charge, bool) {
	return snapshot(s, func() *Charge { return s.charges[id] }, (*Charge).clone)
}

// UpdateCharge changes a stored Charge in place. The id cannot be changed.
func (s *Server) UpdateCharge(id string, fn func(*Charge)) error {
	return update(s, func() *Charge { return s.charges[id] }, func(ch *Charge) {
		fn(ch)
		ch.ID = id
	})
}

// Refund returns a snapshot of a Refund.
func (s *Server) Refund(id string) (Refund, bool) {
	return snapshot(s, func() *Refund { return s.refunds[id] }, (*Refund).clone)
}

// RefundsForIntent returns snapshots of the refunds of a PaymentIntent, newest first.
func (s *Server) RefundsForIntent(piID string) []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Refund
	for i := len(s.refundOrder) - 1; i >= 0; i-- {
		if r := s.refunds[s.refundOrder[i]]; r.PaymentIntent == piID {
			out = append(out, r.clone())
		}
	}
	return out
}

// UpdateRefund changes a stored Refund in place. The id cannot be changed.
func (s *Server) UpdateRefund(id string, fn func(*Refund)) error {
	return update(s, func() *Refund { return s.refunds[id] }, func(r *Refund) {
		fn(r)
		r.ID = id
	})
}

// DeleteRefund removes a Refund (it disappears from every list).
func (s *Server) DeleteRefund(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refunds[id] == nil {
		return ErrNotFound
	}
	delete(s.refunds, id)
	if i := slices.Index(s.refundOrder, id); i >= 0 {
		s.refundOrder = slices.Delete(s.refundOrder, i, i+1)
	}
	return nil
}

// PaymentMethod returns a snapshot of a stored PaymentMethod.
func (s *Server) PaymentMethod(id string) (PaymentMethod, bool) {
	return snapshot(s, func() *PaymentMethod { return s.pms[id] }, (*PaymentMethod).clone)
}

// CheckoutSession returns a snapshot of a Checkout Session.
func (s *Server) CheckoutSession(id string) (CheckoutSession, bool) {
	return snapshot(s, func() *CheckoutSession { return s.getSession(id) }, (*CheckoutSession).clone)
}

// UpdateCheckoutSession changes a stored Checkout Session in place.
func (s *Server) UpdateCheckoutSession(id string, fn func(*CheckoutSession)) error {
	return update(s, func() *CheckoutSession { return s.sessions[id] }, func(cs *CheckoutSession) {
		fn(cs)
		cs.ID = id
	})
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// CancelableStatuses reports the statuses from which cancel succeeds.
func (s *Server) CancelableStatuses() []string {
	var out []string
	for _, st := range []string{StatusRequiresPaymentMethod, StatusRequiresConfirmation, StatusRequiresAction,
		StatusProcessing, StatusRequiresCapture, StatusSucceeded, StatusCanceled} {
		if s.cancelable[st] {
			out = append(out, st)
		}
	}
	return out
}

// Reset drops all stored objects, events, webhook endpoints and idempotency
// keys. Deliveries in flight stop before their next attempt.
func (s *Server) Reset() {
	s.mu.Lock()
	s.intents, s.intentOrder = map[string]*PaymentIntent{}, nil
	s.charges = map[string]*Charge{}
	s.refunds, s.refundOrder = map[string]*Refund{}, nil
	s.pms = map[string]*PaymentMethod{}
	s.sessions = map[string]*CheckoutSession{}
	s.events.reset()
	s.hooks.reset()
	s.mu.Unlock()
	s.idem.mu.Lock()
	s.idem.entries = map[string]*idemEntry{}
	s.idem.mu.Unlock()
}
