package perf

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
)

// GCTrace summarises the GODEBUG=gctrace=1 lines a Go process writes to stderr, one per collection:
//
//	gc 3 @0.051s 4%: 0.016+1.5+0.020 ms clock, ..., 7->8->3 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P
//
// where "7->8->3 MB" is the heap at the start of the collection, at its end, and the live heap it marked.
type GCTrace struct {
	// Cycles is the number of collections.
	Cycles int
	// PeakHeapMB is the largest heap size at the start or end of a collection (MB, as the runtime rounds it).
	PeakHeapMB int
	// PeakLiveMB is the largest live (marked) heap after a collection.
	PeakLiveMB int
	// PeakGoalMB is the largest heap goal.
	PeakGoalMB int
}

var gcLine = regexp.MustCompile(`^gc \d+ @[0-9.]+s .*?(\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// ParseGCTrace reads a process's stderr and summarises its gctrace lines; other lines are ignored.
func ParseGCTrace(r io.Reader) (GCTrace, error) {
	var t GCTrace
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v := make([]int, 4)
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1]) // the pattern only admits digits
		}
		t.Cycles++
		t.PeakHeapMB = max(t.PeakHeapMB, v[0], v[1])
		t.PeakLiveMB = max(t.PeakLiveMB, v[2])
		t.PeakGoalMB = max(t.PeakGoalMB, v[3])
	}
	return t, sc.Err()
}
