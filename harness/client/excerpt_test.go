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

// TestRecorderSlimsOlderBodies: all but the RecorderFullBodies most recent exchanges come back with bodies cut to
// SlimBody bytes, marked with the whole body's size and digest; the recorded exchanges themselves are unchanged.
func TestRecorderSlimsOlderBodies(t *testing.T) {
	body := `{"description":"` + strings.Repeat("d", 3000) + `"}`
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
	rec := NewRecorder()
	c := newTestClient(t, rs.URL, nil).WithRecorder(rec)
	for range 6 {
		mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/v1/x"})
	}
	sum := sha256.Sum256([]byte(body))
	got := rec.Exchanges()
	for i, e := range got {
		if i < len(got)-RecorderFullBodies {
			if len(e.ResponseBody) > SlimBody || e.ResponseBodyCut == nil || e.ResponseBodyCut.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("exchange %d: %d bytes kept, cut %+v", i, len(e.ResponseBody), e.ResponseBodyCut)
			}
		} else if e.ResponseBody != body || e.ResponseBodyCut != nil {
			t.Errorf("exchange %d (recent): %d bytes kept, cut %+v", i, len(e.ResponseBody), e.ResponseBodyCut)
		}
	}
	if again := rec.Exchanges(); again[0].ResponseBody != got[0].ResponseBody || len(rec.Exchanges()[len(got)-1].ResponseBody) != len(body) {
		t.Error("Exchanges changed what the recorder holds")
	}
}

// TestRecordedHeadersAreBounded: a response with sixty long headers, one echoing the key across the value cut,
// is recorded with at most maxHeaderFields fields of bounded values, and no part of the key.
func TestRecordedHeadersAreBounded(t *testing.T) {
	rs := newRecServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		for i := range 60 { // 54 KB in all, under MaxResponseHeader
			w.Header().Set("X-Pad-"+itoa(1000+i), strings.Repeat("p", 900))
		}
		// The value cut falls inside the key, leaving "sk_test_51Top", too short for the key pattern: only
		// redacting before cutting masks it.
		w.Header().Set("X-Echo", strings.Repeat("e", maxHeaderValue-13)+testKey)
		_, _ = io.WriteString(w, "{}")
	})
	c := newTestClient(t, rs.URL, nil)
	r := mustDo(t, c, context.Background(), Request{Method: "GET", Path: "/v1/x"})
	b, _ := json.Marshal(r.Exchange.ResponseHeader)
	if len(r.Exchange.ResponseHeader) > maxHeaderFields+1 || len(b) > (maxHeaderFields+1)*(maxHeaderValue+64) {
		t.Errorf("recorded %d header fields, %d bytes", len(r.Exchange.ResponseHeader), len(b))
	}
	assertNoLeak(t, "recorded headers", string(b), testKey, testKey[:12])
	if r.Header.Get("X-Pad-1059") == "" {
		t.Error("Response.Header is not the whole header")
	}
}
