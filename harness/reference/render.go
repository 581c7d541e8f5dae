package reference

import (
	"maps"
	"strconv"
	"strings"
)

// Rendering turns stored state into the JSON objects of Stripe's spec.
// Every property real Stripe sends is present; absent values are JSON null
// for nullable properties. Optional non-nullable properties the reference
// has no value for (hooks, payment_details, presentment_details, ...) are
// omitted, never null. All render functions run with s.mu held.

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func strMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func strList(l []string) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

func renderAddress(a *Address) map[string]any {
	if a == nil {
		a = &Address{}
	}
	return map[string]any{
		"city": nullStr(a.City), "country": nullStr(a.Country), "line1": nullStr(a.Line1),
		"line2": nullStr(a.Line2), "postal_code": nullStr(a.PostalCode), "state": nullStr(a.State),
	}
}

func renderBilling(b BillingDetails) map[string]any {
	return map[string]any{
		"address": renderAddress(b.Address),
		"email":   nullStr(b.Email),
		"name":    nullStr(b.Name),
		"phone":   nullStr(b.Phone),
		"tax_id":  nullStr(b.TaxID),
	}
}

func renderShipping(sh *Shipping) any {
	if sh == nil {
		return nil
	}
	return map[string]any{
		"address":         renderAddress(&sh.Address),
		"carrier":         nullStr(sh.Carrier),
		"name":            sh.Name,
		"phone":           nullStr(sh.Phone),
		"tracking_number": nullStr(sh.TrackingNumber),
	}
}

// renderIntent renders a payment_intent object (no expansion).
func (s *Server) renderIntent(pi *PaymentIntent) map[string]any {
	var apm any
	if pi.AutomaticPaymentMethods != nil {
		a := map[string]any{"enabled": pi.AutomaticPaymentMethods.Enabled}
		if pi.AutomaticPaymentMethods.AllowRedirects != "" {
			a["allow_redirects"] = pi.AutomaticPaymentMethods.AllowRedirects
		}
		apm = a
	}
	var pmcd any
	if pi.PaymentMethodConfiguration != "" {
		pmcd = map[string]any{"id": pi.PaymentMethodConfiguration, "parent": nil}
	}
	var lpe any
	if pi.LastPaymentError != nil {
		lpe = s.renderErrorLocked(pi.LastPaymentError, "", false, false)
	}
	metadata := pi.Metadata
	if metadata == nil {
		metadata = map[string]string{}
	}
	types := pi.PaymentMethodTypes
	if types == nil {
		types = []string{}
	}
	return map[string]any{
		"id":                                   pi.ID,
		"object":                               "payment_intent",
		"allowed_payment_method_types":         nil,
		"amount":                               pi.Amount,
		"amount_capturable":                    pi.AmountCapturable,
		"amount_details":                       map[string]any{"tip": map[string]any{}},
		"amount_received":                      pi.AmountReceived,
		"application":                          nil,
		"application_fee_amount":               nil,
		"automatic_payment_methods":            apm,
		"canceled_at":                          nullInt(pi.CanceledAt),
		"cancellation_reason":                  nullStr(pi.CancellationReason),
		"capture_method":                       pi.CaptureMethod,
		"client_secret":                        nullStr(pi.ClientSecret),
		"confirmation_method":                  pi.ConfirmationMethod,
		"created":                              pi.Created,
		"currency":                             pi.Currency,
		"customer":                             nil,
		"customer_account":                     nil,
		"description":                          nullStr(pi.Description),
		"excluded_payment_method_types":        nil,
		"last_payment_error":                   lpe,
		"latest_charge":                        nullStr(pi.LatestCharge),
		"livemode":                             false,
		"managed_payments":                     nil,
		"metadata":                             strMap(metadata),
		"next_action":                          renderNextAction(pi),
		"on_behalf_of":                         nil,
		"payment_method":                       nullStr(pi.PaymentMethod),
		"payment_method_configuration_details": pmcd,
		"payment_method_options":               renderPMOptions(pi),
		"payment_method_types":                 strList(types),
		"processing":                           nil,
		"receipt_email":                        nullStr(pi.ReceiptEmail),
		"review":                               nil,
		"setup_future_usage":                   nullStr(pi.SetupFutureUsage),
		"shipping":                             renderShipping(pi.Shipping),
		"source":                               nil,
		"statement_descriptor":                 nullStr(pi.StatementDescriptor),
		"statement_descriptor_suffix":          nullStr(pi.StatementDescriptorSuffix),
		"status":                               pi.Status,
		"transfer_data":                        nil,
		"transfer_group":                       nullStr(pi.TransferGroup),
	}
}

func renderPMOptions(pi *PaymentIntent) map[string]any {
	o := pi.PaymentMethodOptions
	out := map[string]any{}
	for _, t := range pi.PaymentMethodTypes {
		switch t {
		case "card":
			tds := o.CardRequestThreeDSecure
			if tds == "" {
				tds = "automatic"
			}
			c := map[string]any{"installments": nil, "mandate_options": nil, "network": nil, "request_three_d_secure": tds}
			if o.CardCaptureMethod != "" {
				c["capture_method"] = o.CardCaptureMethod
			}
			if o.CardRequestIncrementalAuthorization != "" {
				c["request_incremental_authorization"] = o.CardRequestIncrementalAuthorization
			}
			if o.CardSetupFutureUsage != "" {
				c["setup_future_usage"] = o.CardSetupFutureUsage
			}
			out["card"] = c
		case "sepa_debit":
			c := map[string]any{}
			if o.SepaDebitSetupFutureUsage != "" {
				c["setup_future_usage"] = o.SepaDebitSetupFutureUsage
			}
			out["sepa_debit"] = c
		}
	}
	return out
}

func renderNextAction(pi *PaymentIntent) any {
	na := pi.NextAction
	if na == nil {
		return nil
	}
	switch na.Type {
	case "redirect_to_url":
		return map[string]any{
			"type":            "redirect_to_url",
			"redirect_to_url": map[string]any{"url": nullStr(na.RedirectURL), "return_url": nullStr(na.ReturnURL)},
		}
	case "use_stripe_sdk":
		sdk := map[string]any{"type": na.SDKType}
		switch na.SDKType {
		case "stripe_3ds2_fingerprint":
			sdk["three_d_secure_2_source"] = na.Source
			sdk["directory_server_name"] = "visa"
			sdk["server_transaction_id"] = strings.TrimPrefix(na.Source, "src_")
			sdk["three_ds_method_url"] = ""
			sdk["three_ds_optimizations"] = ""
			sdk["source"] = na.Source
		default:
			sdk["stripe_js"] = "https://hooks.stripe.com/redirect/authenticate/" + na.Source + "?client_secret=" + pi.ClientSecret
			sdk["source"] = na.Source
		}
		return map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": sdk}
	}
	return map[string]any{"type": na.Type}
}

// renderCharge renders a charge object. charge.refunds is only present when
// expanded (as on current API versions).
func (s *Server) renderCharge(ch *Charge) map[string]any {
	pm := s.pms[ch.PaymentMethod]
	metadata := ch.Metadata
	if metadata == nil {
		metadata = map[string]string{}
	}
	o := ch.Outcome
	outcome := map[string]any{
		"advice_code":          nullStr(o.AdviceCode),
		"network_advice_code":  nil,
		"network_decline_code": nil,
		"network_status":       nullStr(o.NetworkStatus),
		"reason":               nullStr(o.Reason),
		"risk_level":           o.RiskLevel,
		"seller_message":       nullStr(o.SellerMessage),
		"type":                 o.Type,
	}
	if o.RiskScore > 0 {
		outcome["risk_score"] = o.RiskScore
	}
	var receiptURL any
	if ch.Status != "failed" {
		receiptURL = "https://pay.stripe.com/receipts/payment/" + strings.TrimPrefix(ch.ID, "ch_")
	}
	var descriptor any
	if ch.Status != "failed" {
		descriptor = "REFTARGET"
		if ch.StatementDescriptorSuffix != "" {
			descriptor = "REFTARGET* " + ch.StatementDescriptorSuffix
		}
	}
	return map[string]any{
		"id":                              ch.ID,
		"object":                          "charge",
		"amount":                          ch.Amount,
		"amount_captured":                 ch.AmountCaptured,
		"amount_refunded":                 ch.AmountRefunded,
		"application":                     nil,
		"application_fee":                 nil,
		"application_fee_amount":          nil,
		"balance_transaction":             nil,
		"billing_details":                 renderBilling(ch.BillingDetails),
		"calculated_statement_descriptor": descriptor,
		"captured":                        ch.Captured,
		"created":                         ch.Created,
		"currency":                        ch.Currency,
		"customer":                        nil,
		"description":                     nullStr(ch.Description),
		"disputed":                        false,
		"failure_balance_transaction":     nil,
		"failure_code":                    nullStr(ch.FailureCode),
		"failure_message":                 nullStr(ch.FailureMessage),
		"fraud_details":                   map[string]any{},
		"livemode":                        false,
		"metadata":                        strMap(metadata),
		"on_behalf_of":                    nil,
		"outcome":                         outcome,
		"paid":                            ch.Paid,
		"payment_intent":                  nullStr(ch.PaymentIntent),
		"payment_method":                  nullStr(ch.PaymentMethod),
		"payment_method_details":          renderPMDetails(ch, pm),
		"radar_options":                   map[string]any{},
		"receipt_email":                   nullStr(ch.ReceiptEmail),
		"receipt_number":                  nil,
		"receipt_url":                     receiptURL,
		"refunded":                        ch.Refunded,
		"review":                          nil,
		"shipping":                        renderShipping(ch.Shipping),
		"source":                          nil,
		"source_transfer":                 nil,
		"statement_descriptor":            nullStr(ch.StatementDescriptor),
		"statement_descriptor_suffix":     nullStr(ch.StatementDescriptorSuffix),
		"status":                          ch.Status,
		"transfer_data":                   nil,
		"transfer_group":                  nullStr(ch.TransferGroup),
	}
}

func renderPMDetails(ch *Charge, pm *PaymentMethod) any {
	if pm == nil {
		return nil
	}
	switch pm.Type {
	case "card":
		c := pm.Card
		if c == nil {
			c = &CardDetails{}
		}
		ia := ch.IncrementalAuthorization
		if ia == "" {
			ia = "unavailable"
		}
		card := map[string]any{
			"amount_authorized":         ch.AmountAuthorized,
			"authorization_code":        nil,
			"brand":                     c.Brand,
			"checks":                    map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": nil},
			"country":                   nullStr(c.Country),
			"exp_month":                 c.ExpMonth,
			"exp_year":                  c.ExpYear,
			"extended_authorization":    map[string]any{"status": "disabled"},
			"fingerprint":               nullStr(c.Fingerprint),
			"funding":                   nullStr(c.Funding),
			"incremental_authorization": map[string]any{"status": ia},
			"installments":              nil,
			"last4":                     c.Last4,
			"mandate":                   nil,
			"multicapture":              map[string]any{"status": "unavailable"},
			"network":                   c.Brand,
			"network_token":             map[string]any{"used": false},
			"network_transaction_id":    nil,
			"overcapture":               map[string]any{"maximum_amount_capturable": ch.Amount, "status": "unavailable"},
			"regulated_status":          "unregulated",
			"three_d_secure":            nil,
			"wallet":                    nil,
		}
		if ch.Status == "failed" {
			card["amount_authorized"] = nil
		} else {
			card["authorization_code"] = "123456"
			card["network_transaction_id"] = "1" + strings.Repeat("0", 14)
		}
		if ch.CaptureBefore > 0 {
			card["capture_before"] = ch.CaptureBefore
		}
		return map[string]any{"type": "card", "card": card}
	case "sepa_debit":
		d := pm.SepaDebit
		if d == nil {
			d = &SepaDebitDetails{}
		}
		return map[string]any{"type": "sepa_debit", "sepa_debit": map[string]any{
			"bank_code":   nullStr(d.BankCode),
			"branch_code": nullStr(d.BranchCode),
			"country":     nullStr(d.Country),
			"fingerprint": nullStr(d.Fingerprint),
			"last4":       nullStr(d.Last4),
			"mandate":     "mandate_" + strings.TrimPrefix(ch.ID, "ch_"),
		}}
	}
	return map[string]any{"type": pm.Type}
}

func (s *Server) renderRefund(r *Refund) map[string]any {
	metadata := r.Metadata
	if metadata == nil {
		metadata = map[string]string{}
	}
	dest := map[string]any{"type": "card", "card": map[string]any{"type": r.DestinationType}}
	if pm := s.pms[r.PaymentMethod]; pm != nil && pm.Type != "card" {
		dest = map[string]any{"type": pm.Type}
	}
	return map[string]any{
		"id":                       r.ID,
		"object":                   "refund",
		"amount":                   r.Amount,
		"balance_transaction":      nil,
		"charge":                   nullStr(r.Charge),
		"created":                  r.Created,
		"currency":                 r.Currency,
		"customer":                 nil,
		"customer_account":         nil,
		"destination_details":      dest,
		"metadata":                 strMap(metadata),
		"payment_intent":           nullStr(r.PaymentIntent),
		"payment_method":           nullStr(r.PaymentMethod),
		"reason":                   nullStr(r.Reason),
		"receipt_number":           nil,
		"source_transfer_reversal": nil,
		"status":                   nullStr(r.Status),
		"transfer_reversal":        nil,
	}
}

func (s *Server) renderPaymentMethod(pm *PaymentMethod) map[string]any {
	metadata := pm.Metadata
	if metadata == nil {
		metadata = map[string]string{}
	}
	m := map[string]any{
		"id":               pm.ID,
		"object":           "payment_method",
		"allow_redisplay":  "unspecified",
		"billing_details":  renderBilling(pm.BillingDetails),
		"created":          pm.Created,
		"customer":         nil,
		"customer_account": nil,
		"livemode":         false,
		"metadata":         strMap(metadata),
		"type":             pm.Type,
	}
	switch {
	case pm.Card != nil:
		c := pm.Card
		m["card"] = map[string]any{
			"brand":                c.Brand,
			"checks":               map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": nil},
			"country":              nullStr(c.Country),
			"display_brand":        c.Brand,
			"exp_month":            c.ExpMonth,
			"exp_year":             c.ExpYear,
			"fingerprint":          nullStr(c.Fingerprint),
			"funding":              c.Funding,
			"generated_from":       nil,
			"last4":                c.Last4,
			"networks":             map[string]any{"available": []any{c.Brand}, "preferred": nil},
			"regulated_status":     "unregulated",
			"three_d_secure_usage": map[string]any{"supported": true},
			"wallet":               nil,
		}
	case pm.SepaDebit != nil:
		d := pm.SepaDebit
		m["sepa_debit"] = map[string]any{
			"bank_code":      nullStr(d.BankCode),
			"branch_code":    nullStr(d.BranchCode),
			"country":        nullStr(d.Country),
			"fingerprint":    nullStr(d.Fingerprint),
			"generated_from": nil,
			"last4":          nullStr(d.Last4),
		}
	}
	return m
}

func (s *Server) renderSession(cs *CheckoutSession) map[string]any {
	metadata := cs.Metadata
	if metadata == nil {
		metadata = map[string]string{}
	}
	var url any
	if cs.Status == "open" {
		url = "https://checkout.stripe.com/c/pay/" + cs.ID
	}
	return map[string]any{
		"id":                                   cs.ID,
		"object":                               "checkout.session",
		"adaptive_pricing":                     nil,
		"after_expiration":                     nil,
		"allow_promotion_codes":                nil,
		"amount_subtotal":                      cs.AmountSubtotal,
		"amount_total":                         cs.AmountTotal,
		"automatic_tax":                        map[string]any{"enabled": false, "liability": nil, "provider": nil, "status": nil},
		"billing_address_collection":           nil,
		"cancel_url":                           nullStr(cs.CancelURL),
		"client_reference_id":                  nullStr(cs.ClientReferenceID),
		"client_secret":                        nil,
		"collected_information":                nil,
		"consent":                              nil,
		"consent_collection":                   nil,
		"created":                              cs.Created,
		"currency":                             nullStr(cs.Currency),
		"currency_conversion":                  nil,
		"custom_fields":                        []any{},
		"custom_text":                          map[string]any{"after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil},
		"customer":                             nil,
		"customer_account":                     nil,
		"customer_creation":                    "if_required",
		"customer_details":                     nil,
		"customer_email":                       nullStr(cs.CustomerEmail),
		"discounts":                            []any{},
		"expires_at":                           cs.ExpiresAt,
		"integration_identifier":               nil,
		"invoice":                              nil,
		"invoice_creation":                     map[string]any{"enabled": false, "invoice_data": map[string]any{"account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil, "issuer": nil, "metadata": map[string]any{}, "rendering_options": nil}},
		"livemode":                             false,
		"locale":                               nil,
		"managed_payments":                     nil,
		"metadata":                             strMap(metadata),
		"mode":                                 cs.Mode,
		"optional_items":                       nil,
		"origin_context":                       nil,
		"payment_intent":                       nullStr(cs.PaymentIntent),
		"payment_link":                         nil,
		"payment_method_collection":            "if_required",
		"payment_method_configuration_details": nil,
		"payment_method_options":               map[string]any{},
		"payment_method_types":                 strList(cs.PaymentMethodTypes),
		"payment_status":                       cs.PaymentStatus,
		"permissions":                          nil,
		"phone_number_collection":              map[string]any{"enabled": false},
		"recovered_from":                       nil,
		"saved_payment_method_options":         nil,
		"setup_intent":                         nil,
		"shipping_address_collection":          nil,
		"shipping_cost":                        nil,
		"shipping_options":                     []any{},
		"status":                               cs.Status,
		"submit_type":                          nil,
		"subscription":                         nil,
		"success_url":                          nullStr(cs.SuccessURL),
		"tax_id_collection":                    map[string]any{"enabled": false, "required": "never"},
		"total_details":                        map[string]any{"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
		"ui_mode":                              "hosted_page",
		"url":                                  url,
		"wallet_options":                       nil,
	}
}

func (s *Server) renderLineItems(cs *CheckoutSession) map[string]any {
	data := make([]any, 0, len(cs.LineItems))
	for _, li := range cs.LineItems {
		total := li.UnitAmount * li.Quantity
		data = append(data, map[string]any{
			"id":                  li.ID,
			"object":              "item",
			"adjustable_quantity": nil,
			"amount_discount":     0,
			"amount_subtotal":     total,
			"amount_tax":          0,
			"amount_total":        total,
			"currency":            li.Currency,
			"description":         nullStr(li.Description),
			"metadata":            map[string]any{},
			"price": map[string]any{
				"id":                  li.PriceID,
				"object":              "price",
				"active":              false,
				"billing_scheme":      "per_unit",
				"created":             cs.Created,
				"currency":            li.Currency,
				"custom_unit_amount":  nil,
				"livemode":            false,
				"lookup_key":          nil,
				"metadata":            map[string]any{},
				"nickname":            nil,
				"product":             li.ProductID,
				"recurring":           nil,
				"tax_behavior":        "unspecified",
				"tiers_mode":          nil,
				"transform_quantity":  nil,
				"type":                "one_time",
				"unit_amount":         li.UnitAmount,
				"unit_amount_decimal": strconv.FormatInt(li.UnitAmount, 10),
			},
			"quantity": li.Quantity,
		})
	}
	return listObject(data, false, "/v1/checkout/sessions/"+cs.ID+"/line_items")
}

func listObject(data []any, hasMore bool, url string) map[string]any {
	if data == nil {
		data = []any{}
	}
	return map[string]any{"object": "list", "data": data, "has_more": hasMore, "url": url}
}

// refundsOfCharge returns the charge's refunds, newest first.
func (s *Server) refundsOfCharge(chID string) []*Refund {
	var out []*Refund
	for i := len(s.refundOrder) - 1; i >= 0; i-- {
		if r := s.refunds[s.refundOrder[i]]; r != nil && r.Charge == chID {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) chargeRefundList(chID string) map[string]any {
	var data []any
	for _, r := range s.refundsOfCharge(chID) {
		data = append(data, s.renderRefund(r))
	}
	return listObject(data, false, "/v1/charges/"+chID+"/refunds")
}

// ---- expansion ----

// expandable maps an object type to its expandable fields and the type each
// expands to. "" means the reference never has a value there (always null),
// so expanding it is accepted and changes nothing. "list:T" is a list of T.
var expandable = map[string]map[string]string{
	"payment_intent": {
		"latest_charge": "charge", "payment_method": "payment_method",
		"customer": "", "application": "", "on_behalf_of": "", "review": "",
	},
	"charge": {
		"refunds": "list:refund", "payment_intent": "payment_intent",
		"customer": "", "application": "", "application_fee": "", "balance_transaction": "",
		"failure_balance_transaction": "", "on_behalf_of": "", "review": "", "source_transfer": "", "transfer": "",
	},
	"refund": {
		"charge": "charge", "payment_intent": "payment_intent", "payment_method": "payment_method",
		"balance_transaction": "", "customer": "", "failure_balance_transaction": "",
		"source_transfer_reversal": "", "transfer_reversal": "",
	},
	"payment_method": {"customer": ""},
	"checkout.session": {
		"payment_intent": "payment_intent", "line_items": "list:item",
		"customer": "", "invoice": "", "payment_link": "", "setup_intent": "", "subscription": "",
	},
}

const maxExpandDepth = 4

// validateExpand checks expand[] paths against the type graph before the
// request runs, so a bad expand never half-applies an operation.
func validateExpand(rootType string, paths []string) *Error {
	for _, p := range paths {
		segs := strings.Split(p, ".")
		typ := rootType
		levels := 0
		for i, seg := range segs {
			if elem, ok := strings.CutPrefix(typ, "list:"); ok {
				if seg != "data" {
					return invalidRequest("expand", "", "This property cannot be expanded ("+clip(p, 200)+").")
				}
				typ = elem
				continue
			}
			levels++
			if levels > maxExpandDepth {
				return invalidRequest("expand", "", "You cannot expand more than 4 levels of a property. Property: "+clip(p, 200))
			}
			target, ok := expandable[typ][seg]
			if !ok || (target == "" && i < len(segs)-1) {
				return invalidRequest("expand", "", "This property cannot be expanded ("+clip(p, 200)+").")
			}
			typ = target
		}
		if levels == 0 {
			return invalidRequest("expand", "", "This property cannot be expanded ("+clip(p, 200)+").")
		}
	}
	return nil
}

// applyExpand expands obj in place for each (already validated) path.
func (s *Server) applyExpand(obj map[string]any, paths []string) {
	for _, p := range paths {
		s.expandPath(obj, strings.Split(p, "."))
	}
}

func (s *Server) expandPath(obj map[string]any, segs []string) {
	if len(segs) == 0 || obj == nil {
		return
	}
	typ, _ := obj["object"].(string)
	if typ == "list" {
		if segs[0] != "data" {
			return
		}
		data, _ := obj["data"].([]any)
		for _, d := range data {
			if m, ok := d.(map[string]any); ok {
				s.expandPath(m, segs[1:])
			}
		}
		return
	}
	field := segs[0]
	var out any = obj[field]
	if id, ok := obj[field].(string); ok {
		out = s.resolve(typ, field, id, obj)
	} else if field == "refunds" && typ == "charge" {
		if _, present := obj[field]; !present {
			out = s.chargeRefundList(obj["id"].(string))
		}
	} else if field == "line_items" && typ == "checkout.session" {
		if cs := s.sessions[obj["id"].(string)]; cs != nil {
			out = s.renderLineItems(cs)
		}
	}
	if _, present := obj[field]; present || out != nil {
		obj[field] = out
	}
	if m, ok := out.(map[string]any); ok && len(segs) > 1 {
		s.expandPath(m, segs[1:])
	}
}

func (s *Server) resolve(typ, field, id string, parent map[string]any) any {
	switch expandable[typ][field] {
	case "charge":
		if ch := s.charges[id]; ch != nil {
			return s.renderCharge(ch)
		}
	case "payment_intent":
		if pi := s.intents[id]; pi != nil {
			s.advance(pi)
			return s.renderIntent(pi)
		}
	case "payment_method":
		if pm := s.pms[id]; pm != nil {
			return s.renderPaymentMethod(pm)
		}
	}
	return id
}

func cloneMeta(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
