package reference

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

var createSessionParams = []string{"adaptive_pricing", "after_expiration", "allow_promotion_codes", "automatic_tax",
	"billing_address_collection", "branding_settings", "cancel_url", "client_reference_id", "consent_collection", "currency",
	"custom_fields", "custom_text", "customer", "customer_account", "customer_creation", "customer_email", "customer_update",
	"discounts", "excluded_payment_method_types", "expand", "expires_at", "integration_identifier", "invoice_creation",
	"line_items", "locale", "managed_payments", "metadata", "mode", "name_collection", "optional_items", "origin_context",
	"payment_intent_data", "payment_method_collection", "payment_method_configuration", "payment_method_data",
	"payment_method_options", "payment_method_types", "permissions", "phone_number_collection", "redirect_on_completion",
	"return_url", "saved_payment_method_options", "setup_intent_data", "shipping_address_collection", "shipping_options",
	"submit_type", "subscription_data", "success_url", "tax_id_collection", "ui_mode", "wallet_options"}

// ExpiredSessionCancellationReason is the cancellation_reason given to the
// PaymentIntent of a Checkout Session that is expired.
const ExpiredSessionCancellationReason = "expired"

func errNoSuchSession(id string) *Error { return errNotFound("checkout.session", "session", id) }

// It is long because it checks the parameters in Stripe's order (the first error is the answer) in one pass.
func (s *Server) createSession(c *call) reply {
	v := c.params
	v.allow(createSessionParams...)
	mode, hasMode := v.enum("mode", "payment", "setup", "subscription")
	if !v.failed() && !hasMode {
		v.fail(errMissingParam("mode"))
	}
	if !v.failed() && mode != "payment" {
		v.fail(invalidRequest("mode", "", "The reference target only models Checkout Sessions with mode=payment."))
	}
	var successURL, cancelURL string
	if v.has("success_url") {
		successURL, _ = v.urlParam("success_url")
	}
	if v.has("cancel_url") {
		cancelURL, _ = v.urlParam("cancel_url")
	}
	crid, _ := v.strMax("client_reference_id", 200)
	email, _ := v.strMax("customer_email", 800)
	mu := v.metadata("metadata")
	types := []string{"card"}
	if v.has("payment_method_types") {
		if l, ok := v.strList("payment_method_types", 5000); ok {
			for _, t := range l {
				if t != "card" && t != "sepa_debit" {
					v.fail(invalidRequest("payment_method_types", "", "Invalid payment_method_types: the reference target supports card and sepa_debit."))
					break
				}
			}
			if len(l) > 0 {
				types = l
			}
		}
	}
	now := s.now()
	expiresAt := now.Add(24 * time.Hour).Unix()
	if v.has("expires_at") {
		if t, ok := v.integer("expires_at"); ok {
			switch {
			case t < now.Add(30*time.Minute).Unix():
				v.fail(invalidRequest("expires_at", "", "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation."))
			case t > now.Add(24*time.Hour).Unix():
				v.fail(invalidRequest("expires_at", "", "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation."))
			default:
				expiresAt = t
			}
		}
	}
	v.refuseReference("customer", "customer")
	v.refuseReference("customer_account", "account")
	v.refuseReference("payment_method_configuration", "payment method configuration")
	// payment_intent_data
	pid := struct {
		captureMethod, description, receiptEmail, sdSuffix, sfu, transferGroup string
		meta                                                                   metadataUpdate
	}{}
	if p, ok := v.obj("payment_intent_data"); ok {
		p.allow("application_fee_amount", "capture_method", "description", "metadata", "on_behalf_of", "receipt_email",
			"setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_data", "transfer_group")
		pid.captureMethod, _ = p.enum("capture_method", "automatic", "automatic_async", "manual")
		pid.description, _ = p.strMax("description", 1000)
		pid.receiptEmail, _ = p.strMax("receipt_email", 800)
		pid.sdSuffix, _ = p.strMax("statement_descriptor_suffix", 22)
		pid.sfu, _ = p.enum("setup_future_usage", "off_session", "on_session")
		pid.transferGroup, _ = p.strMax("transfer_group", 5000)
		pid.meta = p.metadata("metadata")
		p.refuseReference("on_behalf_of", "account")
	}
	// line_items
	var items []LineItem
	currency := ""
	if l, ok := v.list("line_items"); ok {
		for i, n := range l {
			li, ok := v.elem("line_items", i, n)
			if !ok {
				break
			}
			item := s.parseLineItem(li)
			if li.failed() {
				break
			}
			if currency == "" {
				currency = item.Currency
			} else if item.Currency != currency && !li.failed() {
				li.fail(invalidRequest(li.name("price_data")+"[currency]", "", "All line items must use the same currency."))
				break
			}
			items = append(items, item)
		}
	}
	if !v.failed() && len(items) == 0 {
		v.fail(invalidRequest("line_items", "", "`line_items` is required in `payment` mode."))
	}
	if cur, ok := v.str("currency"); ok && !v.failed() && strings.ToLower(cur) != currency {
		v.fail(invalidRequest("currency", "", "The currency must match the currency of the line items ("+currency+")."))
	}
	expand := v.expandList()
	if c.perr != nil {
		return s.errReply(c, c.perr)
	}
	var total int64
	for _, it := range items {
		total += it.UnitAmount * it.Quantity
		if total > maxAmount {
			break
		}
	}
	if e := checkAmount("line_items", total, currency); e != nil {
		return s.errReply(c, e)
	}
	if slices.Contains(types, "sepa_debit") && currency != "eur" {
		return s.errReply(c, invalidRequest("payment_method_types", "", "The currency provided ("+currency+") is invalid. Payments with sepa_debit support the following currencies: eur."))
	}
	if pid.captureMethod == "manual" && slices.Contains(types, "sepa_debit") {
		return s.errReply(c, invalidRequest("payment_intent_data[capture_method]", "", "The payment method type sepa_debit does not support capture_method=manual."))
	}
	if e := validateExpand("checkout.session", expand); e != nil {
		return s.errReply(c, e)
	}
	meta, e := mu.apply(nil, "metadata")
	if e != nil {
		return s.errReply(c, e)
	}
	piMeta, e := pid.meta.apply(nil, "payment_intent_data[metadata]")
	if e != nil {
		return s.errReply(c, e)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cs := &CheckoutSession{
		ID: "cs_test_" + newID("a1", 58), Created: now.Unix(), ExpiresAt: expiresAt, Mode: mode, Status: "open",
		PaymentStatus: "unpaid", Currency: currency, AmountSubtotal: total, AmountTotal: total,
		SuccessURL: successURL, CancelURL: cancelURL, ClientReferenceID: crid, CustomerEmail: email,
		Metadata: meta, PaymentMethodTypes: types,
	}
	for i := range items {
		items[i].ID = "li_" + newID("1", 23)
		items[i].PriceID = "price_" + newID("1", 23)
		if items[i].ProductID == "" {
			items[i].ProductID = "prod_" + newID("", 14)
		}
	}
	cs.LineItems = items
	capture := "automatic_async"
	if pid.captureMethod != "" {
		capture = pid.captureMethod
	}
	pi := &PaymentIntent{
		ID: objectID("pi_"), Created: now.Unix(), Amount: total, Currency: currency, Status: StatusRequiresPaymentMethod,
		CaptureMethod: capture, ConfirmationMethod: "automatic", Metadata: piMeta, PaymentMethodTypes: append([]string(nil), types...),
		Description: pid.description, ReceiptEmail: pid.receiptEmail, StatementDescriptorSuffix: pid.sdSuffix,
		SetupFutureUsage: pid.sfu, TransferGroup: pid.transferGroup, CheckoutSession: cs.ID,
	}
	pi.ClientSecret = pi.ID + "_secret_" + newID("", 25)
	if pi.Metadata == nil {
		pi.Metadata = map[string]string{}
	}
	cs.pending = pi
	if s.opts.EagerCheckoutIntent {
		s.createSessionIntent(cs, c.cause())
	}
	s.sessions[cs.ID] = cs
	return s.expandedReply(s.renderSession(cs), expand)
}

func (s *Server) parseLineItem(li *pview) LineItem {
	li.allow("adjustable_quantity", "dynamic_tax_rates", "metadata", "price", "price_data", "quantity", "tax_rates")
	var item LineItem
	if id, ok := li.str("price"); ok && !li.failed() {
		li.fail(errNoSuch("price", li.name("price"), id))
		return item
	}
	pd, ok := li.obj("price_data")
	if !ok {
		if !li.failed() {
			li.fail(invalidRequest(li.name("price_data"), "parameter_missing", "You must specify either `price` or `price_data` for each line item."))
		}
		return item
	}
	pd.allow("currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount", "unit_amount_decimal")
	cur := strings.ToLower(pd.requiredStr("currency", 3))
	if !pd.failed() {
		if e := checkCurrency(pd.name("currency"), cur); e != nil {
			pd.fail(e)
		}
	}
	item.Currency = cur
	if id, ok := pd.str("product"); ok && !pd.failed() {
		pd.fail(errNoSuch("product", pd.name("product"), id))
	}
	if prod, ok := pd.obj("product_data"); ok {
		prod.allow("description", "images", "metadata", "name", "tax_code", "unit_label")
		item.Description = prod.requiredStr("name", 5000)
	} else if !pd.failed() {
		pd.fail(errMissingParam(pd.name("product_data")))
	}
	if pd.has("recurring") && !pd.failed() {
		pd.fail(invalidRequest(pd.name("recurring"), "", "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices."))
	}
	pd.enum("tax_behavior", "exclusive", "inclusive", "unspecified")
	switch {
	case pd.has("unit_amount"):
		if n, ok := pd.integer("unit_amount"); ok {
			if n < 0 {
				pd.fail(invalidRequest(pd.name("unit_amount"), "", "This value must be greater than or equal to 0."))
			}
			item.UnitAmount = n
		}
	case pd.has("unit_amount_decimal"):
		if d, ok := pd.str("unit_amount_decimal"); ok {
			n, err := strconv.ParseInt(d, 10, 64)
			if err != nil || n < 0 {
				pd.fail(invalidRequest(pd.name("unit_amount_decimal"), "", "The reference target only accepts whole-number unit_amount_decimal values."))
			}
			item.UnitAmount = n
		}
	default:
		if !pd.failed() {
			pd.fail(errMissingParam(pd.name("unit_amount")))
		}
	}
	q, ok := li.requiredInt("quantity")
	if ok && (q < 1 || q > 999999) {
		li.fail(invalidRequest(li.name("quantity"), "", "This value must be between 1 and 999999."))
	}
	item.Quantity = q
	if item.UnitAmount > maxAmount {
		li.fail(invalidRequest(pd.name("unit_amount"), "amount_too_large", "Amount must be no more than "+formatAmount(maxAmount, cur)))
	}
	return item
}

// getSession returns a session after applying lazy expiry at expires_at.
func (s *Server) getSession(id string) *CheckoutSession {
	cs := s.sessions[id]
	if cs != nil && cs.Status == "open" && s.unix() >= cs.ExpiresAt {
		s.expireLocked(cs)
		s.sessionEvents(cs, eventRequest{}) // expired by time: automatic
	}
	if cs != nil {
		if pi := s.intents[cs.PaymentIntent]; pi != nil {
			s.advance(pi)
		}
	}
	return cs
}

// createSessionIntent stores the session's pending PaymentIntent, with its
// event, caused by req. Caller holds s.mu.
func (s *Server) createSessionIntent(cs *CheckoutSession, req eventRequest) {
	pi := cs.pending
	if pi == nil {
		return
	}
	cs.pending = nil
	pi.Created = s.unix()
	s.intents[pi.ID] = pi
	s.intentOrder = append(s.intentOrder, pi.ID)
	s.intentEvents(pi, req)
	cs.PaymentIntent = pi.ID
}

// confirmSessionHandler is the reference's test helper for what a
// customer's confirmation of an open payment-mode session does first: the
// session's PaymentIntent is created (in requires_payment_method; the
// reference does not model the payment form itself). Confirming a session
// whose intent exists already changes nothing.
func (s *Server) confirmSessionHandler(c *call) reply {
	return s.onSession(c, func(cs *CheckoutSession) *Error {
		if cs.Status != "open" {
			return &Error{Type: "invalid_request_error", HTTPStatus: http.StatusBadRequest,
				Message: "Only Checkout Sessions with a status of `open` can be confirmed. This Checkout Session has a status of `" + cs.Status + "`."}
		}
		s.createSessionIntent(cs, c.cause())
		return nil
	})
}

func (s *Server) expireLocked(cs *CheckoutSession) {
	cs.Status = "expired"
	cs.pending = nil
	if pi := s.intents[cs.PaymentIntent]; pi != nil && editableStatuses[pi.Status] {
		s.cancelLocked(pi, ExpiredSessionCancellationReason)
	}
}

// onSession finishes a request on the Checkout Session named in the path,
// whose only parameter is expand[]. In this order it answers a parameter
// error or unknown expand path (400), an unknown session (404), then runs
// act with the state lock held: act's error is the reply, else the session is.
func (s *Server) onSession(c *call, act func(cs *CheckoutSession) *Error) reply {
	c.params.allow("expand")
	expand, e := c.finishParams("checkout.session")
	if e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.getSession(c.arg(0))
	if cs == nil {
		return s.errReply(c, errNoSuchSession(c.arg(0)))
	}
	if act != nil {
		e := act(cs)
		s.sessionEvents(cs, c.cause())
		if e != nil {
			return s.errReply(c, e)
		}
	}
	return s.expandedReply(s.renderSession(cs), expand)
}

func (s *Server) retrieveSession(c *call) reply { return s.onSession(c, nil) }

func (s *Server) expireSession(c *call) reply {
	return s.onSession(c, func(cs *CheckoutSession) *Error {
		if cs.Status != "open" {
			return &Error{Type: "invalid_request_error", HTTPStatus: http.StatusBadRequest,
				Message: "Only Checkout Sessions with a status of `open` can be expired. This Checkout Session has a status of `" + cs.Status + "`."}
		}
		s.expireLocked(cs)
		return nil
	})
}

// sessionEvents emits the events of the session's PaymentIntent. The caller holds s.mu.
func (s *Server) sessionEvents(cs *CheckoutSession, req eventRequest) {
	if pi := s.intents[cs.PaymentIntent]; pi != nil {
		s.intentEvents(pi, req)
	}
}
