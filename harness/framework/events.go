package framework

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/matchers"
)

// Events and webhook endpoints: the typed operations of the events and webhooks columns.

// ListEvents lists events (params: type or types[], created[gte]..., limit, starting_after...).
func (s *Session) ListEvents(ctx context.Context, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", "/v1/events", params, opts)
}

// RetrieveEvent reads an event.
func (s *Session) RetrieveEvent(ctx context.Context, id string, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "GET", "/v1/events/"+url.PathEscape(id), nil, opts)
}

// CreateWebhookEndpoint registers a webhook endpoint (tagged with the run id) and tracks it, so the session's
// cleanup deletes it. The answer carries the endpoint's signing secret: it is registered as a secret at once
// (harness/redact masks whsec_ values in recorded exchanges anyway).
func (s *Session) CreateWebhookEndpoint(ctx context.Context, params client.Params, opts ...Option) *Resp {
	GinkgoHelper()
	r := s.send(ctx, "POST", "/v1/webhook_endpoints", s.tagged(params, "metadata["+RunMetadataKey+"]"), opts)
	matchers.RegisterSecret(r.Str("secret"))
	s.trackCreated(r)
	return r
}

// DeleteWebhookEndpoint deletes a webhook endpoint.
func (s *Session) DeleteWebhookEndpoint(ctx context.Context, id string, opts ...Option) *Resp {
	GinkgoHelper()
	return s.send(ctx, "DELETE", webhookEndpointPath(id), nil, opts)
}

func webhookEndpointPath(id string) string { return "/v1/webhook_endpoints/" + url.PathEscape(id) }

// EventsOf pages through GET /v1/events filtered by typ ("" for all types) and created >= since, and returns the
// events whose data.object.id is objectID (there is no filter by object: Stripe has none), newest first as listed.
// It reads at most maxPages pages of eventPage events (each event carries a whole object: a page must stay small
// enough to be read within the request timeout, and large enough that a poll costs few requests of a rate-limited
// account). ok is false when a page was not a 200 list: r is that answer.
func (s *Session) EventsOf(ctx context.Context, typ, objectID string, since time.Time) (events []map[string]any, r *Resp, ok bool) {
	GinkgoHelper()
	return s.EventsWhere(ctx, typ, since, func(ev map[string]any) bool {
		id, _ := matchers.Lookup(ev, "data.object.id")
		return id == objectID
	})
}

// eventPage is the page size of event listings.
const eventPage = 25

// EventsWhere is EventsOf with any test on the listed event.
func (s *Session) EventsWhere(ctx context.Context, typ string, since time.Time, keep func(ev map[string]any) bool) (events []map[string]any, r *Resp, ok bool) {
	GinkgoHelper()
	const maxPages = 100
	params := client.Params{"limit": {strconv.Itoa(eventPage)}, "created[gte]": {strconv.FormatInt(since.Unix(), 10)}}
	if typ != "" {
		params["type"] = []string{typ}
	}
	for range maxPages {
		r = s.ListEvents(ctx, params)
		items, isList := r.Get("data").([]any)
		if r.Status != 200 || r.Str("object") != "list" || !isList {
			return events, r, false
		}
		last := ""
		for _, it := range items {
			ev, _ := it.(map[string]any)
			if ev == nil {
				continue
			}
			last, _ = ev["id"].(string)
			if keep(ev) {
				events = append(events, ev)
			}
		}
		if r.Get("has_more") != true || last == "" {
			return events, r, true
		}
		params["starting_after"] = []string{last}
	}
	return events, r, true
}

// WebhookEndpoint is the endpoint a run registered: its id and signing secret.
type WebhookEndpoint struct {
	ID, Secret string
}

// RegisterWebhookEndpoint registers the run's endpoint for url, with the events enabled and the API version, tagged
// with the run id. It uses the framework's client without a recorder: the answer carries the secret, and only the
// run's set-up sees it. Call ReleaseWebhookEndpoint at the end (DeferCleanup), even after a failed run.
func (f *Framework) RegisterWebhookEndpoint(ctx context.Context, endpointURL, apiVersion string, events ...string) (WebhookEndpoint, error) {
	p := client.Params{"url": {endpointURL}, "enabled_events[]": events, "metadata[" + RunMetadataKey + "]": {f.RunID},
		"description": {"conformance run " + f.RunID}}
	if apiVersion != "" {
		p["api_version"] = []string{apiVersion}
	}
	r, err := f.Client.Do(ctx, client.Request{Method: "POST", Path: "/v1/webhook_endpoints", Params: p})
	if err != nil {
		return WebhookEndpoint{}, err
	}
	obj, _ := r.JSON()
	id, _ := obj["id"].(string)
	secret, _ := obj["secret"].(string)
	matchers.RegisterSecret(secret)
	if r.Status != 200 || obj["object"] != "webhook_endpoint" || id == "" || secret == "" {
		return WebhookEndpoint{}, fmt.Errorf("POST /v1/webhook_endpoints answered HTTP %d without an endpoint id and secret:\n%s",
			r.Status, r.Exchange.Summary(matchers.BodyExcerpt))
	}
	return WebhookEndpoint{ID: id, Secret: secret}, nil
}

// ReleaseWebhookEndpoint deletes the endpoint id if it carries this run's tag (the tracker's rule).
func (f *Framework) ReleaseWebhookEndpoint(ctx context.Context, id string) {
	releaseWebhookEndpoint(ctx, f.Client, f.RunID, id)
}

func releaseWebhookEndpoint(ctx context.Context, c *client.Client, runID, id string) {
	r, err := c.Do(ctx, client.Request{Method: "GET", Path: webhookEndpointPath(id)})
	if err != nil || r.Status != 200 {
		return
	}
	if obj, _ := r.JSON(); !taggedBy(obj, runID) {
		return
	}
	_, _ = c.Do(ctx, client.Request{Method: "DELETE", Path: webhookEndpointPath(id)})
}
