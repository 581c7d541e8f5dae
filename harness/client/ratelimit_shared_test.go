package client

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func serveBucket(t *testing.T, perSecond float64, burst int) *BucketServer {
	t.Helper()
	s, err := ServeBucket(perSecond, burst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func remote(t *testing.T, s *BucketServer) *RemoteBucket {
	t.Helper()
	rb, err := NewRemoteBucket(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rb.CloseIdleConnections)
	return rb
}

// maxInWindow is the largest number of times within any window of length w.
func maxInWindow(at []time.Time, w time.Duration) int {
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	most := 0
	for i := range at {
		k := i
		for k < len(at) && at[k].Sub(at[i]) < w {
			k++
		}
		most = max(most, k-i)
	}
	return most
}

// Two clients, as two Ginkgo processes would, each with its own RemoteBucket of one served bucket: together they
// never send more than the one budget allows in any window (a count of arrivals at the target; no duration is
// asserted). Two unshared buckets would let twice as many through.
func TestSharedBucketIsShared(t *testing.T) {
	const rate, burst, perClient = 20.0, 2, 10
	srv := serveBucket(t, rate, burst)
	rs := newRecServer(t, nil)
	var clients []*Client
	for i := 0; i < 2; i++ {
		rb := remote(t, srv)
		clients = append(clients, newTestClient(t, rs.URL, func(c *Config) { c.Throttle = rb }))
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		for j := 0; j < perClient; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Get(context.Background(), "/x", nil); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	var at []time.Time
	for _, r := range rs.requests() {
		at = append(at, r.At)
	}
	if len(at) != 2*perClient {
		t.Fatalf("the target saw %d requests, want %d", len(at), 2*perClient)
	}
	// In 250ms the budget allows the burst plus 5 tokens; one more for timer jitter. Unshared: 2 × 7 = 14.
	window := 250 * time.Millisecond
	allowed := burst + int(rate*window.Seconds()) + 1
	if got := maxInWindow(at, window); got > allowed {
		t.Errorf("%d requests reached the target within %s; one shared budget of %g/s (burst %d) allows %d", got, window, rate, burst, allowed)
	}
	for i, c := range clients {
		if s := c.Stats(); s.Attempts != perClient || s.ThrottleTime <= 0 {
			t.Errorf("client %d: %+v", i, s)
		}
	}
}

// A race of five through a RemoteBucket takes five tokens in one reservation: the five requests are in flight at
// the target together although the rate is one a second, and the served bucket is charged for all five.
func TestRemoteRaceTakesItsTokensTogether(t *testing.T) {
	const n = 5
	srv := serveBucket(t, 1, n)
	rs := barrierServer(t, n)
	c := newTestClient(t, rs.URL, func(c *Config) { c.Throttle = remote(t, srv) })
	for i, body := range race(t, c, n) {
		if body != `{"together":true}` {
			t.Errorf("racing request %d was not in flight with the others: %s", i, body)
		}
	}
	if tok := srv.Bucket().Tokens(); tok >= 1 {
		t.Errorf("the shared bucket still holds %.2f tokens after a race of %d", tok, n)
	}
}

// The remote protocol's failures: a deadline the wait would pass, a caller that gives up (its tokens go back), a
// group larger than the bucket, a server that is gone, a URL off loopback.
func TestRemoteBucketFailures(t *testing.T) {
	srv := serveBucket(t, 1, 2)
	rb := remote(t, srv)
	ctx := context.Background()
	if err := rb.WaitN(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// The bucket is empty: a token takes a second.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := rb.WaitN(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a wait past the deadline: want DeadlineExceeded, got %v", err)
	}
	before := srv.Bucket().Tokens()
	gone, cancelGone := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancelGone)
	if err := rb.WaitN(gone, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait: want Canceled, got %v", err)
	}
	// The cancelled wait's token goes back once the server sees the caller leave (asynchronously, so look a few
	// times, bounded): the bucket then holds at least what it held before (it also refilled).
	after := srv.Bucket().Tokens()
	for i := 0; i < 50 && after < before; i++ {
		time.Sleep(10 * time.Millisecond)
		after = srv.Bucket().Tokens()
	}
	if after < before {
		t.Errorf("tokens %.2f before a cancelled wait, %.2f after: the reservation was not returned", before, after)
	}
	if err := rb.WaitN(ctx, 3); err == nil || !strings.Contains(err.Error(), "holds 2 tokens") {
		t.Errorf("3 tokens from a bucket of 2: %v", err)
	}
	_ = srv.Close()
	err := rb.WaitN(ctx, 1)
	if err == nil || !strings.Contains(err.Error(), "process 1") {
		t.Errorf("a closed bucket: want an error naming process 1, got %v", err)
	}
	for _, u := range []string{"http://192.0.2.1:80/bucket/x", "ftp://127.0.0.1/x", "not a url"} {
		if _, err := NewRemoteBucket(u); err == nil {
			t.Errorf("NewRemoteBucket(%q) accepted", u)
		}
	}
}
