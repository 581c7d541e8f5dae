package perf

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Benchmark metric units, as `go test -bench -benchmem` prints them.
const (
	NsPerOp     = "ns/op"
	BytesPerOp  = "B/op"
	AllocsPerOp = "allocs/op"
	MBPerSecond = "MB/s"
)

// BenchResult is one result line of `go test -bench`.
type BenchResult struct {
	// Name is the benchmark's full name without the GOMAXPROCS suffix: "BenchmarkSetup/pinned".
	Name string
	// Procs is the GOMAXPROCS suffix ("-2"), or 1 when the line has none (Go omits it when GOMAXPROCS is 1).
	Procs int
	// Iterations is b.N.
	Iterations int64
	// Metrics maps a unit ("ns/op", "B/op", "allocs/op", "MB/s", or a b.ReportMetric unit) to its value.
	Metrics map[string]float64
}

// BenchRun is the parsed output of one `go test -bench` run.
type BenchRun struct {
	// Results are in output order; with -count N a benchmark appears N times.
	Results []BenchResult
	// Header lines: goos, goarch, pkg, cpu (empty when absent).
	GOOS, GOARCH, Pkg, CPU string
	// Failures are the "--- FAIL: ..." lines.
	Failures []string
}

var procsSuffix = regexp.MustCompile(`^(.*)-(\d+)$`)

// ParseBench reads `go test -bench` output. Lines that are not results (logs, PASS, ok) are ignored; a line that
// starts like a result but does not parse is an error, so a format change cannot go unnoticed.
func ParseBench(r io.Reader) (BenchRun, error) {
	var run BenchRun
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		for _, h := range []struct {
			prefix string
			dst    *string
		}{{"goos: ", &run.GOOS}, {"goarch: ", &run.GOARCH}, {"pkg: ", &run.Pkg}, {"cpu: ", &run.CPU}} {
			if v, ok := strings.CutPrefix(text, h.prefix); ok {
				*h.dst = strings.TrimSpace(v)
			}
		}
		if strings.HasPrefix(strings.TrimSpace(text), "--- FAIL: Benchmark") {
			run.Failures = append(run.Failures, strings.TrimSpace(text))
			continue
		}
		if !strings.HasPrefix(text, "Benchmark") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) == 1 {
			continue // the name alone: the benchmark logged something before its result line
		}
		res, err := parseBenchLine(fields)
		if err != nil {
			return run, fmt.Errorf("benchmark output line %d %q: %w", line, text, err)
		}
		run.Results = append(run.Results, res)
	}
	if err := sc.Err(); err != nil {
		return run, fmt.Errorf("reading benchmark output: %w", err)
	}
	return run, nil
}

func parseBenchLine(fields []string) (BenchResult, error) {
	res := BenchResult{Name: fields[0], Procs: 1, Metrics: map[string]float64{}}
	if m := procsSuffix.FindStringSubmatch(fields[0]); m != nil {
		p, err := strconv.Atoi(m[2])
		if err == nil && p > 0 {
			res.Name, res.Procs = m[1], p
		}
	}
	n, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return res, fmt.Errorf("iteration count %q is not an integer", fields[1])
	}
	res.Iterations = n
	rest := fields[2:]
	if len(rest) == 0 || len(rest)%2 != 0 {
		return res, fmt.Errorf("expected value/unit pairs after the iteration count, got %d fields", len(rest))
	}
	for i := 0; i < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil {
			return res, fmt.Errorf("value %q (unit %q) is not a number", rest[i], rest[i+1])
		}
		res.Metrics[rest[i+1]] = v
	}
	if _, ok := res.Metrics[NsPerOp]; !ok {
		return res, fmt.Errorf("no %s value", NsPerOp)
	}
	return res, nil
}

// Samples returns the values of unit for every result named name, in output order.
func (r BenchRun) Samples(name, unit string) []float64 {
	var out []float64
	for _, res := range r.Results {
		if res.Name != name {
			continue
		}
		if v, ok := res.Metrics[unit]; ok {
			out = append(out, v)
		}
	}
	return out
}

// Names returns the distinct benchmark names in order of first appearance.
func (r BenchRun) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Name] {
			seen[res.Name] = true
			out = append(out, res.Name)
		}
	}
	return out
}

// Median returns the median of unit over the results named name, and how many there were.
func (r BenchRun) Median(name, unit string) (float64, int) {
	s := r.Samples(name, unit)
	return Median(s), len(s)
}
