package reference

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fields an update may change whatever the status; every other field can
// only change in the editable statuses (Stripe refuses per field).
var updatableInAnyStatus = map[string]bool{"metadata": true, "description": true, "receipt_email": true, "shipping": true, "expand": true}

var editableStatuses = map[string]bool{StatusRequiresPaymentMethod: true, StatusRequiresConfirmation: true, StatusRequiresAction: true}

const editableStatusList = "requires_payment_method, requires_confirmation, requires_action"

// ---- helpers ----

func errNoSuchIntent(id string) *Error { return errNotFound("payment_intent", "intent", id) }

func errCardStatementDescriptor() *Error {
	return invalidRequest("statement_descriptor", "",
		"The `statement_descriptor` parameter is not supported for the `card` payment method type. Use `statement_descriptor_suffix` instead.")
}

func errState(pi *PaymentIntent, param, msg string) *Error {
	return &Error{Type: "invalid_request_error", Code: "payment_intent_unexpected_state", Param: param, Message: msg,
		PaymentIntent: pi.ID, HTTPStatus: http.StatusBadRequest}
}

// getIntent returns the stored intent after applying any pending
// ProcessingDelay transition. Caller holds s.mu.
func (s *Server) getIntent(id string) *PaymentIntent {
	pi := s.intents[id]
	if pi != nil {
		s.advance(pi)
	}
	return pi
}

// advance applies the ProcessingDelay transition if it is due.
func (s *Server) advance(pi *PaymentIntent) {
	if s.opts.ProcessingDelay > 0 && pi.Status == StatusProcessing && !pi.ProcessingStartedAt.IsZero() &&
		!s.now().Before(pi.ProcessingStartedAt.Add(s.opts.ProcessingDelay)) {
		s.succeedProcessing(pi)
	}
}

func (s *Server) succeedProcessing(pi *PaymentIntent) {
	pi.Status = StatusSucceeded
	pi.AmountReceived = pi.Amount
	pi.AmountCapturable = 0
	pi.ProcessingStartedAt = time.Time{}
	if ch := s.charges[pi.LatestCharge]; ch != nil {
		ch.Status = "succeeded"
		ch.Paid = true
		ch.Captured = true
		ch.AmountCaptured = ch.Amount
	}
	s.syncSession(pi)
	s.intentEvents(pi, eventRequest{}) // automatic, whoever asked: the payment settled
}

// syncSession updates the Checkout Session of a Checkout-created intent.
func (s *Server) syncSession(pi *PaymentIntent) {
	cs := s.sessions[pi.CheckoutSession]
	if cs == nil {
		return
	}
	switch pi.Status {
	case StatusSucceeded:
		cs.Status, cs.PaymentStatus = "complete", "paid"
	case StatusRequiresCapture, StatusProcessing:
		cs.Status = "complete"
	}
}

// intentReply renders pi with expansions.
func (s *Server) intentReply(pi *PaymentIntent, expand []string) reply {
	return s.expandedReply(s.renderIntent(pi), expand)
}

// onIntent finishes a request on the PaymentIntent named in the path, once
// its parameters are read. In this order it answers a parameter error or
// unknown expand path (400), an unknown intent (404), then runs act with
// the state lock held: act's error is the reply, else the intent is.
func (s *Server) onIntent(c *call, expand []string, act func(pi *PaymentIntent) *Error) reply {
	if e := c.paramsError("payment_intent", expand); e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.getIntent(c.arg(0))
	if pi == nil {
		return s.errReply(c, errNoSuchIntent(c.arg(0)))
	}
	if act != nil {
		e := act(pi)
		s.intentEvents(pi, c.cause()) // a decline changed the intent too
		if e != nil {
			return s.errReply(c, e)
		}
	}
	return s.intentReply(pi, expand)
}

// ---- handlers ----

func (s *Server) createIntent(c *call) reply {
	v := c.params
	v.allow(createIntentParams...)
	amount, _ := v.requiredInt("amount")
	if !v.failed() && !v.has("currency") {
		v.fail(errMissingParam("currency"))
	}
	in := s.parseIntentInput(v)
	if !v.failed() && in.returnURL != nil && !in.confirm {
		v.fail(invalidRequest("return_url", "", "The parameter return_url can only be used when confirm=true."))
	}
	if !v.failed() && in.apm != nil && in.apm.Enabled && in.pmTypes != nil {
		v.fail(invalidRequest("automatic_payment_methods", "parameters_exclusive", "You may only specify one of these parameters: automatic_payment_methods, payment_method_types."))
	}
	in.checkPMExclusive(v)
	if c.perr != nil {
		return s.errReply(c, c.perr)
	}
	cur := *in.currency
	if e := checkAmount("amount", amount, cur); e != nil {
		return s.errReply(c, e)
	}
	if e := validateExpand("payment_intent", in.expand); e != nil {
		return s.errReply(c, e)
	}

	pi := &PaymentIntent{
		Amount: amount, Currency: cur, Status: StatusRequiresPaymentMethod,
		CaptureMethod: "automatic_async", ConfirmationMethod: "automatic", Metadata: map[string]string{},
	}
	initPaymentMethodTypes(pi, &in)
	if e := s.applyCommon(pi, &in); e != nil {
		return s.errReply(c, e)
	}
	if e := checkMethodTypes(pi, &in); e != nil {
		return s.errReply(c, e)
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	pm, _, e := s.requestedPM(&in)
	if e != nil {
		return s.errReply(c, e)
	}
	if e := checkPMAllowed(pi, pm); e != nil {
		return s.errReply(c, e)
	}
	if in.confirm {
		if e := s.preconfirmChecks(pi, pm, &in); e != nil {
			return s.errReply(c, e)
		}
	}

	now := s.now()
	pi.ID = objectID("pi_")
	pi.Created = now.Unix()
	pi.ClientSecret = pi.ID + "_secret_" + newID("", 25)
	if pm != nil {
		if in.pmData != nil {
			s.pms[pm.ID] = pm
		}
		pi.PaymentMethod = pm.ID
		pi.Status = StatusRequiresConfirmation
	}
	s.intents[pi.ID] = pi
	s.intentOrder = append(s.intentOrder, pi.ID)
	s.intentEvents(pi, c.cause()) // payment_intent.created shows the intent before confirm=true ran

	if in.confirm {
		e := s.doConfirm(pi, &in)
		s.intentEvents(pi, c.cause())
		if e != nil {
			return s.errReply(c, e)
		}
	}
	return s.intentReply(pi, in.expand)
}

// initPaymentMethodTypes sets a new intent's payment method types: the ones given, else automatic payment methods
// (enabled unless the request says otherwise) with card, and sepa_debit for eur.
func initPaymentMethodTypes(pi *PaymentIntent, in *intentInput) {
	if in.pmTypes != nil {
		pi.PaymentMethodTypes = *in.pmTypes
		return
	}
	apm := AutomaticPaymentMethods{Enabled: true}
	setIfGiven(&apm, in.apm)
	pi.AutomaticPaymentMethods = &apm
	pi.PaymentMethodTypes = []string{"card"}
	if apm.Enabled {
		pi.PaymentMethodConfiguration = "pmc_" + newID("1", 23)
		if pi.Currency == "eur" {
			pi.PaymentMethodTypes = append(pi.PaymentMethodTypes, "sepa_debit")
		}
	}
}

// applyCommon applies the non-state-changing fields of in to pi (used on
// create, where no status restrictions apply).
func (s *Server) applyCommon(pi *PaymentIntent, in *intentInput) *Error {
	setIfGiven(&pi.CaptureMethod, in.captureMethod)
	setIfGiven(&pi.ConfirmationMethod, in.confirmationMethod)
	setIfGiven(&pi.Description, in.description)
	meta, e := in.metadata.apply(pi.Metadata, "metadata")
	if e != nil {
		return e
	}
	pi.Metadata = meta
	in.applyPaymentSettings(pi)
	setIfGiven(&pi.StatementDescriptor, in.statementDescriptor)
	setIfGiven(&pi.StatementDescriptorSuffix, in.statementDescriptorSuffix)
	setIfGiven(&pi.TransferGroup, in.transferGroup)
	return nil
}

// applyPaymentSettings applies the fields that confirm may set as well as
// create and update.
func (in *intentInput) applyPaymentSettings(pi *PaymentIntent) {
	if in.pmo != nil {
		var perr *Error
		v := &pview{n: in.pmo.n, prefix: in.pmo.prefix, err: &perr}
		parsePMOptions(v, &pi.PaymentMethodOptions)
	}
	setIfGiven(&pi.ReceiptEmail, in.receiptEmail)
	setIfGiven(&pi.SetupFutureUsage, in.setupFutureUsage)
	if in.shippingSet {
		pi.Shipping = in.shipping
	}
}

// applyPMTypes applies payment_method_types, which replace automatic
// payment methods.
func (in *intentInput) applyPMTypes(pi *PaymentIntent) {
	if in.pmTypes != nil {
		pi.PaymentMethodTypes = *in.pmTypes
		pi.AutomaticPaymentMethods = nil
		pi.PaymentMethodConfiguration = ""
	}
}

// checkMethodTypes refuses settings that the payment method types of pi
// (as create or update would leave it) do not support.
func checkMethodTypes(pi *PaymentIntent, in *intentInput) *Error {
	if slices.Contains(pi.PaymentMethodTypes, "sepa_debit") && pi.Currency != "eur" {
		return invalidRequest("currency", "payment_intent_invalid_parameter",
			"The currency provided ("+pi.Currency+") is invalid. Payments with sepa_debit support the following currencies: eur.")
	}
	if in.statementDescriptor != nil && *in.statementDescriptor != "" && slices.Contains(pi.PaymentMethodTypes, "card") {
		return errCardStatementDescriptor()
	}
	return nil
}

// requestedPM is the PaymentMethod the request names with payment_method
// or payment_method_data (nil for payment_method=""); given reports whether
// it names one at all. The caller holds s.mu.
func (s *Server) requestedPM(in *intentInput) (pm *PaymentMethod, given bool, e *Error) {
	switch {
	case in.pmID != nil:
		if *in.pmID == "" {
			return nil, true, nil
		}
		pm, e = s.resolvePaymentMethod(*in.pmID, "payment_method")
		return pm, true, e
	case in.pmData != nil:
		return in.pmData, true, nil
	}
	return nil, false, nil
}

// checkPMAllowed refuses a PaymentMethod whose type pi does not allow
// (a nil pm passes).
func checkPMAllowed(pi *PaymentIntent, pm *PaymentMethod) *Error {
	if pm == nil || slices.Contains(pi.PaymentMethodTypes, pm.Type) {
		return nil
	}
	return invalidRequest("payment_method", "payment_intent_invalid_parameter",
		"The PaymentMethod provided ("+pm.Type+") is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: "+
			strings.Join(pi.PaymentMethodTypes, ", ")+". Alternatively, update the allowed payment_method_types for this PaymentIntent to include \""+pm.Type+"\".")
}

// preconfirmChecks are the confirm failures that leave everything unchanged
// (Stripe rejects the whole request). pm is the method that will be used.
func (s *Server) preconfirmChecks(pi *PaymentIntent, pm *PaymentMethod, in *intentInput) *Error {
	if pm == nil {
		e := errState(pi, "", "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.")
		if pi.ID == "" {
			e.PaymentIntent = ""
			e.noStore = true
		}
		return e
	}
	returnURL := pi.ReturnURL
	setIfGiven(&returnURL, in.returnURL)
	if apm := pi.AutomaticPaymentMethods; apm != nil && apm.Enabled && apm.AllowRedirects != "never" && returnURL == "" && !in.offSession {
		return invalidRequest("", "",
			"This PaymentIntent is configured to accept payment methods enabled in your Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.")
	}
	if pm.Type == "sepa_debit" && s.captureMethod(pi) == "manual" {
		return invalidRequest("capture_method", "payment_intent_invalid_parameter", "The payment method type sepa_debit does not support capture_method=manual.")
	}
	return nil
}

// captureMethod is the effective capture method (payment_method_options
// override the top-level value for cards).
func (s *Server) captureMethod(pi *PaymentIntent) string {
	if pm := s.pms[pi.PaymentMethod]; pm != nil && pm.Type == "card" && pi.PaymentMethodOptions.CardCaptureMethod != "" {
		return pi.PaymentMethodOptions.CardCaptureMethod
	}
	return pi.CaptureMethod
}

// doConfirm runs the payment attempt. pi.PaymentMethod is set and
// preconfirmChecks passed. A returned error has already changed pi (decline).
func (s *Server) doConfirm(pi *PaymentIntent, in *intentInput) *Error {
	pm := s.pms[pi.PaymentMethod]
	setIfGiven(&pi.ReturnURL, in.returnURL)
	if in.mandateData {
		pi.MandateAccepted = true
	}
	pi.NextAction = nil
	now := s.now()
	switch pm.Type {
	case "sepa_debit":
		ch := s.newCharge(pi, pm)
		ch.Status, ch.Paid, ch.Captured, ch.AmountCaptured = "pending", false, true, pi.Amount
		ch.Outcome = ChargeOutcome{NetworkStatus: "approved_by_network", RiskLevel: "not_assessed", SellerMessage: "Payment complete.", Type: "authorized"}
		pi.LatestCharge = ch.ID
		pi.LastPaymentError = nil
		pi.Status = StatusProcessing
		pi.ProcessingStartedAt = now
		s.syncSession(pi)
		return nil
	}
	card := pm.Card
	behavior := CardSucceeds
	if card != nil {
		behavior = card.Behavior
	}
	switch behavior {
	case CardRequiresAuth, CardRequires3DS2:
		if in.offSession || in.errorOnRequiresAction {
			return s.failCard(pi, pm, "authentication_required", "authentication_required")
		}
		pi.Status = StatusRequiresAction
		src := objectID("src_")
		if pi.ReturnURL != "" {
			pi.NextAction = &NextAction{Type: "redirect_to_url", ReturnURL: pi.ReturnURL, Source: src,
				RedirectURL: "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_reference&payment_intent=" + pi.ID +
					"&payment_intent_client_secret=" + pi.ClientSecret + "&publishable_key=pk_test_reference&source=" + src}
		} else {
			typ := "three_d_secure_redirect"
			if behavior == CardRequires3DS2 {
				typ = "stripe_3ds2_fingerprint"
			}
			pi.NextAction = &NextAction{Type: "use_stripe_sdk", SDKType: typ, Source: src}
		}
		pi.LastPaymentError = nil
		return nil
	case CardDeclines:
		return s.failCard(pi, pm, "card_declined", card.DeclineCode)
	}
	ch := s.newCharge(pi, pm)
	ch.Status, ch.Paid = "succeeded", true
	ch.AmountAuthorized = pi.Amount
	ch.Outcome = ChargeOutcome{NetworkStatus: "approved_by_network", RiskLevel: "normal", RiskScore: 32, SellerMessage: "Payment complete.", Type: "authorized"}
	if pi.PaymentMethodOptions.CardRequestIncrementalAuthorization == "if_available" {
		ch.IncrementalAuthorization = "available"
	}
	pi.LatestCharge = ch.ID
	pi.LastPaymentError = nil
	if s.captureMethod(pi) == "manual" {
		ch.Captured = false
		ch.CaptureBefore = now.Add(7 * 24 * time.Hour).Unix()
		pi.Status = StatusRequiresCapture
		pi.AmountCapturable = pi.Amount
	} else {
		ch.Captured = true
		ch.AmountCaptured = pi.Amount
		pi.Status = StatusSucceeded
		pi.AmountReceived = pi.Amount
		pi.AmountCapturable = 0
	}
	s.syncSession(pi)
	return nil
}

func (s *Server) newCharge(pi *PaymentIntent, pm *PaymentMethod) *Charge {
	ch := &Charge{
		ID: objectID("ch_"), Created: s.unix(), Amount: pi.Amount, Currency: pi.Currency,
		PaymentIntent: pi.ID, PaymentMethod: pm.ID, Description: pi.Description, Metadata: cloneMeta(pi.Metadata),
		BillingDetails: pm.BillingDetails, ReceiptEmail: pi.ReceiptEmail, Shipping: pi.Shipping,
		StatementDescriptor: pi.StatementDescriptor, StatementDescriptorSuffix: pi.StatementDescriptorSuffix,
		TransferGroup: pi.TransferGroup,
	}
	if pi.Shipping != nil {
		sh := *pi.Shipping
		ch.Shipping = &sh
	}
	s.charges[ch.ID] = ch
	return ch
}

// failCard records a failed card charge and returns the 402 card_error.
func (s *Server) failCard(pi *PaymentIntent, pm *PaymentMethod, code, declineCode string) *Error {
	ch := s.newCharge(pi, pm)
	ch.Status, ch.Paid, ch.Captured = "failed", false, false
	ch.FailureCode = code
	ch.FailureMessage = declineMessage(declineCode)
	seller := "The bank returned the decline code `" + declineCode + "`."
	if declineCode == "generic_decline" {
		seller = "The bank did not return any further details with this decline."
	}
	ch.Outcome = ChargeOutcome{NetworkStatus: "declined_by_network", Reason: declineCode, RiskLevel: "normal", RiskScore: 32,
		SellerMessage: seller, Type: "issuer_declined", AdviceCode: "try_again_later"}
	if declineCode == "authentication_required" {
		ch.Outcome.AdviceCode = ""
	}
	pi.LatestCharge = ch.ID
	pi.Status = StatusRequiresPaymentMethod
	pi.PaymentMethod = ""
	pi.NextAction = nil
	e := cardDeclineError(code, declineCode, ch.ID, pm.ID, pi.ID)
	lpe := *e
	lpe.PaymentIntent = ""
	lpe.HTTPStatus = 0
	pi.LastPaymentError = &lpe
	s.syncSession(pi)
	return e
}

func (s *Server) retrieveIntent(c *call) reply {
	v := c.params
	v.allow("client_secret", "expand")
	v.str("client_secret")
	return s.onIntent(c, v.expandList(), nil)
}

func (s *Server) updateIntent(c *call) reply {
	v := c.params
	v.allow(updateIntentParams...)
	in := s.parseIntentInput(v)
	in.checkPMExclusive(v)
	return s.onIntent(c, in.expand, func(pi *PaymentIntent) *Error { return s.applyUpdate(pi, &in, c.rawTree.keys) })
}

// applyUpdate changes pi as requested, or leaves it unchanged and returns
// why not. keys are the request's top-level parameters in request order.
// The caller holds s.mu.
func (s *Server) applyUpdate(pi *PaymentIntent, in *intentInput, keys []string) *Error {
	// Per-field status check, in request order.
	if !editableStatuses[pi.Status] {
		for _, k := range keys {
			if !updatableInAnyStatus[k] {
				return errState(pi, k, "This PaymentIntent's "+k+" could not be updated because it has a status of "+pi.Status+
					". You may only update the "+k+" of a PaymentIntent with one of the following statuses: "+editableStatusList+".")
			}
		}
	}
	// Validate against the would-be state before changing anything.
	next := pi.clone()
	cur := next.Currency
	setIfGiven(&cur, in.currency)
	amount := next.Amount
	setIfGiven(&amount, in.amount)
	if in.amount != nil || in.currency != nil {
		if e := checkAmount("amount", amount, cur); e != nil {
			return e
		}
	}
	next.Amount, next.Currency = amount, cur
	in.applyPMTypes(&next)
	if e := s.applyCommon(&next, in); e != nil {
		return e
	}
	if e := checkMethodTypes(&next, in); e != nil {
		return e
	}
	pm, pmChanged, e := s.requestedPM(in)
	if e != nil {
		return e
	}
	if !pmChanged && in.pmTypes != nil {
		pm = s.pms[next.PaymentMethod]
	}
	if e := checkPMAllowed(&next, pm); e != nil {
		return e
	}
	if pmChanged {
		if pm == nil {
			next.PaymentMethod = ""
		} else {
			if in.pmData != nil {
				s.pms[pm.ID] = pm
			}
			next.PaymentMethod = pm.ID
		}
	}
	// Status effects of changing what will be confirmed.
	if editableStatuses[pi.Status] {
		changed := pmChanged || in.amount != nil || in.currency != nil || in.captureMethod != nil || in.pmTypes != nil
		if changed || next.Status == StatusRequiresPaymentMethod {
			if next.PaymentMethod == "" {
				next.Status = StatusRequiresPaymentMethod
			} else if changed || next.Status == StatusRequiresPaymentMethod {
				next.Status = StatusRequiresConfirmation
			}
			if changed {
				next.NextAction = nil
			}
		}
	}
	*pi = next
	return nil
}

func (s *Server) confirmIntent(c *call) reply {
	v := c.params
	v.allow(confirmIntentParams...)
	in := s.parseIntentInput(v)
	v.str("client_secret")
	if v.has("amount_to_confirm") {
		v.integer("amount_to_confirm")
	}
	in.checkPMExclusive(v)
	return s.onIntent(c, in.expand, func(pi *PaymentIntent) *Error { return s.applyConfirm(pi, &in) })
}

// applyConfirm confirms pi with the request's changes. An error from the
// checks leaves pi unchanged; a decline has already changed it. The caller
// holds s.mu.
func (s *Server) applyConfirm(pi *PaymentIntent, in *intentInput) *Error {
	if !editableStatuses[pi.Status] {
		switch {
		case in.pmID != nil || in.pmData != nil:
			return errState(pi, "payment_method", "This PaymentIntent's payment_method could not be updated because it has a status of "+pi.Status+
				". You may only update the payment_method of a PaymentIntent with one of the following statuses: "+editableStatusList+".")
		case pi.Status == StatusSucceeded:
			return errState(pi, "", "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.")
		default:
			return errState(pi, "", "You cannot confirm this PaymentIntent because it has a status of "+pi.Status+
				". Only a PaymentIntent with one of the following statuses may be confirmed: "+editableStatusList+".")
		}
	}
	next := pi.clone()
	in.applyPMTypes(&next)
	setIfGiven(&next.CaptureMethod, in.captureMethod)
	in.applyPaymentSettings(&next)
	pm, given, e := s.requestedPM(in)
	if e != nil {
		return e
	}
	if !given {
		pm = s.pms[next.PaymentMethod]
	}
	if e := checkPMAllowed(&next, pm); e != nil {
		return e
	}
	if e := s.preconfirmChecks(&next, pm, in); e != nil {
		return e
	}
	if in.pmData != nil {
		s.pms[pm.ID] = pm
	}
	next.PaymentMethod = pm.ID
	*pi = next
	return s.doConfirm(pi, in)
}

func (s *Server) captureIntent(c *call) reply {
	v := c.params
	v.allow(captureIntentParams...)
	var amt *int64
	if v.has("amount_to_capture") {
		if n, ok := v.integer("amount_to_capture"); ok {
			amt = &n
		}
	}
	final := true
	if f, ok := v.boolean("final_capture"); ok {
		final = f
	}
	mu := v.metadata("metadata")
	sdSuffix := optStr(v, "statement_descriptor_suffix", 22)
	sd := optStr(v, "statement_descriptor", 22)
	rejectConnectParams(v)
	return s.onIntent(c, v.expandList(), func(pi *PaymentIntent) *Error {
		if pi.Status != StatusRequiresCapture {
			return errState(pi, "", "This PaymentIntent could not be captured because it has a status of "+pi.Status+
				". Only a PaymentIntent with one of the following statuses may be captured: requires_capture.")
		}
		if !final {
			return invalidRequest("final_capture", "", "Multicapture is not available for this PaymentIntent: final_capture=false requires payment_method_options[card][request_multicapture]=if_available on a card that supports it.")
		}
		capture := pi.AmountCapturable
		if amt != nil {
			if *amt <= 0 {
				return invalidRequest("amount_to_capture", "", "This value must be greater than or equal to 1.")
			}
			if *amt > pi.AmountCapturable {
				return invalidRequest("amount_to_capture", "amount_too_large",
					"The amount_to_capture ("+itoa(*amt)+") must be less than or equal to the PaymentIntent's amount_capturable ("+itoa(pi.AmountCapturable)+").")
			}
			capture = *amt
		}
		meta, e := mu.apply(pi.Metadata, "metadata")
		if e != nil {
			return e
		}
		if sd != nil && *sd != "" {
			return errCardStatementDescriptor()
		}
		pi.Metadata = meta
		setIfGiven(&pi.StatementDescriptorSuffix, sdSuffix)
		remainder := pi.AmountCapturable - capture
		pi.Status = StatusSucceeded
		pi.AmountReceived = capture
		pi.AmountCapturable = 0
		if ch := s.charges[pi.LatestCharge]; ch != nil {
			ch.Captured = true
			ch.AmountCaptured = capture
			ch.CaptureBefore = 0
			ch.StatementDescriptorSuffix = pi.StatementDescriptorSuffix
			ch.Metadata = cloneMeta(pi.Metadata)
			if remainder > 0 {
				s.newRefund(ch, remainder, "", "reversal")
				ch.AmountRefunded += remainder
			}
		}
		s.syncSession(pi)
		return nil
	})
}

func (s *Server) newRefund(ch *Charge, amount int64, reason, destType string) *Refund {
	r := &Refund{
		ID: objectID("re_"), Created: s.unix(), Amount: amount, Currency: ch.Currency, Charge: ch.ID,
		PaymentIntent: ch.PaymentIntent, PaymentMethod: ch.PaymentMethod, Reason: reason, Status: "succeeded",
		Metadata: map[string]string{}, DestinationType: destType,
	}
	s.refunds[r.ID] = r
	s.refundOrder = append(s.refundOrder, r.ID)
	return r
}

// refundReason maps a cancellation reason to the refund reason Stripe uses
// for the released authorisation (abandoned and none map to null).
func refundReason(cancellationReason string) string {
	switch cancellationReason {
	case "duplicate", "fraudulent", "requested_by_customer":
		return cancellationReason
	}
	return ""
}

const checkoutCancelMessage = "You cannot perform this action on PaymentIntents created by Checkout. Try expiring the Checkout Session instead."

func (s *Server) cancelIntent(c *call) reply {
	v := c.params
	v.allow(cancelIntentParams...)
	reason, _ := v.enum("cancellation_reason", cancellationReasons...)
	return s.onIntent(c, v.expandList(), func(pi *PaymentIntent) *Error {
		if pi.CheckoutSession != "" && pi.Status != StatusRequiresCapture {
			return &Error{Type: "invalid_request_error", Message: checkoutCancelMessage, HTTPStatus: http.StatusBadRequest}
		}
		if !s.cancelable[pi.Status] {
			return errState(pi, "", "You cannot cancel this PaymentIntent because it has a status of "+pi.Status+
				". Only a PaymentIntent with one of the following statuses may be canceled: "+stripeCancelableList+".")
		}
		s.cancelLocked(pi, reason)
		return nil
	})
}

// cancelLocked moves pi to canceled and releases any authorisation.
func (s *Server) cancelLocked(pi *PaymentIntent, reason string) {
	prev := pi.Status
	capturable := pi.AmountCapturable
	pi.Status = StatusCanceled
	pi.CanceledAt = s.unix()
	pi.CancellationReason = reason
	pi.AmountCapturable = 0
	pi.NextAction = nil
	pi.ProcessingStartedAt = time.Time{}
	ch := s.charges[pi.LatestCharge]
	switch {
	case prev == StatusRequiresCapture && ch != nil && !ch.Captured:
		amount := capturable
		if amount <= 0 {
			amount = ch.Amount - ch.AmountRefunded
		}
		s.newRefund(ch, amount, refundReason(reason), "reversal")
		ch.AmountRefunded += amount
		ch.Refunded = ch.AmountRefunded >= ch.Amount
		ch.CaptureBefore = 0
	case prev == StatusProcessing && ch != nil && ch.Status == "pending":
		ch.Status = "failed"
		ch.Paid = false
		ch.FailureCode = "payment_intent_canceled"
		ch.FailureMessage = "The PaymentIntent was canceled before the payment completed."
	}
}

func (s *Server) incrementAuthorization(c *call) reply {
	v := c.params
	v.allow(incrementIntentParams...)
	amount, _ := v.requiredInt("amount")
	desc := optStr(v, "description", 1000)
	mu := v.metadata("metadata")
	sd := optStr(v, "statement_descriptor", 22)
	rejectConnectParams(v)
	return s.onIntent(c, v.expandList(), func(pi *PaymentIntent) *Error {
		if pi.Status != StatusRequiresCapture {
			return errState(pi, "", "This PaymentIntent's amount could not be incremented because it has a status of "+pi.Status+
				". Only a PaymentIntent with one of the following statuses may have its authorization incremented: requires_capture.")
		}
		if amount <= pi.Amount {
			return invalidRequest("amount", "", "The amount must be greater than the PaymentIntent's current amount ("+itoa(pi.Amount)+").")
		}
		if e := checkAmount("amount", amount, pi.Currency); e != nil {
			return e
		}
		if sd != nil && *sd != "" {
			return errCardStatementDescriptor()
		}
		meta, e := mu.apply(pi.Metadata, "metadata")
		if e != nil {
			return e
		}
		pi.Metadata = meta
		setIfGiven(&pi.Description, desc)
		pi.Amount = amount
		pi.AmountCapturable = amount
		if ch := s.charges[pi.LatestCharge]; ch != nil {
			ch.Amount = amount
			ch.AmountAuthorized = amount
		}
		return nil
	})
}

func (s *Server) finishProcessingHandler(c *call) reply {
	v := c.params
	v.allow("expand")
	return s.onIntent(c, v.expandList(), func(pi *PaymentIntent) *Error {
		if pi.Status != StatusProcessing {
			return errState(pi, "", "This PaymentIntent could not be advanced because it has a status of "+pi.Status+
				". Only a PaymentIntent with a status of processing can be finished with this test helper.")
		}
		s.succeedProcessing(pi)
		return nil
	})
}
