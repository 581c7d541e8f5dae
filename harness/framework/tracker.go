package framework

import (
	"context"
	"net/url"
	"slices"
	"sync"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
)

// tracker registers every object a spec created, from the create answer itself, and releases them in reverse order
// of creation (LIFO) by their type's rule, even after a failed assertion (cleanup runs from DeferCleanup).
type tracker struct {
	mu      sync.Mutex
	objects []tracked
	final   map[string]bool // ids seen in a final state: nothing left to release
}

type tracked struct{ object, id string }

// releaseRules says, per object type, how cleanup releases one object this run created. Each rule reads the object
// first and touches it only when it carries this run's tag, so cleanup never changes what the run did not create.
var releaseRules = map[string]func(ctx context.Context, c *client.Client, runID, id string){
	"payment_intent":   releaseIntent,
	"checkout.session": releaseCheckoutSession,
	"webhook_endpoint": releaseWebhookEndpoint, // events.go
}

func (t *tracker) add(object, id string) {
	if id == "" || releaseRules[object] == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.objects {
		if o.id == id {
			return
		}
	}
	t.objects = append(t.objects, tracked{object, id})
}

func (t *tracker) markFinal(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.final == nil {
		t.final = map[string]bool{}
	}
	t.final[id] = true
}

func (t *tracker) isFinal(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.final[id]
}

func (t *tracker) snapshot() []tracked {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]tracked(nil), t.objects...)
}

// release applies each object's rule, newest first.
func (t *tracker) release(ctx context.Context, c *client.Client, runID string) {
	objs := t.snapshot()
	for i := len(objs) - 1; i >= 0; i-- {
		o := objs[i]
		if t.isFinal(o.id) || ctx.Err() != nil {
			continue
		}
		releaseRules[o.object](ctx, c, runID, o.id)
	}
}

// trackCreated registers what a create answer created: the object itself, and a PaymentIntent it names (a Checkout
// Session's, when it exists already).
func (s *Session) trackCreated(r *Resp) {
	if r == nil || r.Status < 200 || r.Status > 299 || r.Obj == nil {
		return
	}
	object, _ := r.Obj["object"].(string)
	if pi, ok := r.Obj["payment_intent"].(string); ok && object == "checkout.session" {
		// Registered first, so that the session is released first (expiring it cancels its intent).
		s.tracker.add("payment_intent", pi)
	}
	s.tracker.add(object, r.ID())
}

func taggedBy(obj map[string]any, runID string) bool {
	md, _ := obj["metadata"].(map[string]any)
	return md != nil && md[RunMetadataKey] == runID
}

func releaseIntent(ctx context.Context, c *client.Client, runID, id string) {
	r, err := c.Do(ctx, client.Request{Method: "GET", Path: intentPath(id)})
	if err != nil || r.Status != 200 {
		return
	}
	obj, _ := r.JSON()
	if st, _ := obj["status"].(string); !slices.Contains(labels.Cancelable, st) || !taggedBy(obj, runID) {
		return
	}
	_, _ = c.Do(ctx, client.Request{Method: "POST", Path: intentPath(id, "cancel"),
		Params: client.Params{"cancellation_reason": {"abandoned"}}})
}

func releaseCheckoutSession(ctx context.Context, c *client.Client, runID, id string) {
	path := "/v1/checkout/sessions/" + url.PathEscape(id)
	r, err := c.Do(ctx, client.Request{Method: "GET", Path: path})
	if err != nil || r.Status != 200 {
		return
	}
	obj, _ := r.JSON()
	if obj["status"] != "open" || !taggedBy(obj, runID) {
		return
	}
	_, _ = c.Do(ctx, client.Request{Method: "POST", Path: path + "/expire"})
}
