package redact

import (
	"slices"
	"sync"
)

// registry holds the values that must never be shown anywhere in this process: the run's API key, registered once
// by the suite. It is the one list of secrets: the client's exchanges, the matchers' failure messages and the
// reports mask these besides the secrets their callers pass them.
var registry struct {
	mu     sync.RWMutex
	values []string
}

// Register adds values to the process's secrets (empty and already registered values are ignored). It is safe for
// concurrent use.
func Register(values ...string) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, v := range values {
		if v != "" && !slices.Contains(registry.values, v) {
			registry.values = append(registry.values, v)
		}
	}
}

// Secrets returns the non-empty values of extra followed by the registered secrets, each once, in a new slice: the
// list to pass to String, Head or Header.
func Secrets(extra ...string) []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	out := make([]string, 0, len(extra)+len(registry.values))
	for _, v := range slices.Concat(extra, registry.values) {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
