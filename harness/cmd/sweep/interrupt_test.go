package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pi-conformance/suite/harness/framework"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/reference"
)

// TestInterruptedRunCleansUpOrSaysHowToSweep builds the suite binary, runs it against a slow reference target and
// sends it SIGINT (what Ctrl-C does) at a chosen request, then holds the target's state to what Ginkgo promises on a
// first interrupt: the running spec's cleanup still runs. What is left cancelable must be exactly what the sweep then
// releases, and the console must name the run and the sweep command.
func TestInterruptedRunCleansUpOrSaysHowToSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: builds the suite and runs it")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH, so the suite cannot be built")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "suite.test")
	bctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(bctx, goTool, "test", "-c", "-o", bin, "./suites/cancel")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c ./suites/cancel: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		name string
		// at picks the request during which SIGINT is sent (n counts the tagged creates seen so far, this one
		// included); the request then reaches the reference and its answer is delayed, so the signal lands while
		// the spec waits for it.
		at func(r *http.Request, body string, n int) bool
		// lostCreate: the interrupted request is a create, whose answer the spec never gets: its object is unknown
		// to the spec's cleanup and may be left (for the sweep).
		lostCreate bool
	}{
		{name: "in a spec, during a refused cancel", at: func(r *http.Request, body string, n int) bool {
			// the spec for an invalid cancellation_reason: its intent stays cancelable, and the spec knows it
			return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/cancel") && strings.Contains(body, "cancellation_reason=bogus")
		}},
		// With seed 1 the next two land in a spec's cleanup (DeferCleanup): its cancel, and its read before it.
		{name: "during a later write", at: func(r *http.Request, body string, n int) bool {
			return n >= 6 && r.Method == "POST" && strings.Count(r.URL.Path, "/") == 4 // /v1/payment_intents/{id}/{action}
		}},
		{name: "during a read", at: func(r *http.Request, body string, n int) bool {
			return n >= 6 && r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/")
		}},
		{name: "during a create", lostCreate: true, at: func(r *http.Request, body string, n int) bool {
			return n == 6 && r.Method == "POST" && r.URL.Path == "/v1/payment_intents"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			interruptedRun(t, bin, tc.at, tc.lostCreate)
		})
	}
}

func interruptedRun(t *testing.T, bin string, at func(*http.Request, string, int) bool, lostCreate bool) {
	ref := reference.New(reference.Options{ResponseDelay: 50 * time.Millisecond})
	var (
		mu      sync.Mutex
		creates int
		proc    *os.Process
		fired   bool
		lost    = map[string]bool{} // ids created by the interrupted request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		if r.Method == "POST" && r.URL.Path == "/v1/payment_intents" {
			creates++
		}
		fire := !fired && proc != nil && at(r, string(body), creates)
		if fire {
			fired = true
			_ = proc.Signal(syscall.SIGINT)
		}
		mu.Unlock()
		if !fire {
			ref.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		ref.ServeHTTP(rec, r)
		var obj map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &obj) == nil && obj["object"] == "payment_intent" {
			id, _ := obj["id"].(string)
			mu.Lock()
			lost[id] = true
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
	}))
	defer srv.Close()

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-ginkgo.no-color", "-ginkgo.seed=1", "-test.timeout=3m")
	cmd.Dir = dir
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CONFORMANCE_") }),
		"CONFORMANCE_TARGET_URL="+srv.URL, "CONFORMANCE_API_KEY="+testKey, "CONFORMANCE_PROFILE=reference",
		"CONFORMANCE_REPORT_DIR="+filepath.Join(dir, "report"), "CONFORMANCE_CONFIG="+filepath.Join(moduleRoot(t), "ginkgo.yaml"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	proc = cmd.Process
	mu.Unlock()
	err := cmd.Wait()
	console := out.String()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("the suite did not finish:\n%s", tail(console))
	}
	mu.Lock()
	wasFired := fired
	mu.Unlock()
	if !wasFired || err == nil || !strings.Contains(console, "Interrupted by User") {
		t.Fatalf("the run was not interrupted (fired %v, exit %v):\n%s", wasFired, err, tail(console))
	}

	// The console names the run and how to sweep it.
	m := regexp.MustCompile(`go run \./harness/cmd/sweep -run (\S+)`).FindStringSubmatch(console)
	if m == nil {
		t.Fatalf("the console does not say how to sweep the interrupted run:\n%s", tail(console))
	}
	interrupted := m[1]
	if where := regexp.MustCompile(`\[INTERRUPTED\] .*?\[(It|DeferCleanup[^\]]*|BeforeEach)\]`).FindStringSubmatch(console); where != nil {
		t.Logf("the interrupt landed in %s", where[1])
	}

	left := func() (ids []string, tagged int) {
		for _, pi := range ref.Intents() {
			if pi.Metadata[framework.RunMetadataKey] != interrupted {
				continue
			}
			tagged++
			if slices.Contains(labels.Cancelable, pi.Status) {
				ids = append(ids, pi.ID)
			}
		}
		slices.Sort(ids)
		return ids, tagged
	}
	after, tagged := left()
	t.Logf("run %s: %d tagged intents, %d left cancelable after the interrupt: %v", interrupted, tagged, len(after), after)
	if tagged < 6 {
		t.Fatalf("only %d tagged intents: the interrupt came too early to mean anything", tagged)
	}
	// Only the object whose create answer was lost may be left.
	for _, id := range after {
		if !lostCreate || !lost[id] {
			t.Errorf("%s was left cancelable although its spec's cleanup knew of it", id)
		}
	}

	// The sweep releases exactly what was left.
	t.Setenv("CONFORMANCE_TARGET_URL", srv.URL)
	t.Setenv("CONFORMANCE_API_KEY", testKey)
	for _, k := range []string{"CONFORMANCE_CONFIG", "CONFORMANCE_PROFILE", "CONFORMANCE_REPORT_DIR", "CONFORMANCE_REFERENCE_DELAY"} {
		t.Setenv(k, "")
	}
	var sout bytes.Buffer
	code := run(context.Background(), []string{"-run", interrupted}, time.Now, &sout, &sout)
	if code != 0 {
		t.Fatalf("sweep exit %d:\n%s", code, sout.String())
	}
	released := regexp.MustCompile(`(?m)^(pi_\S+)\s+payment_intent\s+\S+\s+cancel\s+canceled$`).FindAllStringSubmatch(sout.String(), -1)
	var ids []string
	for _, r := range released {
		ids = append(ids, r[1])
	}
	slices.Sort(ids)
	if !slices.Equal(ids, after) {
		t.Errorf("the sweep released %v, want exactly what was left: %v\n%s", ids, after, sout.String())
	}
	if rest, _ := left(); len(rest) > 0 {
		t.Errorf("still cancelable after the sweep: %v", rest)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// tail is the end of a console output, enough to see why a run ended.
func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
