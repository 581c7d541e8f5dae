package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestLargeBodiesAreRecordedAsExcerpts: a response (and a raw request body) far over RecordedBody is recorded as a
// redacted excerpt with its size and digest, everywhere the exchange goes (JSON for the reports, Summary, Curl),
// while Response.Body and JSON still see the whole body. Copies of the key sit every 997 bytes, so some straddle
// every cut.
func TestLargeBodiesAreRecordedAsExcerpts(t *testing.T) {
	other := "custom-other-credential-0123456789"
	unit := strings.Repeat("z", 997-len(testKey)-len(other)-2) + testKey + " " + other + " "
	description := strings.Repeat(unit, 300)
	body := `{"object":"payment_intent","description":"` + description + `"}`
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	})
	c := newTestClient(t, rs.URL, nil)
	reqBody := []byte(strings.Repeat("q", RecordedBody) + testKey + other + strings.Repeat("q", 100))
	r := mustDo(t, c, context.Background(), Request{Method: "POST", Path: "/v1/x", RawBody: reqBody, Auth: &other})

	if string(r.Body) != body {
		t.Fatalf("Response.Body is not the whole body (%d of %d bytes)", len(r.Body), len(body))
	}
	if obj, err := r.JSON(); err != nil || obj["description"] != description {
		t.Fatalf("JSON does not decode the whole body: %v", err)
	}
	ex := r.Exchange
	if len(ex.ResponseBody) > RecordedBody || !strings.HasPrefix(ex.ResponseBody, `{"object":"payment_intent","description":"zzz`) {
		t.Errorf("ResponseBody is not an excerpt of at most %d bytes: %d bytes", RecordedBody, len(ex.ResponseBody))
	}
	sum := sha256.Sum256([]byte(body))
	if ex.ResponseBodyCut == nil || ex.ResponseBodyCut.Bytes != len(body) || ex.ResponseBodyCut.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("ResponseBodyCut = %+v, want %d bytes and the body's sha256", ex.ResponseBodyCut, len(body))
	}
	if ex.RequestBodyCut == nil || ex.RequestBodyCut.Bytes != len(reqBody) || len(ex.RequestBody) > RecordedBody {
		t.Errorf("request body: %d bytes kept, cut %+v", len(ex.RequestBody), ex.RequestBodyCut)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 3*RecordedBody {
		t.Errorf("the exchange marshals to %d bytes", len(b))
	}
	sum2 := ex.Summary(0)
	curl := ex.Curl()
	for what, s := range map[string]string{"exchange JSON": string(b), "Summary": sum2, "Curl": curl} {
		assertNoLeak(t, what, s, testKey, other, "TopSecret", other[:20])
	}
	if !strings.Contains(sum2, "cut: "+itoa(len(body))+" bytes in all, sha256 "+ex.ResponseBodyCut.SHA256) {
		t.Errorf("Summary does not say the body was cut:\n%s", sum2)
	}
	if !strings.Contains(curl, "--data-binary @request-body") || strings.Contains(curl, "qqqq") {
		t.Errorf("Curl repeats an excerpt as if it were the request body: %s", curl)
	}
}

// TestNotJSONErrorExcerptDoesNotLeak: the excerpt in "response is not JSON" is cut without showing part of a
// per-request key that straddles the cut.
func TestNotJSONErrorExcerptDoesNotLeak(t *testing.T) {
	other := "custom-other-credential-0123456789"
	for at := 170; at <= 210; at++ {
		rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "<html>"+strings.Repeat("x", at-6)+other+strings.Repeat("y", 300))
		})
		c := newTestClient(t, rs.URL, nil)
		r := mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/html", Auth: &other})
		_, err := r.JSON()
		if err == nil {
			t.Fatal("HTML decoded as JSON")
		}
		assertNoLeak(t, "JSON error", err.Error(), other[:10])
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestRecorderKeepsFirstAndLast: past RecorderFirst+RecorderLast exchanges, the recorder keeps the first and the
// most recent ones, in order, and counts the rest.
func TestRecorderKeepsFirstAndLast(t *testing.T) {
	rec := NewRecorder()
	const n = RecorderFirst + RecorderLast + 25
	for i := range n {
		rec.add(&Exchange{URL: itoa(i)})
	}
	got := rec.Exchanges()
	if len(got) != RecorderFirst+RecorderLast || rec.Omitted() != 25 || rec.Count() != n {
		t.Fatalf("kept %d, omitted %d, count %d", len(got), rec.Omitted(), rec.Count())
	}
	for i, e := range got {
		want := i
		if i >= RecorderFirst {
			want = i + 25
		}
		if e.URL != itoa(want) {
			t.Fatalf("exchange %d is #%s, want #%d", i, e.URL, want)
		}
	}
}
