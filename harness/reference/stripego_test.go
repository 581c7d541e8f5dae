package reference

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82"
)

// These tests drive the reference with the official Go client over real HTTP
// (httptest server on loopback): proof that a real client works against it
// and decodes its objects and errors.

func newStripeClient(t *testing.T, opts Options) (*stripe.Client, *Server) {
	t.Helper()
	srv := New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(ts.URL),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	sc := stripe.NewClient(testKey, stripe.WithBackends(&stripe.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))
	return sc, srv
}

func stripeErr(t *testing.T, err error) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *stripe.Error", err, err)
	}
	return se
}

// jsonTags returns the json names of a struct's fields.
func jsonTags(v any) map[string]bool {
	out := map[string]bool{}
	rt := reflect.TypeOf(v)
	for i := 0; i < rt.NumField(); i++ {
		tag := strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]
		if tag != "" && tag != "-" {
			out[tag] = true
		}
	}
	return out
}

// reportUnknown logs the properties of raw that the client struct has no
// field for (newer than the client's API version), and fails on none.
func reportUnknown(t *testing.T, kind string, raw []byte, v any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	tags := jsonTags(v)
	var unknown []string
	for k := range m {
		if !tags[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Logf("%s properties stripe-go v82 has no field for (newer API): %v", kind, unknown)
	}
}

func TestStripeGoLifecycle(t *testing.T) {
	sc, srv := newStripeClient(t, Options{})
	ctx := context.Background()

	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(2000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		Metadata: map[string]string{"order": "42"}, Description: stripe.String("lifecycle"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || pi.Amount != 2000 || pi.Metadata["order"] != "42" ||
		!strings.HasPrefix(pi.ID, "pi_") || !strings.HasPrefix(pi.ClientSecret, pi.ID+"_secret_") || pi.Livemode {
		t.Fatalf("create: %+v", pi)
	}
	reportUnknown(t, "payment_intent", pi.LastResponse.RawJSON, stripe.PaymentIntent{})
	if pi.LastResponse.RequestID == "" || !strings.HasPrefix(pi.LastResponse.RequestID, "req_") {
		t.Errorf("request id %q", pi.LastResponse.RequestID)
	}

	pi, err = sc.V1PaymentIntents.Update(ctx, pi.ID, &stripe.PaymentIntentUpdateParams{
		PaymentMethod: stripe.String("pm_card_visa"), CaptureMethod: stripe.String("manual"),
	})
	if err != nil || pi.Status != stripe.PaymentIntentStatusRequiresConfirmation || pi.PaymentMethod == nil || !strings.HasPrefix(pi.PaymentMethod.ID, "pm_") {
		t.Fatalf("update: %v %+v", err, pi)
	}
	pi, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, &stripe.PaymentIntentConfirmParams{})
	if err != nil || pi.Status != stripe.PaymentIntentStatusRequiresCapture || pi.AmountCapturable != 2000 || pi.LatestCharge == nil {
		t.Fatalf("confirm: %v %+v", err, pi)
	}
	params := &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(1500)}
	params.AddExpand("latest_charge")
	pi, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, params)
	if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.AmountReceived != 1500 {
		t.Fatalf("capture: %v %+v", err, pi)
	}
	if ch := pi.LatestCharge; ch == nil || !ch.Captured || ch.AmountCaptured != 1500 || ch.PaymentMethodDetails == nil ||
		ch.PaymentMethodDetails.Card == nil || ch.PaymentMethodDetails.Card.Last4 != "4242" || ch.BillingDetails == nil || ch.Outcome == nil {
		t.Fatalf("expanded charge: %+v", pi.LatestCharge)
	}

	// Cancel a succeeded intent: 400 payment_intent_unexpected_state with the PI embedded.
	_, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil)
	se := stripeErr(t, err)
	if se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeInvalidRequest || se.Code != stripe.ErrorCodePaymentIntentUnexpectedState ||
		se.PaymentIntent == nil || se.PaymentIntent.Status != stripe.PaymentIntentStatusSucceeded || se.RequestID == "" ||
		!strings.HasPrefix(se.Msg, "You cannot cancel this PaymentIntent because it has a status of succeeded.") {
		t.Errorf("cancel succeeded: %+v", se)
	}

	// Unknown id: 404 resource_missing.
	_, err = sc.V1PaymentIntents.Retrieve(ctx, "pi_does_not_exist", nil)
	se = stripeErr(t, err)
	if se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing || se.Param != "intent" {
		t.Errorf("missing: %+v", se)
	}

	// List (auto-pagination follows starting_after).
	for i := 0; i < 4; i++ {
		if _, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"})}); err != nil {
			t.Fatal(err)
		}
	}
	lp := &stripe.PaymentIntentListParams{}
	lp.Limit = stripe.Int64(2)
	n := 0
	for p, err := range sc.V1PaymentIntents.List(ctx, lp) {
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == "" {
			t.Fatal("empty id")
		}
		n++
	}
	if n != len(srv.Intents()) {
		t.Errorf("listed %d of %d", n, len(srv.Intents()))
	}
}

func TestStripeGoCancelFromEachStatus(t *testing.T) {
	sc, _ := newStripeClient(t, Options{})
	ctx := context.Background()
	create := func(extra func(p *stripe.PaymentIntentCreateParams)) *stripe.PaymentIntent {
		p := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"})}
		if extra != nil {
			extra(p)
		}
		pi, err := sc.V1PaymentIntents.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return pi
	}
	intents := map[stripe.PaymentIntentStatus]*stripe.PaymentIntent{
		stripe.PaymentIntentStatusRequiresPaymentMethod: create(nil),
		stripe.PaymentIntentStatusRequiresConfirmation: create(func(p *stripe.PaymentIntentCreateParams) {
			p.PaymentMethod = stripe.String("pm_card_visa")
		}),
		stripe.PaymentIntentStatusRequiresAction: create(func(p *stripe.PaymentIntentCreateParams) {
			p.PaymentMethod = stripe.String("pm_card_threeDSecure2Required")
			p.Confirm = stripe.Bool(true)
		}),
		stripe.PaymentIntentStatusRequiresCapture: create(func(p *stripe.PaymentIntentCreateParams) {
			p.PaymentMethod = stripe.String("pm_card_visa")
			p.Confirm = stripe.Bool(true)
			p.CaptureMethod = stripe.String("manual")
		}),
	}
	for want, pi := range intents {
		if pi.Status != want {
			t.Fatalf("recipe for %s gave %s", want, pi.Status)
		}
		if want == stripe.PaymentIntentStatusRequiresAction && (pi.NextAction == nil || pi.NextAction.Type != "use_stripe_sdk") {
			t.Errorf("next_action %+v", pi.NextAction)
		}
		params := &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("requested_by_customer")}
		params.AddExpand("latest_charge.refunds")
		before := time.Now().Unix()
		got, err := sc.V1PaymentIntents.Cancel(ctx, pi.ID, params)
		if err != nil {
			t.Fatalf("cancel from %s: %v", want, err)
		}
		if got.Status != stripe.PaymentIntentStatusCanceled || got.CanceledAt < before || got.CancellationReason != stripe.PaymentIntentCancellationReasonRequestedByCustomer ||
			got.AmountCapturable != 0 || got.NextAction != nil {
			t.Errorf("cancel from %s: %+v", want, got)
		}
		if want == stripe.PaymentIntentStatusRequiresCapture {
			ch := got.LatestCharge
			if ch == nil || ch.Captured || !ch.Refunded || ch.AmountRefunded != 2000 || ch.Status != stripe.ChargeStatusSucceeded ||
				ch.Refunds == nil || len(ch.Refunds.Data) != 1 || ch.Refunds.Data[0].Amount != 2000 ||
				ch.Refunds.Data[0].Reason != stripe.RefundReasonRequestedByCustomer || ch.Refunds.Data[0].Status != stripe.RefundStatusSucceeded {
				t.Errorf("refund semantics: %+v", ch)
			}
			reportUnknown(t, "charge", mustJSONField(t, got.LastResponse.RawJSON, "latest_charge"), stripe.Charge{})
			cp := &stripe.ChargeRetrieveParams{}
			cp.AddExpand("refunds")
			c, err := sc.V1Charges.Retrieve(ctx, ch.ID, cp)
			if err != nil || c.Refunds == nil || len(c.Refunds.Data) != 1 {
				t.Errorf("charge retrieve: %v %+v", err, c)
			}
			n := 0
			for r, err := range sc.V1Refunds.List(ctx, &stripe.RefundListParams{PaymentIntent: stripe.String(pi.ID)}) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Amount != 2000 || r.Charge == nil || r.Charge.ID != ch.ID {
					t.Errorf("refund %+v", r)
				}
				reportUnknown(t, "refund", mustJSONField(t, got.LastResponse.RawJSON, "latest_charge.refunds.data.0"), stripe.Refund{})
				n++
			}
			if n != 1 {
				t.Errorf("%d refunds listed", n)
			}
		}
		// Cancel again: unexpected state.
		_, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil)
		if se := stripeErr(t, err); se.Code != stripe.ErrorCodePaymentIntentUnexpectedState || se.PaymentIntent.Status != stripe.PaymentIntentStatusCanceled {
			t.Errorf("second cancel: %+v", se)
		}
		// Confirm and capture afterwards are refused too.
		_, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, nil)
		if se := stripeErr(t, err); se.Code != stripe.ErrorCodePaymentIntentUnexpectedState {
			t.Errorf("confirm after cancel: %+v", se)
		}
		_, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, nil)
		if se := stripeErr(t, err); se.Code != stripe.ErrorCodePaymentIntentUnexpectedState {
			t.Errorf("capture after cancel: %+v", se)
		}
	}
}

func mustJSONField(t *testing.T, raw []byte, path string) []byte {
	t.Helper()
	var cur any
	if err := json.Unmarshal(raw, &cur); err != nil {
		t.Fatal(err)
	}
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			cur = c[0]
		}
	}
	b, _ := json.Marshal(cur)
	return b
}

func TestStripeGoErrors(t *testing.T) {
	sc, _ := newStripeClient(t, Options{})
	ctx := context.Background()

	_, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(2000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
		PaymentMethod: stripe.String("pm_card_chargeDeclined"), Confirm: stripe.Bool(true),
	})
	se := stripeErr(t, err)
	if se.HTTPStatusCode != 402 || se.Type != stripe.ErrorTypeCard || se.Code != stripe.ErrorCodeCardDeclined ||
		se.DeclineCode != stripe.DeclineCodeGenericDecline || !strings.HasPrefix(se.ChargeID, "ch_") || se.PaymentIntent == nil ||
		se.PaymentIntent.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || se.PaymentIntent.LastPaymentError == nil ||
		se.PaymentIntent.LastPaymentError.Code != stripe.ErrorCodeCardDeclined || se.PaymentMethod == nil || se.DocURL == "" {
		t.Errorf("decline: %+v", se)
	}
	var cardErr *stripe.CardError
	if !errors.As(err, &cardErr) || cardErr.DeclineCode != stripe.DeclineCodeGenericDecline {
		t.Errorf("CardError: %+v", cardErr)
	}

	_, err = sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(10), Currency: stripe.String("usd")})
	if se := stripeErr(t, err); se.Code != stripe.ErrorCodeAmountTooSmall || se.Param != "amount" {
		t.Errorf("too small: %+v", se)
	}
	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("bogus")})
	if se := stripeErr(t, err); se.HTTPStatusCode != 400 || se.Param != "cancellation_reason" {
		t.Errorf("bad reason: %+v", se)
	}

	// Idempotency through the client.
	p := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"})}
	p.SetIdempotencyKey("client-key-1")
	a, err := sc.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.V1PaymentIntents.Create(ctx, p)
	if err != nil || a.ID != b.ID || b.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %v %s %s", err, a.ID, b.ID)
	}
	p2 := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1001), Currency: stripe.String("usd"), PaymentMethodTypes: stripe.StringSlice([]string{"card"})}
	p2.SetIdempotencyKey("client-key-1")
	_, err = sc.V1PaymentIntents.Create(ctx, p2)
	if se := stripeErr(t, err); se.Type != stripe.ErrorTypeIdempotency {
		t.Errorf("idempotency mismatch: %+v", se)
	}

	// Wrong key.
	bad := stripe.NewClient("sk_live_notakey12345678", stripe.WithBackends(&stripe.Backends{API: sc.V1PaymentIntents.B, Connect: sc.V1PaymentIntents.B, Uploads: sc.V1PaymentIntents.B, MeterEvents: sc.V1PaymentIntents.B}))
	_, err = bad.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
	if se := stripeErr(t, err); se.HTTPStatusCode != 401 || strings.Contains(se.Msg, "notakey12345678") {
		t.Errorf("401: %+v", se)
	}
}

func TestStripeGoSEPAAndCheckout(t *testing.T) {
	sc, srv := newStripeClient(t, Options{EagerCheckoutIntent: true})
	ctx := context.Background()
	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(1000), Currency: stripe.String("eur"), PaymentMethodTypes: stripe.StringSlice([]string{"sepa_debit"}),
		Confirm: stripe.Bool(true),
		PaymentMethodData: &stripe.PaymentIntentCreatePaymentMethodDataParams{
			Type:      stripe.String("sepa_debit"),
			SEPADebit: &stripe.PaymentMethodSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
			BillingDetails: &stripe.PaymentIntentCreatePaymentMethodDataBillingDetailsParams{
				Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com"),
			},
		},
		MandateData: &stripe.PaymentIntentCreateMandateDataParams{
			CustomerAcceptance: &stripe.PaymentIntentCreateMandateDataCustomerAcceptanceParams{Type: stripe.String("offline")},
		},
	})
	if err != nil || pi.Status != stripe.PaymentIntentStatusProcessing {
		t.Fatalf("sepa: %v %+v", err, pi)
	}
	_, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil)
	if se := stripeErr(t, err); se.Code != stripe.ErrorCodePaymentIntentUnexpectedState {
		t.Errorf("cancel processing: %+v", se)
	}
	if err := srv.FinishProcessing(pi.ID); err != nil {
		t.Fatal(err)
	}
	pi, err = sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
	if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
		t.Fatalf("after finish: %v %+v", err, pi)
	}

	cs, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
		Mode:       stripe.String("payment"),
		SuccessURL: stripe.String("https://example.com/success"),
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String("usd"),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("T-shirt")},
				UnitAmount:  stripe.Int64(2000),
			},
			Quantity: stripe.Int64(1),
		}},
	})
	if err != nil || cs.PaymentIntent == nil || cs.Status != stripe.CheckoutSessionStatusOpen {
		t.Fatalf("checkout: %v %+v", err, cs)
	}
	reportUnknown(t, "checkout.session", cs.LastResponse.RawJSON, stripe.CheckoutSession{})
	_, err = sc.V1PaymentIntents.Cancel(ctx, cs.PaymentIntent.ID, nil)
	if se := stripeErr(t, err); se.Type != stripe.ErrorTypeInvalidRequest || se.Msg != checkoutCancelMessage {
		t.Errorf("cancel checkout PI: %+v", se)
	}
	cs, err = sc.V1CheckoutSessions.Expire(ctx, cs.ID, nil)
	if err != nil || cs.Status != stripe.CheckoutSessionStatusExpired {
		t.Fatalf("expire: %v %+v", err, cs)
	}
	pi, err = sc.V1PaymentIntents.Retrieve(ctx, cs.PaymentIntent.ID, nil)
	if err != nil || pi.Status != stripe.PaymentIntentStatusCanceled || string(pi.CancellationReason) != ExpiredSessionCancellationReason {
		t.Errorf("PI after expire: %v %+v", err, pi)
	}
}
