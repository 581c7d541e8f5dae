package reference

import (
	"maps"
	"slices"
	"time"
)

// PaymentIntent statuses (the spec's enum).
const (
	StatusRequiresPaymentMethod = "requires_payment_method"
	StatusRequiresConfirmation  = "requires_confirmation"
	StatusRequiresAction        = "requires_action"
	StatusProcessing            = "processing"
	StatusRequiresCapture       = "requires_capture"
	StatusSucceeded             = "succeeded"
	StatusCanceled              = "canceled"
)

// DefaultCancelableStatuses are the statuses from which the reference lets a
// PaymentIntent be canceled (processing is added by Options.AllowCancelProcessing).
var DefaultCancelableStatuses = []string{
	StatusRequiresPaymentMethod,
	StatusRequiresConfirmation,
	StatusRequiresAction,
	StatusRequiresCapture,
}

// stripeCancelableList is the list Stripe quotes in its cancel error message.
const stripeCancelableList = "requires_payment_method, requires_capture, requires_confirmation, requires_action, processing"

// PaymentIntent is the stored state of one PaymentIntent. The JSON the API
// returns is rendered from it (every property of the spec's payment_intent
// schema is emitted; zero values below render as JSON null where noted).
//
// Values handed out by Server.Intent are deep copies; use Server.UpdateIntent
// to change stored state.
type PaymentIntent struct {
	ID                 string
	Created            int64 // unix seconds
	Amount             int64
	AmountCapturable   int64
	AmountReceived     int64
	Currency           string
	Status             string
	CaptureMethod      string // automatic, automatic_async, manual
	ConfirmationMethod string // automatic, manual
	ClientSecret       string
	CanceledAt         int64  // 0 renders as null
	CancellationReason string // "" renders as null
	Description        string // "" renders as null
	Metadata           map[string]string

	PaymentMethod           string // id of a stored PaymentMethod; "" renders as null
	PaymentMethodTypes      []string
	AutomaticPaymentMethods *AutomaticPaymentMethods // nil renders as null
	// PaymentMethodConfiguration is the pmc_ id shown in
	// payment_method_configuration_details when automatic payment methods are on.
	PaymentMethodConfiguration string
	PaymentMethodOptions       PaymentMethodOptions

	LatestCharge     string // ch_ id; "" renders as null
	LastPaymentError *Error // nil renders as null
	NextAction       *NextAction

	ReceiptEmail              string
	SetupFutureUsage          string
	Shipping                  *Shipping
	StatementDescriptor       string
	StatementDescriptorSuffix string
	TransferGroup             string

	// Not rendered: bookkeeping the reference needs.
	ReturnURL           string    // return_url of the last confirm
	MandateAccepted     bool      // mandate_data was supplied (SEPA)
	CheckoutSession     string    // cs_ id when created by a Checkout Session
	ProcessingStartedAt time.Time // when the intent entered processing
}

// AutomaticPaymentMethods mirrors payment_intent.automatic_payment_methods.
type AutomaticPaymentMethods struct {
	Enabled        bool
	AllowRedirects string // "" (omitted), "always" or "never"
}

// PaymentMethodOptions holds the payment_method_options the reference models.
type PaymentMethodOptions struct {
	CardCaptureMethod                   string // "" or "manual"
	CardRequestThreeDSecure             string // automatic (default), any, challenge
	CardRequestIncrementalAuthorization string // "", if_available, never
	CardSetupFutureUsage                string
	SepaDebitSetupFutureUsage           string
}

// NextAction is the pending customer action of a requires_action intent.
type NextAction struct {
	Type string // use_stripe_sdk or redirect_to_url
	// RedirectURL and ReturnURL are set for redirect_to_url.
	RedirectURL string
	ReturnURL   string
	// SDKType is use_stripe_sdk.type: three_d_secure_redirect or stripe_3ds2_fingerprint.
	SDKType string
	Source  string // src_ id used in the SDK payload
}

// Shipping mirrors the spec's shipping object.
type Shipping struct {
	Address        Address
	Carrier        string
	Name           string
	Phone          string
	TrackingNumber string
}

// Address mirrors the spec's address object ("" renders as null).
type Address struct {
	City, Country, Line1, Line2, PostalCode, State string
}

// BillingDetails mirrors the spec's billing_details object.
type BillingDetails struct {
	Address *Address // nil renders an address with every field null
	Email   string
	Name    string
	Phone   string
	TaxID   string
}

// Charge is the stored state of one Charge (created when a PaymentIntent is
// confirmed with a payment method that reaches the network).
type Charge struct {
	ID             string
	Created        int64
	Amount         int64
	AmountCaptured int64
	AmountRefunded int64
	Currency       string
	Captured       bool
	Paid           bool
	Refunded       bool
	Status         string // succeeded, pending, failed
	PaymentIntent  string
	PaymentMethod  string
	Description    string
	Metadata       map[string]string
	BillingDetails BillingDetails
	FailureCode    string
	FailureMessage string
	Outcome        ChargeOutcome
	ReceiptEmail   string
	Shipping       *Shipping

	StatementDescriptor       string
	StatementDescriptorSuffix string
	TransferGroup             string

	// Card-specific details rendered in payment_method_details.card.
	AmountAuthorized         int64
	CaptureBefore            int64 // uncaptured card charges only
	IncrementalAuthorization string
}

// ChargeOutcome mirrors charge.outcome.
type ChargeOutcome struct {
	NetworkStatus string
	Reason        string
	RiskLevel     string
	RiskScore     int64
	SellerMessage string
	Type          string
	AdviceCode    string
}

// Refund is the stored state of one Refund.
type Refund struct {
	ID            string
	Created       int64
	Amount        int64
	Currency      string
	Charge        string
	PaymentIntent string
	PaymentMethod string
	Reason        string // "" renders as null
	Status        string
	Metadata      map[string]string
	// DestinationType is destination_details.card.type: "reversal" for an
	// uncaptured authorisation that was released, "refund" otherwise.
	DestinationType string
}

// PaymentMethod is a stored PaymentMethod. Test tokens such as pm_card_visa
// are cloned into a new pm_ object on use, as Stripe does.
type PaymentMethod struct {
	ID             string
	Created        int64
	Type           string // card or sepa_debit
	BillingDetails BillingDetails
	Card           *CardDetails
	SepaDebit      *SepaDebitDetails
	Metadata       map[string]string
	// TestToken is the token the method was created from (pm_card_visa, ...)
	// or "payment_method_data".
	TestToken string
}

// CardBehavior says what confirming a card does.
type CardBehavior string

// Card behaviours of the test tokens.
const (
	CardSucceeds     CardBehavior = "succeeds"
	CardDeclines     CardBehavior = "declines"
	CardRequiresAuth CardBehavior = "requires_authentication" // 3DS redirect
	CardRequires3DS2 CardBehavior = "requires_3ds2"           // 3DS2 fingerprint
)

// CardDetails mirrors payment_method.card plus the test behaviour.
type CardDetails struct {
	Brand       string
	Country     string
	ExpMonth    int64
	ExpYear     int64
	Fingerprint string
	Funding     string
	Last4       string
	Behavior    CardBehavior
	DeclineCode string // for CardDeclines
}

// SepaDebitDetails mirrors payment_method.sepa_debit.
type SepaDebitDetails struct {
	BankCode    string
	BranchCode  string
	Country     string
	Fingerprint string
	Last4       string
}

// CheckoutSession is the stored state of a payment-mode Checkout Session.
type CheckoutSession struct {
	ID                 string
	Created            int64
	ExpiresAt          int64
	Mode               string
	Status             string // open, complete, expired
	PaymentStatus      string // unpaid, paid
	PaymentIntent      string
	Currency           string
	AmountSubtotal     int64
	AmountTotal        int64
	SuccessURL         string
	CancelURL          string
	ClientReferenceID  string
	CustomerEmail      string
	Metadata           map[string]string
	PaymentMethodTypes []string
	LineItems          []LineItem

	// pending is the PaymentIntent the session will create when it is
	// confirmed (lazy creation, the default); nil once created.
	pending *PaymentIntent
}

// LineItem is one line of a Checkout Session (from line_items[][price_data]).
type LineItem struct {
	ID          string
	PriceID     string
	ProductID   string
	Description string
	Currency    string
	UnitAmount  int64
	Quantity    int64
}

// Error is a Stripe error object (the "error" member of an error body, or a
// PaymentIntent's last_payment_error). Empty strings are omitted when
// rendered, never sent as null.
type Error struct {
	Type          string // api_error, card_error, idempotency_error, invalid_request_error
	Code          string
	DeclineCode   string
	Message       string
	Param         string
	Charge        string
	AdviceCode    string
	DocURL        string // derived from Code when empty
	PaymentIntent string // id; the current PaymentIntent is embedded when set
	PaymentMethod string // id; the PaymentMethod object is embedded when set
	// PaymentMethodType is rendered as payment_method_type.
	PaymentMethodType string

	// HTTPStatus is the response status when the error is returned (not rendered).
	HTTPStatus int
	// noStore marks validation failures, which are not saved under an idempotency key.
	noStore bool
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// clone helpers (deep copies for snapshots).

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func (pi *PaymentIntent) clone() PaymentIntent {
	c := *pi
	c.Metadata = maps.Clone(pi.Metadata)
	c.PaymentMethodTypes = slices.Clone(pi.PaymentMethodTypes)
	c.AutomaticPaymentMethods = clonePtr(pi.AutomaticPaymentMethods)
	c.LastPaymentError = clonePtr(pi.LastPaymentError)
	c.NextAction = clonePtr(pi.NextAction)
	c.Shipping = clonePtr(pi.Shipping)
	return c
}

func (ch *Charge) clone() Charge {
	c := *ch
	c.Metadata = maps.Clone(ch.Metadata)
	c.Shipping = clonePtr(ch.Shipping)
	c.BillingDetails.Address = clonePtr(ch.BillingDetails.Address)
	return c
}

func (r *Refund) clone() Refund {
	c := *r
	c.Metadata = maps.Clone(r.Metadata)
	return c
}

func (pm *PaymentMethod) clone() PaymentMethod {
	c := *pm
	c.Metadata = maps.Clone(pm.Metadata)
	c.Card = clonePtr(pm.Card)
	c.SepaDebit = clonePtr(pm.SepaDebit)
	c.BillingDetails.Address = clonePtr(pm.BillingDetails.Address)
	return c
}

func (cs *CheckoutSession) clone() CheckoutSession {
	c := *cs
	c.Metadata = maps.Clone(cs.Metadata)
	c.PaymentMethodTypes = slices.Clone(cs.PaymentMethodTypes)
	c.LineItems = slices.Clone(cs.LineItems)
	return c
}
