package schema

import (
	"strings"
	"testing"
)

// TestIssuesAreBounded: the pointer into a 9000-deep body and a reason quoting a huge value are shortened, keeping
// both ends of the pointer.
func TestIssuesAreBounded(t *testing.T) {
	ptr := "/metadata/nested" + strings.Repeat("/n", 9000) + "/é"
	is := bounded(Issue{Pointer: ptr, Reason: "value " + strings.Repeat("x", 1<<20) + " is bad"})
	if len(is.Pointer) > maxPointer+40 || !strings.HasPrefix(is.Pointer, "/metadata/nested/n/n") ||
		!strings.HasSuffix(is.Pointer, "/n/n/é") || !strings.Contains(is.Pointer, "(9003 segments in all)") {
		t.Errorf("pointer not bounded: %d bytes: %.400s", len(is.Pointer), is.Pointer)
	}
	if len(is.Reason) > maxReason+40 || !strings.HasSuffix(is.Reason, "bytes)") {
		t.Errorf("reason not bounded: %d bytes", len(is.Reason))
	}
	if short := (Issue{Pointer: "/a/b", Reason: "r"}); bounded(short) != short {
		t.Errorf("a short issue changed: %v", bounded(short))
	}
}
