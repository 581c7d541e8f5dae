package redact

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestRegisterAndSecrets(t *testing.T) {
	Register("", "registry-test-secret-1", "registry-test-secret-1")
	Register("registry-test-secret-2")
	got := Secrets("local-secret", "", "registry-test-secret-2")
	if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
		t.Errorf("Secrets repeats a value: %q", got)
	}
	// The caller's come first; other tests of the package may have registered more.
	mine := slices.DeleteFunc(got, func(s string) bool { return !strings.HasPrefix(s, "local-") && !strings.HasPrefix(s, "registry-test-") })
	if want := []string{"local-secret", "registry-test-secret-2", "registry-test-secret-1"}; !slices.Equal(mine, want) {
		t.Errorf("Secrets = %q, want %q", mine, want)
	}
	if out := String("a registry-test-secret-1 b", Secrets()...); strings.Contains(out, "registry-test-secret-1") {
		t.Errorf("a registered secret is shown: %s", out)
	}
}

// Register and Secrets may be called from several goroutines (parallel specs share one process's registry); run
// with -race.
func TestRegistryIsSafeForConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				Register(fmt.Sprintf("concurrent-secret-%d-%d", i, j%5))
				_ = Secrets("x")
			}
		})
	}
	wg.Wait()
	n := 0
	for _, s := range Secrets() {
		if strings.HasPrefix(s, "concurrent-secret-") {
			n++
		}
	}
	if n != 40 {
		t.Errorf("%d concurrent secrets registered, want 40 (each once)", n)
	}
}
