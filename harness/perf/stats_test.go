package perf

import (
	"math"
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{10, 1, 4, 3}, 3.5}, // even: mean of the two middle values, after sorting
		{[]float64{7, 7, 1, 100, 7}, 7},
		{[]float64{-2, -8}, -5},
	} {
		in := slices.Clone(tc.in)
		if got := Median(in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("Median(%v) reordered its argument to %v", tc.in, in)
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestSummarize(t *testing.T) {
	got := Summarize([]float64{4, 9, 1, 6})
	want := Spread{N: 4, Min: 1, Median: 5, Max: 9}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	empty := Summarize(nil)
	if empty.N != 0 || !math.IsNaN(empty.Min) || !math.IsNaN(empty.Median) || !math.IsNaN(empty.Max) {
		t.Errorf("Summarize(nil) = %+v, want N 0 and NaNs", empty)
	}
}

func TestRatio(t *testing.T) {
	if got := Ratio(84, 2); got != 42 {
		t.Errorf("Ratio(84, 2) = %v, want 42", got)
	}
	for _, tc := range [][2]float64{{1, 0}, {math.NaN(), 1}, {1, math.NaN()}} {
		if got := Ratio(tc[0], tc[1]); !math.IsNaN(got) {
			t.Errorf("Ratio(%v, %v) = %v, want NaN", tc[0], tc[1], got)
		}
	}
}

func TestCompare(t *testing.T) {
	// Three rounds of (full-spec load, pinned set-up) in ms; the second round ran on a busy machine.
	c := Compare([]float64{1000, 3000, 1200}, []float64{10, 100, 12, 99})
	if c.Rounds != 3 {
		t.Fatalf("Rounds = %d, want 3 (the fourth b sample has no partner)", c.Rounds)
	}
	if c.Ratio != 100 {
		t.Errorf("Ratio = %v, want the median of the per-round ratios 100, 30, 100 = 100", c.Ratio)
	}
	if c.Low != 30 || c.High != 100 {
		t.Errorf("Low, High = %v, %v; want 30, 100", c.Low, c.High)
	}
	if c.A.Median != 1200 || c.B.Median != 55.5 {
		t.Errorf("medians %v and %v, want 1200 and 55.5 (all samples)", c.A.Median, c.B.Median)
	}
	if none := Compare([]float64{1}, nil); !math.IsNaN(none.Ratio) || none.Rounds != 0 {
		t.Errorf("Compare with no b samples = %+v, want NaN over 0 rounds", none)
	}
}
