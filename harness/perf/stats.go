// Package perf turns the suite's measurements into figures: it parses `go test -bench` output, the Ginkgo JSON
// report of a suite run (with the per-spec "conformance.perf" report entries) and Go's GODEBUG=gctrace=1
// lines, and does the small arithmetic (medians, ratios, spreads) the performance table needs.
//
// Nothing here times anything itself: the figures come from benchmarks and from the timestamps Ginkgo and the
// framework record, so that one command (harness/cmd/perf) can reproduce them on any machine. On a noisy machine,
// quote ratios from one run rather than absolute values.
package perf

import (
	"math"
	"slices"
)

// Median returns the median of xs (the mean of the two middle values when the count is even), or NaN when xs is
// empty. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Spread is the minimum, median and maximum of a set of values.
type Spread struct {
	N                int
	Min, Median, Max float64
}

// Summarize returns the spread of xs (NaNs when xs is empty).
func Summarize(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{Min: math.NaN(), Median: math.NaN(), Max: math.NaN()}
	}
	return Spread{N: len(xs), Min: slices.Min(xs), Median: Median(xs), Max: slices.Max(xs)}
}

// Ratio returns a/b, or NaN when b is 0 or either value is NaN.
func Ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// Comparison compares two metrics measured side by side in rounds: a[i] and b[i] come from the same round (one
// run of the benchmark binary), so a machine that gets busy for a while skews both sides of a round alike.
type Comparison struct {
	A, B Spread
	// Ratio is the median of the per-round ratios a[i]/b[i].
	Ratio float64
	// Low and High are the smallest and largest per-round ratios.
	Low, High float64
	// Rounds is the number of ratios.
	Rounds int
}

// Compare compares a against b round by round. Samples beyond the shorter slice are ignored.
func Compare(a, b []float64) Comparison {
	n := min(len(a), len(b))
	ratios := make([]float64, 0, n)
	for i := range n {
		ratios = append(ratios, Ratio(a[i], b[i]))
	}
	r := Summarize(ratios)
	return Comparison{A: Summarize(a), B: Summarize(b), Ratio: r.Median, Low: r.Min, High: r.Max, Rounds: n}
}
