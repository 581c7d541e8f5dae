package reference

import (
	"hash/fnv"
	"math/big"
	"net/http"
	"strings"
)

// testCard describes one test PaymentMethod token.
type testCard struct {
	brand, last4, funding string
	behavior              CardBehavior
	declineCode           string
}

// testTokens are the PaymentMethod tokens the reference understands. Each
// use clones the token into a new pm_ object, as Stripe does.
var testTokens = map[string]testCard{
	"pm_card_visa":                                 {"visa", "4242", "credit", CardSucceeds, ""},
	"pm_card_us":                                   {"visa", "4242", "credit", CardSucceeds, ""},
	"pm_card_visa_debit":                           {"visa", "5556", "debit", CardSucceeds, ""},
	"pm_card_mastercard":                           {"mastercard", "4444", "credit", CardSucceeds, ""},
	"pm_card_amex":                                 {"amex", "8431", "credit", CardSucceeds, ""},
	"pm_card_authenticationRequiredOnSetup":        {"visa", "3155", "credit", CardSucceeds, ""},
	"pm_card_authenticationRequired":               {"visa", "3184", "credit", CardRequiresAuth, ""},
	"pm_card_threeDSecure2Required":                {"visa", "3220", "credit", CardRequires3DS2, ""},
	"pm_card_chargeDeclined":                       {"visa", "0002", "credit", CardDeclines, "generic_decline"},
	"pm_card_visa_chargeDeclined":                  {"visa", "0002", "credit", CardDeclines, "generic_decline"},
	"pm_card_chargeDeclinedInsufficientFunds":      {"visa", "9995", "credit", CardDeclines, "insufficient_funds"},
	"pm_card_visa_chargeDeclinedInsufficientFunds": {"visa", "9995", "credit", CardDeclines, "insufficient_funds"},
	"pm_card_chargeDeclinedFraudulent":             {"visa", "0019", "credit", CardDeclines, "fraudulent"},
	"pm_card_chargeDeclinedLostCard":               {"visa", "9987", "credit", CardDeclines, "lost_card"},
	"pm_card_chargeDeclinedStolenCard":             {"visa", "9979", "credit", CardDeclines, "stolen_card"},
}

// TestTokens lists the test PaymentMethod tokens the reference accepts.
func TestTokens() []string {
	out := make([]string, 0, len(testTokens))
	for k := range testTokens {
		out = append(out, k)
	}
	return out
}

func declineMessage(code string) string {
	switch code {
	case "insufficient_funds":
		return "Your card has insufficient funds."
	case "authentication_required":
		return "Your card was declined. This transaction requires authentication."
	}
	return "Your card was declined."
}

func fingerprint(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	b := make([]byte, 16)
	for i := range b {
		b[i] = idAlphabet[v%uint64(len(idAlphabet))]
		v /= uint64(len(idAlphabet))
		if v == 0 {
			v = h.Sum64() + uint64(i)*7919
		}
	}
	return string(b)
}

// resolvePaymentMethod finds or creates the PaymentMethod named by the
// payment_method parameter. The caller holds s.mu.
func (s *Server) resolvePaymentMethod(id, param string) (*PaymentMethod, *Error) {
	if tc, ok := testTokens[id]; ok {
		pm := &PaymentMethod{
			ID: objectID("pm_"), Created: s.unix(), Type: "card", TestToken: id,
			Card: &CardDetails{
				Brand: tc.brand, Country: "US", ExpMonth: int64(s.now().Month()), ExpYear: int64(s.now().Year() + 1),
				Fingerprint: fingerprint(id), Funding: tc.funding, Last4: tc.last4,
				Behavior: tc.behavior, DeclineCode: tc.declineCode,
			},
		}
		s.pms[pm.ID] = pm
		return pm, nil
	}
	if pm := s.pms[id]; pm != nil {
		return pm, nil
	}
	return nil, errNoSuch("PaymentMethod", param, id)
}

// paymentMethodFromData builds a PaymentMethod from payment_method_data[...].
// Only sepa_debit is modelled (cards come from test tokens).
func (s *Server) paymentMethodFromData(v *pview) *PaymentMethod {
	v.allow("type", "sepa_debit", "billing_details", "metadata", "allow_redisplay", "radar_options")
	typ := v.requiredStr("type", 100)
	if v.failed() {
		return nil
	}
	if typ != "sepa_debit" {
		v.fail(invalidRequest(v.name("type"), "", "The reference target only accepts payment_method_data[type]=sepa_debit; use a test PaymentMethod such as pm_card_visa for cards."))
		return nil
	}
	sd, ok := v.obj("sepa_debit")
	if !ok {
		if !v.failed() {
			v.fail(errMissingParam(v.name("sepa_debit")))
		}
		return nil
	}
	sd.allow("iban")
	iban := strings.ToUpper(strings.ReplaceAll(sd.requiredStr("iban", 34+10), " ", ""))
	if v.failed() {
		return nil
	}
	if !validIBAN(iban) {
		v.fail(invalidRequest(sd.name("iban"), "invalid_bank_account_iban", "The IBAN you provided ("+clip(iban, 40)+") is invalid."))
		return nil
	}
	bd := s.billingDetails(v)
	mu := v.metadata("metadata")
	v.enum("allow_redisplay", "always", "limited", "unspecified")
	if v.failed() {
		return nil
	}
	meta, e := mu.apply(nil, v.name("metadata"))
	if e != nil {
		v.fail(e)
		return nil
	}
	d := &SepaDebitDetails{Country: iban[:2], Fingerprint: fingerprint(iban), Last4: iban[len(iban)-4:]}
	if len(iban) >= 12 {
		d.BankCode = iban[4:12]
	}
	return &PaymentMethod{ID: objectID("pm_"), Created: s.unix(), Type: "sepa_debit", SepaDebit: d, BillingDetails: bd, Metadata: meta, TestToken: "payment_method_data"}
}

func (s *Server) billingDetails(v *pview) BillingDetails {
	var bd BillingDetails
	b, ok := v.obj("billing_details")
	if !ok {
		return bd
	}
	b.allow("address", "email", "name", "phone", "tax_id")
	bd.Email, _ = b.strMax("email", 800)
	bd.Name, _ = b.strMax("name", 5000)
	bd.Phone, _ = b.strMax("phone", 5000)
	bd.TaxID, _ = b.strMax("tax_id", 5000)
	if a, ok := b.obj("address"); ok {
		addr := parseAddress(a)
		bd.Address = &addr
	}
	return bd
}

func parseAddress(a *pview) Address {
	a.allow("city", "country", "line1", "line2", "postal_code", "state")
	var ad Address
	ad.City, _ = a.strMax("city", 5000)
	ad.Country, _ = a.strMax("country", 5000)
	ad.Line1, _ = a.strMax("line1", 5000)
	ad.Line2, _ = a.strMax("line2", 5000)
	ad.PostalCode, _ = a.strMax("postal_code", 5000)
	ad.State, _ = a.strMax("state", 5000)
	return ad
}

// validIBAN checks length, characters and the ISO 13616 mod-97 checksum.
func validIBAN(iban string) bool {
	if len(iban) < 15 || len(iban) > 34 {
		return false
	}
	for i := 0; i < len(iban); i++ {
		c := iban[i]
		if i < 2 && !(c >= 'A' && c <= 'Z') {
			return false
		}
		if i >= 2 && i < 4 && !(c >= '0' && c <= '9') {
			return false
		}
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	re := iban[4:] + iban[:4]
	var digits strings.Builder
	for i := 0; i < len(re); i++ {
		c := re[i]
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(itoa(int64(c-'A') + 10))
		} else {
			digits.WriteByte(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return false
	}
	return new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// cardDeclineError builds the card_error for a failed card charge.
func cardDeclineError(code, declineCode, chargeID, pmID, piID string) *Error {
	return &Error{
		Type: "card_error", Code: code, DeclineCode: declineCode, Message: declineMessage(declineCode),
		Charge: chargeID, PaymentMethod: pmID, PaymentIntent: piID, HTTPStatus: http.StatusPaymentRequired,
		DocURL: docURL(code),
	}
}
