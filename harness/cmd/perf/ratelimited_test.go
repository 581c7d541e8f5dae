package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The account limiter lets the bucket's worth through, then answers like Stripe's rate limiter, and counts both.
func TestAccountLimiterAnswersLikeStripe(t *testing.T) {
	api := 0
	a := newAccountLimiter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { api++ }), 0.001, 2)
	codes := []int{}
	var last *httptest.ResponseRecorder
	for i := 0; i < 3; i++ {
		last = httptest.NewRecorder()
		a.ServeHTTP(last, httptest.NewRequest("GET", "/v1/payment_intents", nil))
		codes = append(codes, last.Code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 || api != 2 {
		t.Fatalf("statuses %v, the API saw %d requests; want 200 200 429 and 2", codes, api)
	}
	if a.served.Load() != 2 || a.rejected.Load() != 1 {
		t.Errorf("counted %d served, %d rejected", a.served.Load(), a.rejected.Load())
	}
	var body struct {
		Error struct{ Code, Type, Message string } `json:"error"`
	}
	if err := json.Unmarshal(last.Body.Bytes(), &body); err != nil || body.Error.Code != "rate_limit" ||
		body.Error.Type != "invalid_request_error" || body.Error.Message == "" {
		t.Errorf("429 body %s (%v)", last.Body, err)
	}
}
