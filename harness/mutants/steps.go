package mutants

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/reference"
)

// Small building blocks shared by the registries.

// On runs step for calls of op only; other calls go straight to the reference.
func On(op string, step Step) Step {
	return func(c *Call, next func() *Result) *Result {
		if c.Op != op {
			return next()
		}
		return step(c, next)
	}
}

// Before runs fn before the reference sees a call of op; a non-nil Result answers the call instead.
func Before(op string, fn func(c *Call) *Result) Step {
	return On(op, func(c *Call, next func() *Result) *Result {
		if res := fn(c); res != nil {
			return res
		}
		return next()
	})
}

// AfterCancel runs fn after every successful cancel of an existing intent (typically to change the state the
// reference left behind, then c.Rerender(res) to keep the answer consistent).
func AfterCancel(fn func(c *Call, res *Result)) Step {
	return On("cancel", func(c *Call, next func() *Result) *Result {
		res := next()
		if c.Found && res.Status == http.StatusOK {
			fn(c, res)
		}
		return res
	})
}

// IfStatus holds for a call on an existing intent that was in one of statuses when the call arrived.
func IfStatus(c *Call, statuses ...string) bool {
	return c.Found && slices.Contains(statuses, c.Intent.Status)
}

// CancelableWith lets cancel succeed from the default statuses plus extra.
func CancelableWith(extra ...string) func(o *reference.Options) {
	return func(o *reference.Options) {
		o.CancelableStatuses = append(slices.Clone(reference.DefaultCancelableStatuses), extra...)
	}
}

// CancelableWithout refuses cancel from status (and allows the other default statuses).
func CancelableWithout(status string) func(o *reference.Options) {
	return func(o *reference.Options) {
		o.CancelableStatuses = slices.DeleteFunc(slices.Clone(reference.DefaultCancelableStatuses), func(s string) bool { return s == status })
	}
}

// Delay adds latency to every response.
func Delay(d time.Duration) Step {
	return func(c *Call, next func() *Result) *Result {
		res := next()
		c.Sleep(d)
		return res
	}
}

// UnlockedRace models a target that reads an intent, spends window talking to the processor, then writes, without
// locking the intent: a call of ops that overlaps another in-flight call of ops on the same intent acts on the state
// that the first one read, so both succeed (a lost update). With crossOnly, only calls of different operations race
// (e.g. cancel against capture); calls of the same operation still exclude each other. Sequential calls behave.
func UnlockedRace(window time.Duration, crossOnly bool, ops ...string) Step {
	type flight struct {
		op      string
		read    reference.PaymentIntent
		stale   bool // read comes from another in-flight call
		crossed bool // a call of another operation overlapped this one
	}
	var (
		mu       sync.Mutex
		inflight = map[string][]*flight{}
		write    sync.Mutex // each call's write (restore + the reference's own write) is atomic
	)
	return func(c *Call, next func() *Result) *Result {
		if !slices.Contains(ops, c.Op) || !c.Found {
			return next()
		}
		mu.Lock()
		me := &flight{op: c.Op, read: c.Intent}
		for _, f := range inflight[c.ID] {
			if f.op != c.Op {
				f.crossed, me.crossed = true, true
			}
			if (!crossOnly || f.op != c.Op) && !me.stale {
				me.read, me.stale = f.read, true
			}
		}
		inflight[c.ID] = append(inflight[c.ID], me)
		mu.Unlock()
		defer func() {
			mu.Lock()
			inflight[c.ID] = slices.DeleteFunc(inflight[c.ID], func(f *flight) bool { return f == me })
			mu.Unlock()
		}()

		c.Sleep(window) // the call to the processor, during which nothing is locked
		write.Lock()
		defer write.Unlock()
		mu.Lock()
		racing := !crossOnly || me.crossed
		mu.Unlock()
		if cur, ok := c.Current(); ok && racing && cur.Status != me.read.Status {
			read := me.read
			c.Update(func(pi *reference.PaymentIntent) { *pi = read }) // the write is based on the stale read
		}
		return next()
	}
}
