package cancel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/pi-conformance/suite/fixtures/drivers"
	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/framework"
	"github.com/pi-conformance/suite/harness/labels"
	. "github.com/pi-conformance/suite/harness/matchers"
	"github.com/pi-conformance/suite/harness/redact"
)

// The webhooks column: the payment_intent.canceled event of a cancel reaches the run's webhook endpoint, signed
// with its secret. Process 1 owns the receiver and the endpoint (setUpWebhooks); every process reads the
// deliveries from the receiver over loopback.

// webhookSetup is what process 1 hands every process about webhooks.
type webhookSetup struct {
	Control  string `json:"control,omitempty"`  // the receiver's control URL
	Secret   string `json:"secret,omitempty"`   // the endpoint's signing secret
	Endpoint string `json:"endpoint,omitempty"` // the endpoint the suite registered ("" in Stripe CLI mode)
	Version  string `json:"version,omitempty"`  // the api_version the suite registered it with
	Disabled string `json:"disabled,omitempty"` // why the column cannot run on this configuration
	Blocked  string `json:"blocked,omitempty"`  // why the set-up failed
}

var (
	hooks    webhookSetup
	receiver *framework.ReceiverClient
)

// setUpWebhooks (process 1) starts the receiver and registers the run's endpoint, both released when the suite ends
// (DeferCleanup: after every process has finished, even after a failed run).
func setUpWebhooks(targetURL, runID, budgetURL string) webhookSetup {
	if !cfg.Capability(config.CapWebhooks) {
		return webhookSetup{}
	}
	if why := cfg.WebhooksUnreachable(); why != "" {
		return webhookSetup{Disabled: why}
	}
	rcv, err := framework.StartReceiver(cfg.WebhookListen)
	if err != nil {
		return webhookSetup{Blocked: err.Error()}
	}
	DeferCleanup(rcv.Stop)
	w := webhookSetup{Control: rcv.ControlURL}
	if cfg.WebhookSecret != "" { // Stripe CLI mode: `stripe listen` forwards to the receiver and signs with this
		w.Secret = cfg.WebhookSecret
		return w
	}
	pf, err := framework.New(cfg, targetURL, runID, framework.SharedBudget(budgetURL))
	if err != nil {
		return webhookSetup{Blocked: err.Error()}
	}
	url := cfg.WebhookURL
	if url == "" {
		url = rcv.URL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*cfg.RequestTimeout.Duration)
	defer cancel()
	ep, err := pf.RegisterWebhookEndpoint(ctx, url, pf.Schema.Version, canceledEvent)
	if err != nil {
		w.Blocked = redact.String(err.Error(), cfg.APIKey)
		return w
	}
	DeferCleanup(func(ctx SpecContext) { pf.ReleaseWebhookEndpoint(ctx, ep.ID) }, NodeTimeout(3*cfg.RequestTimeout.Duration))
	w.Secret, w.Endpoint, w.Version = ep.Secret, ep.ID, pf.Schema.Version
	return w
}

// useWebhooks (every process) keeps the set-up and masks the secret.
func useWebhooks(w webhookSetup) {
	hooks = w
	RegisterSecret(w.Secret)
	if w.Control != "" {
		receiver = framework.NewReceiverClient(w.Control)
	}
}

// requireWebhooks skips a webhooks spec the configuration cannot run, and blocks it when the set-up failed.
func requireWebhooks() {
	GinkgoHelper()
	f.Require(config.CapWebhooks)
	if hooks.Disabled != "" {
		AddReportEntry(labels.EntryDisabled, config.CapWebhooks, ReportEntryVisibilityNever)
		Skip(labels.PrefixDisabled + hooks.Disabled)
	}
	if hooks.Blocked != "" || receiver == nil {
		framework.Blocked("", "register the run's webhook endpoint", orText(hooks.Blocked, "no receiver"), nil)
	}
}

func orText(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// awaitDeliveries waits, within webhook_timeout, until the receiver holds a payment_intent.canceled delivery about
// objectID (n of them, counting redeliveries), and returns those deliveries in order of arrival.
func awaitDeliveries(ctx context.Context, objectID string, n int) []framework.Delivery {
	GinkgoHelper()
	var out []framework.Delivery
	// The poll returns a count, never the deliveries: a failure message must not print bodies (client secrets).
	Eventually(ctx, func(g Gomega) int {
		all, err := receiver.Deliveries(ctx, objectID)
		g.Expect(err).NotTo(HaveOccurred())
		out = nil
		for _, d := range all {
			if d.Type == canceledEvent {
				out = append(out, d)
			}
		}
		return len(out)
	}).WithTimeout(within(ctx, cfg.WebhookTimeout.Duration)).WithPolling(100*time.Millisecond).Should(BeNumerically(">=", n),
		"the receiver got fewer than %d payment_intent.canceled deliveries about %s within webhook_timeout (%s)", n, objectID, cfg.WebhookTimeout.Duration)
	return out
}

// expectSigned verifies a delivery's Stripe-Signature against the endpoint's secret with stripe-go, at its default
// tolerance, ignoring the API version (judged on its own): a failure shows the header and the body, secret masked.
func expectSigned(d framework.Delivery) {
	GinkgoHelper()
	if err := webhook.ValidatePayload(d.Body, d.Signature, hooks.Secret); err != nil {
		head, _ := redact.Head(d.Body, BodyExcerpt, hooks.Secret, cfg.APIKey)
		Fail(redact.String(fmt.Sprintf("the delivery of event %s (received %s, answered %d) does not verify against the endpoint's signing secret: %v\nStripe-Signature: %q\nbody (%d bytes): %s",
			d.EventID, d.Received.Format(time.RFC3339Nano), d.Answered, err, d.Signature, len(d.Body), head), hooks.Secret, cfg.APIKey))
	}
	if _, err := webhook.ConstructEventWithOptions(d.Body, d.Signature, hooks.Secret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}); err != nil {
		Fail(redact.String(fmt.Sprintf("stripe-go cannot construct the event %s from a verified delivery: %v", d.EventID, err), hooks.Secret))
	}
}

// eventIDsOf are the distinct event ids of deliveries, in order of first arrival (redeliveries are one event).
func eventIDsOf(ds []framework.Delivery) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range ds {
		if !seen[d.EventID] {
			seen[d.EventID] = true
			out = append(out, d.EventID)
		}
	}
	return out
}

func bodyOf(d framework.Delivery) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(d.Body, &m)
	return m
}

var _ = Describe("The webhook delivery of a cancel's event", func() {
	var s *framework.Session
	BeforeEach(func() {
		s = f.NewSession()
		requireWebhooks()
	})

	// cancelAndAwait cancels a fresh intent in status and returns its one delivered event id and its deliveries.
	cancelAndAwait := func(ctx SpecContext, status string, n int, before func(id string)) (string, string, []framework.Delivery) {
		GinkgoHelper()
		in := drivers.Reach(ctx, s, status, nil)
		if before != nil {
			before(in.ID)
		}
		s.MustCancelIntent(ctx, in.ID, status, nil)
		ds := awaitDeliveries(ctx, in.ID, n)
		ids := eventIDsOf(ds)
		Expect(ids).To(HaveLen(1), "one cancel is one event: the receiver got payment_intent.canceled events %v about %s (redeliveries of one id count once)", ids, in.ID)
		return in.ID, ids[0], ds
	}

	DescribeTable("of a successful cancel",
		func(ctx SpecContext, status string) {
			intent, id, ds := cancelAndAwait(ctx, status, 1, nil)
			for _, d := range ds {
				expectSigned(d)
			}
			body := bodyOf(ds[0])
			for path, want := range map[string]any{"object": "event", "type": canceledEvent, "data.object.id": intent, "data.object.status": "canceled", "livemode": false} {
				got, _ := Lookup(body, path)
				Expect(JSONEqual(got, want)).To(BeTrue(), "the delivered event's %s = %s, want %s", path, Show(got), Show(want))
			}
			// The same event as the events API's: the delivered id is an event the target lists by id.
			ev := s.RetrieveEvent(ctx, id)
			Expect(ev).To(HaveStatus(200), "the delivered event %s is not an event of the target", id)
			Expect(ev).To(HaveJSON("id", id))
			// Its type and content there are the events column's.
		},
		EntryDescription("from %s reaches the run's endpoint as one event (redeliveries share its id) whose Stripe-Signature verifies with stripe-go against the endpoint's secret, about the canceled intent, and retrievable by its id"),
		statusEntries("webhooks.from", cancelable, "cancel", "webhooks"),
	)

	It("renders the delivered event in the api_version the endpoint was registered with (the pinned one)",
		At("webhooks.api-version", "requires_payment_method", "cancel", "webhooks"), func(ctx SpecContext) {
			_, id, ds := cancelAndAwait(ctx, "requires_payment_method", 1, nil)
			got, _ := Lookup(bodyOf(ds[0]), "api_version")
			if hooks.Version == "" {
				AddReportEntry("webhook api_version", fmt.Sprintf("event %s delivered in %s; the endpoint is not the suite's (stripe listen), its version is not judged", Show(id), Show(got)))
				return
			}
			Expect(got).To(Equal(hooks.Version), "an endpoint registered with api_version %s gets its events rendered in it (event %s)", hooks.Version, id)
		})

	It("delivers the same event again after the receiver refused the first attempt",
		At("webhooks.retry", "requires_payment_method", "cancel", "webhooks"), Long, func(ctx SpecContext) {
			f.Require(config.CapWebhookRetries)
			_, id, ds := cancelAndAwait(ctx, "requires_payment_method", 2, func(intent string) {
				Expect(receiver.RefuseNext(ctx, intent, 1)).To(Succeed())
			})
			Expect(ds[0].Answered).To(Equal(503), "the receiver refused the first attempt")
			for _, d := range ds {
				Expect(d.EventID).To(Equal(id))
				expectSigned(d)
			}
		})
})
