package reference

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentCancelVersusCapture races cancel against capture on one
// requires_capture intent: exactly one wins and the final state is the
// winner's.
func TestConcurrentCancelVersusCapture(t *testing.T) {
	h := newHarness(t, Options{})
	wins := map[string]int{}
	for round := 0; round < 60; round++ {
		id := h.intentIn(StatusRequiresCapture).str("id")
		var start sync.WaitGroup
		start.Add(1)
		results := make([]resp, 2)
		var wg sync.WaitGroup
		for i, op := range []string{"/cancel", "/capture"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start.Wait()
				results[i] = h.post("/v1/payment_intents/"+id+op, "")
			}()
		}
		start.Done()
		wg.Wait()
		cancelOK, captureOK := results[0].Status == 200, results[1].Status == 200
		if cancelOK == captureOK {
			t.Fatalf("round %d: cancel %d, capture %d", round, results[0].Status, results[1].Status)
		}
		final, _ := h.srv.Intent(id)
		refunds := h.srv.RefundsForIntent(id)
		ch, _ := h.srv.Charge(final.LatestCharge)
		if cancelOK {
			wins["cancel"]++
			if final.Status != StatusCanceled || len(refunds) != 1 || !ch.Refunded || ch.Captured {
				t.Fatalf("cancel won but state is %s, %d refunds, charge %+v", final.Status, len(refunds), ch)
			}
			if results[1].str("error.code") != "payment_intent_unexpected_state" || results[1].str("error.payment_intent.status") != StatusCanceled {
				t.Fatalf("loser: %s", results[1].Raw)
			}
		} else {
			wins["capture"]++
			if final.Status != StatusSucceeded || len(refunds) != 0 || !ch.Captured || ch.Refunded {
				t.Fatalf("capture won but state is %s, %d refunds", final.Status, len(refunds))
			}
			if results[0].str("error.payment_intent.status") != StatusSucceeded {
				t.Fatalf("loser: %s", results[0].Raw)
			}
		}
	}
	t.Logf("wins: %v", wins)
}

// TestConcurrentDoubleCancel: of N concurrent cancels exactly one succeeds
// and exactly one refund exists.
func TestConcurrentDoubleCancel(t *testing.T) {
	h := newHarness(t, Options{})
	for round := 0; round < 20; round++ {
		id := h.intentIn(StatusRequiresCapture).str("id")
		var ok atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := h.post("/v1/payment_intents/"+id+"/cancel", ""); r.Status == 200 {
					ok.Add(1)
				} else if r.str("error.code") != "payment_intent_unexpected_state" {
					t.Errorf("unexpected: %s", r.Raw)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d cancels succeeded", ok.Load())
		}
		if n := len(h.srv.RefundsForIntent(id)); n != 1 {
			t.Fatalf("%d refunds", n)
		}
	}
}

// TestConcurrentMixedLoad runs many goroutines creating, confirming,
// capturing, cancelling, listing and reading, then checks invariants.
func TestConcurrentMixedLoad(t *testing.T) {
	h := newHarness(t, Options{})
	const workers, perWorker = 12, 25
	var wg sync.WaitGroup
	var canceledFromCapture atomic.Int32
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				switch i % 5 {
				case 0:
					r := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_visa&capture_method=manual&confirm=true")
					if r.Status != 200 {
						t.Errorf("create: %s", r.Raw)
						return
					}
					if c := h.post("/v1/payment_intents/"+r.str("id")+"/cancel", "cancellation_reason=duplicate"); c.Status == 200 {
						canceledFromCapture.Add(1)
					}
				case 1:
					r := h.post("/v1/payment_intents", cardPI+"&payment_method=pm_card_visa&capture_method=manual&confirm=true",
						withIdem(fmt.Sprintf("w%d-%d", w, i)))
					h.post("/v1/payment_intents/"+r.str("id")+"/capture", "amount_to_capture=1000")
				case 2:
					r := h.post("/v1/payment_intents", cardPI)
					h.post("/v1/payment_intents/"+r.str("id"), "metadata[w]=x")
					h.post("/v1/payment_intents/"+r.str("id")+"/confirm", "payment_method=pm_card_chargeDeclined")
				case 3:
					h.get("/v1/payment_intents", "limit=5&expand[]=data.latest_charge")
					h.get("/v1/refunds", "limit=3")
				case 4:
					r := h.post("/v1/payment_intents", sepaPI)
					h.post("/v1/test_helpers/payment_intents/"+r.str("id")+"/finish_processing", "")
				}
			}
		}()
	}
	wg.Wait()
	// Invariants.
	all := h.srv.Intents()
	refunds := 0
	for _, pi := range all {
		switch pi.Status {
		case StatusCanceled:
			if pi.AmountCapturable != 0 || pi.CanceledAt == 0 {
				t.Errorf("canceled %s: %+v", pi.ID, pi)
			}
		case StatusSucceeded:
			if pi.AmountReceived == 0 {
				t.Errorf("succeeded with amount_received 0: %s", pi.ID)
			}
		}
		refunds += len(h.srv.RefundsForIntent(pi.ID))
	}
	// Each cancel from requires_capture made one refund; each partial
	// capture (1000 of 2000) made one refund of the remainder.
	want := int(canceledFromCapture.Load()) + workers*perWorker/5
	if refunds != want {
		t.Errorf("%d refunds, want %d", refunds, want)
	}
	l := h.get("/v1/payment_intents", "limit=100")
	if l.Status != http.StatusOK {
		t.Fatalf("%s", l.Raw)
	}
}

// TestConcurrentIdempotentCreates: many concurrent creates with one key make
// exactly one PaymentIntent; the others replay it or get 409.
func TestConcurrentIdempotentCreates(t *testing.T) {
	h := newHarness(t, Options{})
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.post("/v1/payment_intents", cardPI, withIdem("same"))
			switch r.Status {
			case 200:
				ids[i] = r.str("id")
			case 409:
			default:
				t.Errorf("status %d: %s", r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	if n := len(h.srv.Intents()); n != 1 {
		t.Fatalf("%d intents created", n)
	}
	for _, id := range ids {
		if id != "" && id != h.srv.Intents()[0].ID {
			t.Errorf("id %s", id)
		}
	}
}
