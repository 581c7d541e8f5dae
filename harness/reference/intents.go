package reference

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Parameter names per endpoint, from the spec's request schemas. A name not
// listed is answered with parameter_unknown. Listed names the reference does
// not model are accepted and ignored (see doc.go), except references to
// objects it does not have (customer, on_behalf_of, mandate, ...), which get
// resource_missing like a real account without such objects.
var (
	createIntentParams = []string{"allowed_payment_method_types", "amount", "amount_details", "application_fee_amount",
		"automatic_payment_methods", "capture_method", "confirm", "confirmation_method", "confirmation_token", "currency",
		"customer", "customer_account", "description", "error_on_requires_action", "excluded_payment_method_types", "expand",
		"hooks", "mandate", "mandate_data", "metadata", "off_session", "on_behalf_of", "payment_details", "payment_method",
		"payment_method_configuration", "payment_method_data", "payment_method_options", "payment_method_types",
		"radar_options", "receipt_email", "return_url", "setup_future_usage", "shipping", "statement_descriptor",
		"statement_descriptor_suffix", "transfer_data", "transfer_group", "use_stripe_sdk"}
	updateIntentParams = []string{"allowed_payment_method_types", "amount", "amount_details", "application_fee_amount",
		"capture_method", "currency", "customer", "customer_account", "description", "excluded_payment_method_types", "expand",
		"hooks", "metadata", "payment_details", "payment_method", "payment_method_configuration", "payment_method_data",
		"payment_method_options", "payment_method_types", "receipt_email", "setup_future_usage", "shipping",
		"statement_descriptor", "statement_descriptor_suffix", "transfer_data", "transfer_group"}
	confirmIntentParams = []string{"allowed_payment_method_types", "amount_details", "amount_to_confirm", "capture_method",
		"client_secret", "confirmation_token", "error_on_requires_action", "excluded_payment_method_types", "expand", "hooks",
		"mandate", "mandate_data", "off_session", "payment_details", "payment_method", "payment_method_data",
		"payment_method_options", "payment_method_types", "radar_options", "receipt_email", "return_url",
		"setup_future_usage", "shipping", "use_stripe_sdk"}
	captureIntentParams = []string{"amount_details", "amount_to_capture", "application_fee_amount", "expand", "final_capture",
		"hooks", "metadata", "payment_details", "statement_descriptor", "statement_descriptor_suffix", "transfer_data"}
	cancelIntentParams    = []string{"cancellation_reason", "expand"}
	incrementIntentParams = []string{"amount", "amount_details", "application_fee_amount", "description", "expand", "hooks",
		"metadata", "payment_details", "statement_descriptor", "transfer_data"}
)

// Fields an update may change whatever the status; every other field can
// only change in the editable statuses (Stripe refuses per field).
var updatableInAnyStatus = map[string]bool{"metadata": true, "description": true, "receipt_email": true, "shipping": true, "expand": true}

var editableStatuses = map[string]bool{StatusRequiresPaymentMethod: true, StatusRequiresConfirmation: true, StatusRequiresAction: true}

const editableStatusList = "requires_payment_method, requires_confirmation, requires_action"

// cancellationReasons a client may send (the response enum is wider).
var cancellationReasons = []string{"abandoned", "duplicate", "fraudulent", "requested_by_customer"}

// intentInput holds the parsed parameters shared by create, update and confirm.
type intentInput struct {
	amount                    *int64
	currency                  *string
	captureMethod             *string
	confirmationMethod        *string
	description               *string
	metadata                  metadataUpdate
	pmID                      *string
	pmData                    *PaymentMethod
	pmTypes                   *[]string
	apm                       *AutomaticPaymentMethods
	pmo                       *pview
	receiptEmail              *string
	setupFutureUsage          *string
	shippingSet               bool
	shipping                  *Shipping
	statementDescriptor       *string
	statementDescriptorSuffix *string
	transferGroup             *string
	returnURL                 *string
	confirm                   bool
	offSession                bool
	errorOnRequiresAction     bool
	mandateData               bool
	expand                    []string
}

// setIfGiven sets *dst to *v when the optional v was given.
func setIfGiven[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func optStr(v *pview, k string, max int) *string {
	s, ok := v.strMax(k, max)
	if !ok {
		return nil
	}
	return &s
}

// parseIntentInput reads the parameters present in v. Which names are
// allowed is checked by the caller.
func (s *Server) parseIntentInput(v *pview) intentInput {
	var in intentInput
	if v.has("amount") {
		if n, ok := v.integer("amount"); ok {
			in.amount = &n
		}
	}
	if c, ok := v.str("currency"); ok {
		if c == "" {
			v.fail(errEmptyParam("currency"))
		}
		c = strings.ToLower(c)
		if e := checkCurrency("currency", c); e != nil && !v.failed() {
			v.fail(e)
		}
		in.currency = &c
	}
	if cm, ok := v.enum("capture_method", "automatic", "automatic_async", "manual"); ok {
		in.captureMethod = &cm
	}
	if cm, ok := v.enum("confirmation_method", "automatic", "manual"); ok {
		in.confirmationMethod = &cm
	}
	in.description = optStr(v, "description", 1000)
	in.metadata = v.metadata("metadata")
	in.pmID = optStr(v, "payment_method", 5000)
	if d, ok := v.obj("payment_method_data"); ok {
		in.pmData = s.paymentMethodFromData(d)
	}
	if v.has("payment_method_types") {
		if l, ok := v.strList("payment_method_types", 5000); ok {
			for _, t := range l {
				if t != "card" && t != "sepa_debit" {
					v.fail(invalidRequest("payment_method_types", "payment_intent_invalid_parameter",
						"The payment method type \""+clip(t, 60)+"\" is invalid. The reference target supports the payment method types card and sepa_debit."))
					break
				}
			}
			if len(l) == 0 && !v.failed() {
				v.fail(errEmptyParam("payment_method_types"))
			}
			in.pmTypes = &l
		}
	}
	if a, ok := v.obj("automatic_payment_methods"); ok {
		a.allow("allow_redirects", "enabled")
		en, hasEn := a.boolean("enabled")
		if !hasEn && !a.failed() {
			a.fail(errMissingParam(a.name("enabled")))
		}
		ar, _ := a.enum("allow_redirects", "always", "never")
		in.apm = &AutomaticPaymentMethods{Enabled: en, AllowRedirects: ar}
	}
	if o, ok := v.obj("payment_method_options"); ok {
		in.pmo = o
		parsePMOptions(o, nil) // validate now; applied later
	}
	if re, ok := v.str("receipt_email"); ok {
		if re != "" && (!strings.Contains(re, "@") || strings.ContainsAny(re, " \t\r\n") || len(re) > 800) {
			v.fail(invalidRequest("receipt_email", "email_invalid", "Invalid email address: "+clip(re, 100)))
		}
		in.receiptEmail = &re
	}
	if v.has("setup_future_usage") {
		if sfu, ok := v.str("setup_future_usage"); ok && sfu == "" {
			in.setupFutureUsage = &sfu
		} else if sfu, ok := v.enum("setup_future_usage", "off_session", "on_session"); ok {
			in.setupFutureUsage = &sfu
		}
	}
	if v.has("shipping") {
		in.shippingSet = true
		if n := v.get("shipping"); n.kind == kindString && n.str == "" {
			in.shipping = nil
		} else if sh, ok := v.obj("shipping"); ok {
			sh.allow("address", "carrier", "name", "phone", "tracking_number")
			var ship Shipping
			ship.Name = sh.requiredStr("name", 5000)
			if a, ok := sh.obj("address"); ok {
				ship.Address = parseAddress(a)
				if ship.Address.Line1 == "" && !a.failed() {
					a.fail(errMissingParam(a.name("line1")))
				}
			} else if !sh.failed() {
				sh.fail(errMissingParam(sh.name("address")))
			}
			ship.Carrier, _ = sh.strMax("carrier", 5000)
			ship.Phone, _ = sh.strMax("phone", 5000)
			ship.TrackingNumber, _ = sh.strMax("tracking_number", 5000)
			in.shipping = &ship
		}
	}
	in.statementDescriptor = optStr(v, "statement_descriptor", 22)
	in.statementDescriptorSuffix = optStr(v, "statement_descriptor_suffix", 22)
	in.transferGroup = optStr(v, "transfer_group", 5000)
	if v.has("return_url") {
		if u, ok := v.urlParam("return_url"); ok {
			in.returnURL = &u
		}
	}
	in.confirm, _ = v.boolean("confirm")
	if os, ok := v.str("off_session"); ok {
		switch os {
		case "true", "one_off", "recurring":
			in.offSession = true
		case "false":
		default:
			v.fail(invalidRequest("off_session", "", "Invalid off_session: must be a boolean or one of one_off or recurring"))
		}
	}
	in.errorOnRequiresAction, _ = v.boolean("error_on_requires_action")
	v.boolean("use_stripe_sdk")
	if md, ok := v.obj("mandate_data"); ok {
		md.allow("customer_acceptance")
		if ca, ok := md.obj("customer_acceptance"); ok {
			ca.allow("accepted_at", "offline", "online", "type")
			ca.enum("type", "offline", "online")
			in.mandateData = true
		} else if !md.failed() {
			md.fail(errMissingParam(md.name("customer_acceptance")))
		}
	}
	// References to objects the reference does not model.
	v.refuseReference("customer", "customer")
	v.refuseReference("customer_account", "account")
	v.refuseReference("on_behalf_of", "account")
	v.refuseReference("payment_method_configuration", "payment method configuration")
	v.refuseReference("confirmation_token", "confirmationtoken")
	v.refuseReference("mandate", "mandate")
	if td, ok := v.obj("transfer_data"); ok && !v.failed() {
		dest, _ := td.str("destination")
		v.fail(errNoSuch("destination", "transfer_data[destination]", dest))
	}
	rejectApplicationFee(v)
	in.expand = v.expandList()
	return in
}

// rejectApplicationFee refuses application_fee_amount: the reference has
// no connected accounts, so no payment can carry an application fee.
func rejectApplicationFee(v *pview) {
	if v.has("application_fee_amount") && !v.failed() {
		if _, ok := v.integer("application_fee_amount"); ok {
			v.fail(invalidRequest("application_fee_amount", "", "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`)."))
		}
	}
}

// rejectConnectParams refuses the Connect parameters of capture and
// increment_authorization (no intent is created with transfer_data).
func rejectConnectParams(v *pview) {
	rejectApplicationFee(v)
	if v.has("transfer_data") && !v.failed() {
		v.fail(invalidRequest("transfer_data", "", "transfer_data can only be used on a PaymentIntent that was created with transfer_data[destination]."))
	}
}

// checkPMExclusive refuses payment_method together with payment_method_data.
func (in *intentInput) checkPMExclusive(v *pview) {
	if !v.failed() && in.pmID != nil && in.pmData != nil {
		v.fail(invalidRequest("payment_method_data", "parameters_exclusive", "You may only specify one of these parameters: payment_method, payment_method_data."))
	}
}

// parsePMOptions validates payment_method_options and, when o != nil,
// applies them.
func parsePMOptions(v *pview, o *PaymentMethodOptions) {
	if c, ok := v.obj("card"); ok {
		c.allow("capture_method", "cvc_token", "installments", "mandate_options", "moto", "network",
			"request_extended_authorization", "request_incremental_authorization", "request_multicapture",
			"request_overcapture", "request_three_d_secure", "require_cvc_recollection", "setup_future_usage",
			"statement_descriptor_suffix_kana", "statement_descriptor_suffix_kanji", "three_d_secure")
		var cm, tds, ria, sfu string
		var hasCM, hasTDS, hasRIA, hasSFU bool
		if s, ok := c.str("capture_method"); ok && s == "" {
			hasCM = true
		} else {
			cm, hasCM = c.enum("capture_method", "manual")
		}
		tds, hasTDS = c.enum("request_three_d_secure", "any", "automatic", "challenge")
		ria, hasRIA = c.enum("request_incremental_authorization", "if_available", "never")
		if s, ok := c.str("setup_future_usage"); ok && s == "" {
			hasSFU = true
		} else {
			sfu, hasSFU = c.enum("setup_future_usage", "none", "off_session", "on_session")
		}
		if o != nil && !c.failed() {
			if hasCM {
				o.CardCaptureMethod = cm
			}
			if hasTDS {
				o.CardRequestThreeDSecure = tds
			}
			if hasRIA {
				o.CardRequestIncrementalAuthorization = ria
			}
			if hasSFU {
				o.CardSetupFutureUsage = sfu
			}
		}
	}
	if sd, ok := v.obj("sepa_debit"); ok {
		sd.allow("mandate_options", "setup_future_usage", "target_date")
		var sfu string
		var has bool
		if s, ok := sd.str("setup_future_usage"); ok && s == "" {
			has = true
		} else {
			sfu, has = sd.enum("setup_future_usage", "none", "off_session", "on_session")
		}
		if o != nil && has && !sd.failed() {
			o.SepaDebitSetupFutureUsage = sfu
		}
	}
}

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
	if in.pmTypes != nil {
		pi.PaymentMethodTypes = *in.pmTypes
	} else {
		apm := AutomaticPaymentMethods{Enabled: true}
		setIfGiven(&apm, in.apm)
		if apm.Enabled {
			pi.AutomaticPaymentMethods = &apm
			pi.PaymentMethodConfiguration = "pmc_" + newID("1", 23)
			pi.PaymentMethodTypes = []string{"card"}
			if cur == "eur" {
				pi.PaymentMethodTypes = append(pi.PaymentMethodTypes, "sepa_debit")
			}
		} else {
			pi.AutomaticPaymentMethods = &apm
			pi.PaymentMethodTypes = []string{"card"}
		}
	}
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
