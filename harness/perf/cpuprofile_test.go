package perf

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// cpuProfile builds a CPU profile whose samples have the given stacks (innermost first) and CPU times.
func cpuProfile(samples map[time.Duration][]string) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     int64(10 * time.Millisecond),
	}
	fns := map[string]*profile.Function{}
	var id uint64
	for v, stack := range samples {
		s := &profile.Sample{Value: []int64{1, int64(v)}}
		for _, name := range stack {
			f := fns[name]
			if f == nil {
				id++
				f = &profile.Function{ID: id, Name: name}
				fns[name] = f
				p.Function = append(p.Function, f)
			}
			id++
			loc := &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
			p.Location = append(p.Location, loc)
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

const (
	ginkgoRun = "github.com/onsi/ginkgo/v2/internal.(*Suite).runNode"
	spec      = "github.com/pi-conformance/suite/suites/cancel.init.func12.2"
	sessionDo = "github.com/pi-conformance/suite/harness/framework.(*Session).Do"
	clientDo  = "github.com/pi-conformance/suite/harness/client.(*Client).Do"
)

func TestAttribute(t *testing.T) {
	ms := time.Millisecond
	// Distinct CPU times identify the samples.
	p := cpuProfile(map[time.Duration][]string{
		// redaction called by the client, inside regexp: the innermost matching frame is the redaction's
		1 * ms: {"regexp.(*Regexp).tryBacktrack", "github.com/pi-conformance/suite/harness/redact.String", clientDo, sessionDo, spec, ginkgoRun},
		// the same redaction reached from the matchers' exchange summary: the priority bucket wins
		2 * ms: {"regexp.(*Regexp).tryBacktrack", "github.com/pi-conformance/suite/harness/redact.String",
			"github.com/pi-conformance/suite/harness/client.(*Exchange).Summary", "github.com/pi-conformance/suite/harness/matchers.exchange", spec, ginkgoRun},
		// the reference's handler on a server goroutine
		4 * ms: {"encoding/json.Marshal", "github.com/pi-conformance/suite/harness/reference.marshal", "net/http.(*conn).serve"},
		// the server goroutine outside the handler still counts as the target's
		8 * ms: {"bufio.(*Reader).ReadLine", "net/http.(*conn).serve"},
		// JSON decode in the client: runtime and encoding/json frames are skipped to the client's
		16 * ms: {"runtime.mallocgc", "encoding/json.(*decodeState).object", "github.com/pi-conformance/suite/harness/client.parseObject",
			"github.com/pi-conformance/suite/harness/client.(*Response).JSON", sessionDo, spec, ginkgoRun},
		// set-up: excluded even though the schema package is on the stack
		32 * ms: {"github.com/pi-conformance/suite/harness/schema.Load", "github.com/onsi/ginkgo/v2/internal.(*Suite).runSuiteNode"},
		// the background GC
		64 * ms: {"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"},
		// nothing matches
		128 * ms: {"runtime.futex", "runtime.mstart"},
		// Gomega inside a spec: the innermost match is Gomega, not the spec
		256 * ms: {"github.com/onsi/gomega/internal.(*Assertion).To", spec, ginkgoRun},
	})
	a, err := Attribute([]*profile.Profile{p, p}, SuiteOutside, SuitePriority, SuiteBuckets)
	if err != nil {
		t.Fatal(err)
	}
	if a.Profiles != 2 || a.Outside != 64*ms {
		t.Errorf("profiles %d, outside %v; want 2, 64ms", a.Profiles, a.Outside)
	}
	want := map[string]time.Duration{
		"reference target, in-process (the target's time)":        2 * (4 + 8) * ms,
		"matchers: exchange summary rendered for every assertion": 2 * 2 * ms,
		"redaction of every recorded exchange (harness/redact)":   2 * 1 * ms,
		"response JSON decode (client.Response.JSON)":             2 * 16 * ms,
		"garbage collector (background workers)":                  2 * 64 * ms,
		"Ginkgo and Gomega":                                       2 * 256 * ms,
		OtherBucket:                                               2 * 128 * ms,
	}
	var total time.Duration
	for _, sh := range a.Shares {
		total += sh.CPU
		if sh.CPU != want[sh.Name] {
			t.Errorf("%s: %v, want %v", sh.Name, sh.CPU, want[sh.Name])
		}
		if f := float64(sh.CPU) / float64(a.Total); sh.Fraction != f {
			t.Errorf("%s: fraction %v, want %v", sh.Name, sh.Fraction, f)
		}
	}
	if total != a.Total || a.Total != 2*(1+2+4+8+16+64+128+256)*ms {
		t.Errorf("shares add up to %v, Total %v", total, a.Total)
	}
	if got := len(a.Shares); got != len(SuitePriority)+len(SuiteBuckets)+1 {
		t.Errorf("%d shares, want one per bucket plus other", got)
	}
}

func TestAttributeNotCPU(t *testing.T) {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}}
	if _, err := Attribute([]*profile.Profile{p}, SuiteOutside, SuitePriority, SuiteBuckets); err == nil {
		t.Error("a heap profile was accepted as a CPU profile")
	}
}

func TestReadProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cpuProfile(map[time.Duration][]string{time.Millisecond: {"main.main"}}).Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ps, err := ReadProfiles([]string{path})
	if err != nil || len(ps) != 1 || len(ps[0].Sample) != 1 {
		t.Fatalf("ReadProfiles = %v, %v", ps, err)
	}
	if _, err := ReadProfiles([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing file was read")
	}
}
