package perf

import (
	"strings"
	"testing"
)

func TestParseGCTrace(t *testing.T) {
	stderr := strings.Join([]string{
		"gc 1 @0.004s 2%: 0.016+1.2+0.003 ms clock, 0.032+0.30/1.0/0+0.006 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		"Running Suite: PaymentIntent cancel conformance",
		"gc 2 @0.030s 5%: 0.020+2.1+0.004 ms clock, 0.040+0.5/2.0/0+0.008 ms cpu, 12->13->6 MB, 12 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		"gc 3 @0.090s 4%: 0.010+1.0+0.002 ms clock, 0.020+0.2/1.0/0+0.004 ms cpu, 9->9->7 MB, 14 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)",
		"gc 4 is not a trace line",
	}, "\n")
	got, err := ParseGCTrace(strings.NewReader(stderr))
	if err != nil {
		t.Fatal(err)
	}
	want := GCTrace{Cycles: 3, PeakHeapMB: 13, PeakLiveMB: 7, PeakGoalMB: 14}
	if got != want {
		t.Errorf("ParseGCTrace = %+v, want %+v", got, want)
	}
	none, err := ParseGCTrace(strings.NewReader("PASS\n"))
	if err != nil || none != (GCTrace{}) {
		t.Errorf("no trace lines: %+v, %v", none, err)
	}
}
