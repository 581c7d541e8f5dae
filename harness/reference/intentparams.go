package reference

import "strings"

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

// parseIntentInput reads the parameters present in v, in the order that decides which error a request with several
// faults gets (the first one found). Which names are allowed is checked by the caller.
func (s *Server) parseIntentInput(v *pview) intentInput {
	var in intentInput
	in.parsePayment(s, v)
	in.parseCustomerFacing(v)
	in.parseConfirmation(v)
	refuseUnmodelled(v)
	in.expand = v.expandList()
	return in
}

// parsePayment reads the amount, currency, capture and confirmation methods, description, metadata and the payment
// method parameters.
func (in *intentInput) parsePayment(s *Server, v *pview) {
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
}

// parseCustomerFacing reads the receipt, future usage, shipping, statement descriptor, transfer group and return URL
// parameters.
func (in *intentInput) parseCustomerFacing(v *pview) {
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
	in.parseShipping(v)
	in.statementDescriptor = optStr(v, "statement_descriptor", 22)
	in.statementDescriptorSuffix = optStr(v, "statement_descriptor_suffix", 22)
	in.transferGroup = optStr(v, "transfer_group", 5000)
	if v.has("return_url") {
		if u, ok := v.urlParam("return_url"); ok {
			in.returnURL = &u
		}
	}
}

// parseShipping reads shipping: an empty string clears it, else name and address[line1] are required.
func (in *intentInput) parseShipping(v *pview) {
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
}

// parseConfirmation reads confirm, off_session, error_on_requires_action, use_stripe_sdk and mandate_data.
func (in *intentInput) parseConfirmation(v *pview) {
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
}

// refuseUnmodelled refuses references to objects the reference does not model, transfer_data[destination] and an
// application fee, as an account without such objects would.
func refuseUnmodelled(v *pview) {
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
