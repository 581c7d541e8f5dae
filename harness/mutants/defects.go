package mutants

import (
	"net/url"
	"slices"
	"strings"

	"github.com/pi-conformance/suite/harness/reference"
)

// Status names, for brevity.
const (
	rpm        = reference.StatusRequiresPaymentMethod
	rconf      = reference.StatusRequiresConfirmation
	raction    = reference.StatusRequiresAction
	rcapture   = reference.StatusRequiresCapture
	processing = reference.StatusProcessing
	succeeded  = reference.StatusSucceeded
	canceled   = reference.StatusCanceled

	unexpectedState = "payment_intent_unexpected_state"
)

// validReasons are the cancellation reasons a client may send.
var validReasons = []string{"abandoned", "duplicate", "fraudulent", "requested_by_customer"}

// Defects returns the realistic defects. Each entry's Checks name the clauses (check labels) whose specs must fail.
//
// They are grouped by the clause they break, one function each (defects_cancel.go, defects_aftercancel.go,
// defects_requests.go); a group is a table of entries, as long as the clause has defects.
func Defects() []Mutant {
	return slices.Concat(
		rejectionDefects(),
		cancelDefects(),
		processingDefects(),
		reasonDefects(),
		postCancelDefects(),
		stateErrorDefects(),
		refundDefects(),
		errorDefects(),
		idempotencyDefects(),
		raceDefects(),
		headerDefects(),
		guardOmissionDefects(),
	)
}

// guardOmissionDefects are one defect per cancelable status: the guard forgets it.
func guardOmissionDefects() []Mutant {
	var ds []Mutant
	for _, st := range reference.DefaultCancelableStatuses {
		ds = append(ds, Mutant{
			Name: "refuse-cancel-" + st, Kind: Defect, Checks: []string{"cancel"},
			Description: "cancel from " + st + " is refused with payment_intent_unexpected_state (the status guard omits it)",
			Options:     CancelableWithout(st),
		})
	}
	return ds
}

// reopen returns an update that takes a canceled intent back to status, as if it had never been canceled.
func reopen(status string) func(pi *reference.PaymentIntent) {
	return func(pi *reference.PaymentIntent) {
		st := status
		if st == rconf && pi.PaymentMethod == "" {
			st = rpm
		}
		pi.Status, pi.CanceledAt, pi.CancellationReason = st, 0, ""
	}
}

func onlyMetadata(f url.Values) bool {
	if len(f) == 0 {
		return false
	}
	for k := range f {
		if !strings.HasPrefix(k, "metadata[") {
			return false
		}
	}
	return true
}

func deleteRefunds(c *Call, rs []reference.Refund) {
	for _, r := range rs {
		_ = c.Ref.DeleteRefund(r.ID)
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = slices.Clone(v)
	}
	return out
}
