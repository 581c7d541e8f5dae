package perf

import (
	"slices"
	"strings"
	"testing"
)

// A -count 2 run as `go test -bench -benchmem` prints it, with a log line, a name printed alone before its result
// (a benchmark that logged), a custom metric and a GOMAXPROCS=1 line without a suffix.
const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/pi-conformance/suite/harness/schema
cpu: AMD EPYC
BenchmarkSetup/pinned-2         	      91	  12910817 ns/op	 5670302 B/op	   64987 allocs/op
BenchmarkSetup/pinned-2         	      90	  13100000 ns/op	 5670302 B/op	   64985 allocs/op
BenchmarkSetup/full-spec3-kin-loader-2
    bench_test.go:30: loading spec3.json
BenchmarkSetup/full-spec3-kin-loader-2         	       1	1084174787 ns/op	692423704 B/op	 2220273 allocs/op
BenchmarkSetup/full-spec3-kin-loader-2         	       1	 990000000 ns/op	692423704 B/op	 2220273 allocs/op
BenchmarkValidateCanceledPI/validate-2         	   26222	     45125 ns/op	  25.77 MB/s	   11048 B/op	     131 allocs/op
BenchmarkValidateCanceledPI/route-lookup-2     	 7049886	       168.0 ns/op	      64 B/op	       1 allocs/op
BenchmarkCustom	     100	       5.5 ns/op	         3.000 widgets/op
PASS
ok  	github.com/pi-conformance/suite/harness/schema	5.766s
`

func TestParseBench(t *testing.T) {
	run, err := ParseBench(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if run.GOOS != "linux" || run.GOARCH != "amd64" || run.CPU != "AMD EPYC" || run.Pkg != "github.com/pi-conformance/suite/harness/schema" {
		t.Errorf("header = %q %q %q %q", run.GOOS, run.GOARCH, run.CPU, run.Pkg)
	}
	if len(run.Results) != 7 {
		t.Fatalf("%d results, want 7: %+v", len(run.Results), run.Results)
	}
	first := run.Results[0]
	if first.Name != "BenchmarkSetup/pinned" || first.Procs != 2 || first.Iterations != 91 {
		t.Errorf("first result = %+v", first)
	}
	if first.Metrics[NsPerOp] != 12910817 || first.Metrics[BytesPerOp] != 5670302 || first.Metrics[AllocsPerOp] != 64987 {
		t.Errorf("first result metrics = %v", first.Metrics)
	}
	v := run.Results[4]
	if v.Name != "BenchmarkValidateCanceledPI/validate" || v.Metrics[MBPerSecond] != 25.77 || v.Metrics[NsPerOp] != 45125 {
		t.Errorf("validate result = %+v", v)
	}
	if rl := run.Results[5]; rl.Metrics[NsPerOp] != 168 {
		t.Errorf("route-lookup ns/op = %v, want 168 (a fractional value)", rl.Metrics[NsPerOp])
	}
	custom := run.Results[6]
	if custom.Name != "BenchmarkCustom" || custom.Procs != 1 || custom.Metrics["widgets/op"] != 3 {
		t.Errorf("unsuffixed result with a custom metric = %+v", custom)
	}

	if got := run.Samples("BenchmarkSetup/full-spec3-kin-loader", NsPerOp); !slices.Equal(got, []float64{1084174787, 990000000}) {
		t.Errorf("Samples(full) = %v", got)
	}
	if got := run.Samples("BenchmarkSetup/pinned", MBPerSecond); len(got) != 0 {
		t.Errorf("Samples of a metric the benchmark does not report = %v, want none", got)
	}
	if m, n := run.Median("BenchmarkSetup/pinned", NsPerOp); n != 2 || m != (12910817+13100000)/2.0 {
		t.Errorf("Median(pinned) = %v over %d", m, n)
	}
	wantNames := []string{"BenchmarkSetup/pinned", "BenchmarkSetup/full-spec3-kin-loader", "BenchmarkValidateCanceledPI/validate",
		"BenchmarkValidateCanceledPI/route-lookup", "BenchmarkCustom"}
	if got := run.Names(); !slices.Equal(got, wantNames) {
		t.Errorf("Names = %v, want %v", got, wantNames)
	}
	if len(run.Failures) != 0 {
		t.Errorf("Failures = %v", run.Failures)
	}
}

func TestParseBenchFailures(t *testing.T) {
	out := "BenchmarkX-2   	 10	 100 ns/op\n--- FAIL: BenchmarkY/sub-2\n    bench_test.go:9: boom\nFAIL\n"
	run, err := ParseBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Failures) != 1 || !strings.Contains(run.Failures[0], "BenchmarkY/sub-2") {
		t.Errorf("Failures = %v", run.Failures)
	}
}

func TestParseBenchMalformed(t *testing.T) {
	for _, line := range []string{
		"BenchmarkX-2 	 ten	 100 ns/op",    // iteration count not a number
		"BenchmarkX-2 	 10	 fast ns/op",    // value not a number
		"BenchmarkX-2 	 10	 100 ns/op	 64", // unpaired value
		"BenchmarkX-2 	 10	 64 B/op",       // no ns/op
	} {
		if _, err := ParseBench(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("ParseBench(%q) succeeded, want an error", line)
		}
	}
}
