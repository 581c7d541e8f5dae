// Package reference is the reference target of the conformance suite: an
// in-memory, Stripe-compatible PaymentIntents API that the suite runs against
// by default. It is the "known good" implementation of the behavioural
// contract (docs/stripe-cancel-contract.md in this repository): every spec in the suite
// should pass against it, and deliberately broken variants are built by
// wrapping it.
//
//	srv := reference.New(reference.Options{})   // *Server implements http.Handler
//	ts := httptest.NewServer(srv)                // or: go run ./harness/cmd/reftarget -addr 127.0.0.1:0
//
// # What it models
//
// One test-mode account, held in memory behind a single mutex (every request
// sees a consistent state; concurrent cancel and capture of one intent have
// exactly one winner). Objects carry livemode=false and Stripe-style ids
// (pi_, ch_, re_, pm_, cs_test_, req_). Every object renders every property
// of its schema in Stripe's spec3.json (API version 2026-08-26.dahlia) that
// real Stripe sends, null where the spec allows null; optional non-nullable
// properties without a value (hooks, payment_details, presentment_details)
// are omitted, never null. Keys are written "id", "object", then
// alphabetically, pretty-printed like Stripe.
//
// Endpoints (form-encoded, bracket notation):
//
//	POST /v1/payment_intents                          create (confirm=true to confirm at once)
//	GET  /v1/payment_intents                          list, newest first (limit, starting_after, ending_before, created)
//	GET  /v1/payment_intents/{intent}                 retrieve
//	POST /v1/payment_intents/{intent}                 update
//	POST /v1/payment_intents/{intent}/confirm
//	POST /v1/payment_intents/{intent}/capture         amount_to_capture (partial capture refunds the rest)
//	POST /v1/payment_intents/{intent}/cancel          cancellation_reason
//	POST /v1/payment_intents/{intent}/increment_authorization
//	GET  /v1/charges/{charge}                         expand[]=refunds gives charge.refunds as a list
//	GET  /v1/charges/{charge}/refunds
//	GET  /v1/refunds                                  filters payment_intent, charge
//	GET  /v1/refunds/{refund}
//	POST /v1/checkout/sessions                        mode=payment with line_items[][price_data]
//	GET  /v1/checkout/sessions/{session}
//	POST /v1/checkout/sessions/{session}/expire
//	POST /v1/test_helpers/payment_intents/{intent}/finish_processing   (reference-only test helper)
//	GET  /v1/events                                   type (with * wildcards) or types[], created, delivery_success, paging
//	GET  /v1/events/{id}
//	POST /v1/webhook_endpoints                        url, enabled_events[] (* for all), api_version, description, metadata
//	GET  /v1/webhook_endpoints                        list (the secret is only in the create answer)
//	GET  /v1/webhook_endpoints/{webhook_endpoint}
//	DELETE /v1/webhook_endpoints/{webhook_endpoint}   at most 16 endpoints; the 17th is refused
//
// Every change of a PaymentIntent's status (and of its amount_capturable)
// is recorded as a payment_intent.* event carrying a copy of the intent and
// the Request-Id and Idempotency-Key of the request that caused it (null for
// processing finishing), and delivered to the webhook endpoints that enabled
// its type, signed like Stripe (Stripe-Signature t=…,v1=…), retried with
// exponential backoff (Options.WebhookBackoff, WebhookMaxAttempts,
// WebhookTimeout). Server.Close stops delivery. See events.go and webhooks.go.
//
// # Test payment methods
//
// payment_method accepts these tokens; each use creates a new pm_ object, as
// Stripe does, so the intent's payment_method is that new id:
//
//	pm_card_visa, pm_card_us, pm_card_visa_debit,        succeed; with capture_method=manual (or
//	pm_card_mastercard, pm_card_amex,                    payment_method_options[card][capture_method]=manual)
//	pm_card_authenticationRequiredOnSetup                confirm gives requires_capture, amount_capturable=amount,
//	                                                     charge captured=false
//	pm_card_authenticationRequired,                      confirm gives requires_action with next_action
//	pm_card_threeDSecure2Required                        use_stripe_sdk (redirect_to_url when a return_url is
//	                                                     given); with off_session or error_on_requires_action a
//	                                                     402 card_error authentication_required instead
//	pm_card_chargeDeclined, pm_card_visa_chargeDeclined  402 card_error card_declined (decline_code generic_decline,
//	pm_card_chargeDeclinedInsufficientFunds (and _visa_), insufficient_funds, fraudulent, lost_card, stolen_card)
//	pm_card_chargeDeclinedFraudulent, ...LostCard,       with charge, payment_intent and payment_method embedded;
//	...StolenCard                                        the intent goes back to requires_payment_method with
//	                                                     last_payment_error, payment_method null and a failed
//	                                                     latest_charge
//
// A pm_ id created earlier can be reused. Any other id gets 400
// resource_missing, param payment_method ("No such PaymentMethod: '…'").
//
// SEPA Direct Debit is the asynchronous method: payment_method_types[]=sepa_debit
// (currency eur) with payment_method_data[type]=sepa_debit and
// payment_method_data[sepa_debit][iban]=DE89370400440532013000 (any IBAN with
// a valid checksum; billing details and mandate_data are accepted but not
// required). Confirming moves the intent to processing with a pending charge.
//
// # Processing
//
// A processing intent stays processing until advanced, either by
// POST /v1/test_helpers/payment_intents/{intent}/finish_processing (→
// succeeded, charge succeeded and paid; 400 payment_intent_unexpected_state
// when not processing), by Server.FinishProcessing, or automatically when
// Options.ProcessingDelay > 0 (applied lazily by the clock Options.Now when
// the intent is next read or changed). Cancel from processing is refused by
// default (400 payment_intent_unexpected_state, Stripe's standard cancel
// message); Options.AllowCancelProcessing allows it (the pending charge is
// marked failed).
//
// # Cancel and what follows
//
// Cancel succeeds from requires_payment_method, requires_confirmation,
// requires_action and requires_capture (Options.CancelableStatuses overrides
// the list): status canceled, canceled_at now, cancellation_reason as sent or
// null, amount_capturable 0, next_action null. From requires_capture the
// authorisation is released: the charge keeps status succeeded and
// captured=false, gets refunded=true and amount_refunded=amount, and one
// Refund (status succeeded, full amount, reason copied from
// duplicate/fraudulent/requested_by_customer, null for abandoned or none,
// destination_details.card.type reversal) appears in /v1/refunds and in the
// expanded charge.refunds. Cancel from succeeded or canceled answers 400
// payment_intent_unexpected_state with error.payment_intent embedded.
//
// After cancel, confirm, capture, increment_authorization and updates of any
// field except metadata, description, receipt_email and shipping are refused
// with payment_intent_unexpected_state (per-field messages for updates, the
// field as param). A metadata-only (or description/receipt_email/shipping)
// update of a canceled or succeeded intent is ACCEPTED: 200, status
// unchanged. The contract leaves this unconfirmed; the reference follows
// Stripe's per-field refusal pattern.
//
// # Checkout Sessions
//
// Creating a payment-mode session creates its PaymentIntent at once
// (requires_payment_method; payment_intent_data[capture_method|description|
// metadata|...] apply). Cancelling that intent is refused in every status but
// requires_capture with 400 invalid_request_error (no code) "You cannot
// perform this action on PaymentIntents created by Checkout. Try expiring the
// Checkout Session instead." Expiring an open session (explicitly, or lazily
// at expires_at) sets it to expired and cancels the intent with
// cancellation_reason "expired" (ExpiredSessionCancellationReason; the spec's
// enum reserves that Stripe-generated value). Expiring a session that is not
// open is a 400. As a stand-in for the hosted payment page, the intent can
// be confirmed through the API (e.g. payment_method=pm_card_visa); the
// session then becomes complete (payment_status paid, or unpaid while the
// intent is in requires_capture), which is how a Checkout intent reaches
// requires_capture.
//
// # Requests, errors and headers
//
//   - Authentication: Authorization: Bearer sk_test_… or Basic auth with the
//     key as username. Any sk_test_ key is accepted (one shared account). No
//     key: 401 "You did not provide an API key. …"; any other key: 401
//     "Invalid API Key provided: sk_live_****abcd" (prefix and at most the last
//     four characters, never the key). 401 errors have no code.
//   - Bodies: application/x-www-form-urlencoded or no Content-Type at all; an
//     empty POST body is fine. a[b]=x, a[]=x and a[0]=x all work. A repeated
//     scalar key keeps the LAST value. Using a key both as a value and as a
//     hash is a 400. Limits: Options.MaxBodyBytes (1 MiB; 413 beyond),
//     8 levels of brackets, 10,000 pairs, valid UTF-8 (400 otherwise).
//   - Parameters: names outside the spec's request schema get 400
//     parameter_unknown with param and "Received unknown parameter: x" (also
//     nested: "automatic_payment_methods[x]"). Type errors use
//     parameter_invalid_integer / parameter_invalid_empty, missing ones
//     parameter_missing, enums "Invalid x: must be one of a, b or c" (no
//     code), amounts amount_too_small / amount_too_large. Spec parameters the
//     reference does not model (hooks, payment_details, amount_details,
//     radar_options, ...) are accepted and ignored; references to objects it
//     does not have (customer, on_behalf_of, mandate, transfer_data, ...)
//     get resource_missing. Unknown ids: 404 resource_missing with param
//     intent/id/session ("No such payment_intent: 'pi_…'").
//   - expand[]: latest_charge and payment_method on PaymentIntents (every
//     endpoint returning one), refunds and payment_intent on charges, charge,
//     payment_intent and payment_method on refunds, payment_intent and
//     line_items on sessions, data.… on lists, nested up to 4 levels. Fields
//     that are always null here (customer, review, ...) may be expanded and
//     stay null. Anything else: 400 "This property cannot be expanded (x).",
//     param expand, checked before the request has any effect.
//   - Unknown routes and methods: 404 "Unrecognized request URL (GET: /v1/…).
//     Please see https://stripe.com/docs or we can help at
//     https://support.stripe.com/."
//   - Error bodies are {"error": {type, code?, message, param?, doc_url?,
//     request_log_url?, payment_intent?, payment_method?, decline_code?,
//     charge?}}: absent members are omitted, never null; type is one of the
//     spec's api_error, card_error, idempotency_error, invalid_request_error.
//     A panic in a handler is recovered as 500 api_error.
//   - Every response has Content-Type: application/json, a unique
//     Request-Id: req_…, and Stripe-Version (the request's, else
//     2026-08-26.dahlia). A malformed Stripe-Version is a 400. The version
//     does not change response shapes.
//   - Idempotency-Key on any POST: the first response (status and body) is
//     stored; a retry with the same endpoint and parameters (order does not
//     matter) replays it with Idempotent-Replayed: true and Original-Request;
//     other parameters or another endpoint get 400 idempotency_error; a retry
//     while the first is still running (including its ResponseDelay) gets
//     409 invalid_request_error idempotency_key_in_use. Responses to requests
//     that failed validation (parameter errors, 404s, auth), and panics, are
//     not stored. Keys never expire.
//
// # Extension points (for wrappers such as deliberately broken variants)
//
// Options.CancelableStatuses, AllowCancelProcessing, ProcessingDelay, Now,
// ResponseDelay, Logf and the Webhook* delivery options change behaviour
// without touching the code. The
// state is reachable through Server.Intent / Intents / UpdateIntent /
// IntentObject / FinishProcessing, Charge / UpdateCharge, Refund /
// RefundsForIntent / UpdateRefund / DeleteRefund, PaymentMethod,
// CheckoutSession / UpdateCheckoutSession, Events, Reset, Close; exported object types
// (PaymentIntent, Charge, Refund, PaymentMethod, CheckoutSession, Error) are
// the stored state. Server.WriteError writes a Stripe-shaped error (with an
// embedded PaymentIntent when Error.PaymentIntent is set).
//
// # Deliberately not modelled
//
// Customers, Connect (application fees, transfer_data, on_behalf_of),
// balance transactions (always null), disputes, reviews, charge.* and
// refund.* events (UNCONFIRMED on cancel), webhook endpoint updates, the
// refunds create API, payment method endpoints, search, publishable keys
// and client-secret access, completing 3-D Secure (a requires_action intent
// can be canceled or re-confirmed, not authenticated), authorisation expiry
// (capture_before is shown but nothing expires), multicapture
// (final_capture=false is refused), SEPA failures, ACH/microdeposits,
// apply_customer_balance, raw card numbers, rate limits (no 429), live mode,
// and API-version-dependent shapes. Incremental authorisation does not
// require payment_method_options[card][request_incremental_authorization].
package reference
