package perf

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// Bucket is a component of a process that CPU samples are attributed to: a sample belongs to it when any frame of
// its stack (inlined frames included) starts with one of Prefixes.
type Bucket struct {
	Name     string
	Prefixes []string
}

func (b Bucket) matches(frames []string) bool {
	for _, f := range frames {
		for _, p := range b.Prefixes {
			if strings.HasPrefix(f, p) {
				return true
			}
		}
	}
	return false
}

const mod = "github.com/pi-conformance/suite/"

// SuiteOutside are the frames of work outside the measured window of a suite run: suite-level nodes
// (SynchronizedBeforeSuite with the schema load, after-suite and report nodes) and package initialisation.
var SuiteOutside = Bucket{Name: "outside the window (set-up, reports, init)", Prefixes: []string{
	"github.com/onsi/ginkgo/v2/internal.(*Suite).runSuiteNode",
	"github.com/onsi/ginkgo/v2/internal.(*Suite).runReportSuiteNode",
	"runtime.doInit",
}}

// SuitePriority are the components a sample belongs to whenever any frame of its stack matches, checked before
// SuiteBuckets: the reference target's goroutines (their time is the target's, counted as waiting on it) and the
// failure-message rendering the matchers do for every assertion, passing or not (what it calls, e.g. redaction,
// would not run without it).
var SuitePriority = []Bucket{
	{Name: "reference target, in-process (the target's time)", Prefixes: []string{mod + "harness/reference.", "net/http.(*conn).serve"}},
	{Name: "matchers: exchange summary rendered for every assertion", Prefixes: []string{mod + "harness/matchers.exchange"}},
}

// SuiteBuckets attribute the other samples by their innermost matching frame: a sample in encoding/json called by
// the client's response decoding is the decoding's, one in regexp called by the redaction is the redaction's.
var SuiteBuckets = []Bucket{
	{Name: "redaction of every recorded exchange (harness/redact)", Prefixes: []string{mod + "harness/redact."}},
	{Name: "schema validation (harness/schema, kin-openapi)", Prefixes: []string{mod + "harness/schema.", "github.com/getkin/kin-openapi/"}},
	{Name: "response JSON decode (client.Response.JSON)", Prefixes: []string{mod + "harness/client.(*Response).JSON", mod + "harness/client.parseObject"}},
	{Name: "network and other syscalls (net/http, net, poll)", Prefixes: []string{"net/http.", "net.", "internal/poll.", "syscall.", "internal/runtime/syscall."}},
	{Name: "client: the rest (request building, recording, stats)", Prefixes: []string{mod + "harness/client."}},
	{Name: "framework: sessions and cleanup", Prefixes: []string{mod + "harness/framework."}},
	{Name: "matchers: the checks", Prefixes: []string{mod + "harness/matchers."}},
	{Name: "specs and drivers", Prefixes: []string{mod + "suites/", mod + "fixtures/"}},
	{Name: "Ginkgo and Gomega", Prefixes: []string{"github.com/onsi/"}},
	{Name: "garbage collector (background workers)", Prefixes: []string{"runtime.gcBgMarkWorker"}},
}

// OtherBucket names samples no bucket matched.
const OtherBucket = "other (runtime, scheduler)"

// Share is the CPU time attributed to one bucket.
type Share struct {
	Name     string
	CPU      time.Duration
	Fraction float64 // of the attributed CPU (outside excluded)
}

// Attribution is the result of Attribute.
type Attribution struct {
	// Shares follow the priority buckets, then the buckets, then OtherBucket; empty ones are included.
	Shares []Share
	// Outside is the CPU time of samples matching the outside bucket; Total that of the others.
	Outside, Total time.Duration
	Profiles       int
}

// Attribute assigns the CPU time of every sample of the profiles to one component. A sample any of whose frames
// matches outside is counted apart; else it goes to the first priority bucket any of its frames matches; else to
// the bucket of its innermost frame that matches one (the first such bucket in order); else to OtherBucket. The
// profiles must be CPU profiles (a "cpu" sample type in nanoseconds).
func Attribute(profiles []*profile.Profile, outside Bucket, priority, buckets []Bucket) (Attribution, error) {
	a := Attribution{Profiles: len(profiles)}
	all := append(slices.Clone(priority), buckets...)
	cpu := make([]time.Duration, len(all)+1)
	for _, p := range profiles {
		idx := slices.IndexFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == "cpu" && st.Unit == "nanoseconds" })
		if idx < 0 {
			return a, fmt.Errorf("not a CPU profile: no cpu/nanoseconds sample type")
		}
		for _, s := range p.Sample {
			v := time.Duration(s.Value[idx])
			frames := frameNames(s)
			if outside.matches(frames) {
				a.Outside += v
				continue
			}
			a.Total += v
			cpu[classify(frames, priority, buckets)] += v
		}
	}
	for i, d := range cpu {
		name := OtherBucket
		if i < len(all) {
			name = all[i].Name
		}
		a.Shares = append(a.Shares, Share{Name: name, CPU: d, Fraction: Ratio(float64(d), float64(a.Total))})
	}
	return a, nil
}

// classify returns the index of the sample's component in priority+buckets, len(priority)+len(buckets) for other.
// frames are innermost first.
func classify(frames []string, priority, buckets []Bucket) int {
	if i := slices.IndexFunc(priority, func(b Bucket) bool { return b.matches(frames) }); i >= 0 {
		return i
	}
	for _, f := range frames {
		one := []string{f}
		if i := slices.IndexFunc(buckets, func(b Bucket) bool { return b.matches(one) }); i >= 0 {
			return len(priority) + i
		}
	}
	return len(priority) + len(buckets)
}

// frameNames lists a sample's function names, innermost first (a location's inlined functions come first in its
// Line slice too).
func frameNames(s *profile.Sample) []string {
	var out []string
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function != nil {
				out = append(out, ln.Function.Name)
			}
		}
	}
	return out
}

// ReadProfiles parses the profile files at paths.
func ReadProfiles(paths []string) ([]*profile.Profile, error) {
	var out []*profile.Profile
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, p)
	}
	return out, nil
}
