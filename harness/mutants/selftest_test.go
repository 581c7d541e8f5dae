package mutants

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/report"
)

// The mutation self-test: build the suite once, run it against every mutant, and hold each run to its kind's
// expectation. Environment:
//
//	MUTANTS_ONLY=name,name   run only these mutants (development)
//	MUTATION_TABLE_OUT=path  also write the markdown table there
//	MUTATION_WORKDIR=dir     keep the suite binary, the reports and the outputs there (default: a temp dir)
//
// It is skipped with -short, and when the go tool is not on PATH.

const (
	selftestAPIKey = "sk_test_conformance_selftest"
	parallelRuns   = 3
	buildTimeout   = 4 * time.Minute
	runTimeout     = 90 * time.Second // hard kill of one suite process against a defect or a disturbance
	faultTimeout   = 90 * time.Second // hard kill against a fault
	faultBound     = 60 * time.Second // a run against a fault must finish within this (bodies near the cap are slow to check)
)

// Timeouts of the suite: short enough that faults end fast, long enough for the slowest disturbance.
const (
	runConfig = `# mutation self-test: defects and disturbances
request_timeout: 5s
spec_timeout: 30s
max_retries: 2
events_timeout: 3s
webhook_timeout: 10s
`
	faultConfig = `# mutation self-test: faults
request_timeout: 1500ms
spec_timeout: 10s
max_retries: 1
`
)

type specResult struct {
	Text    string
	Labels  []string
	State   types.SpecState
	Message string
	It      bool // a spec, not a suite-level node
}

func (s specResult) failed() bool  { return s.State.Is(types.SpecStateFailureStates) }
func (s specResult) errored() bool { return strings.HasPrefix(s.Message, labels.PrefixErrored) }
func (s specResult) check() string {
	if !s.It {
		return "(suite)"
	}
	if c := labels.Value(s.Labels, labels.FamilyCheck); c != "" {
		return c
	}
	return "(none)"
}

type runResult struct {
	M        Mutant
	Dir      string
	Elapsed  time.Duration
	Killed   bool   // the hard timeout ended the process
	Problem  string // the run produced no usable report
	Specs    []specResult
	Output   string
	Passed   int
	Failing  []specResult
	ByCheck  map[string]int // failing, not errored, specs per check label
	Errored  int
	Verdict  string
	Problems []string // assertion failures

	// Res is the run's results.json: every check with its outcome, the synthetic schema checks and the blocked ones.
	Res *report.Results
	// Failed counts the failed (not errored) checks of results.json per column, synthetic schema checks included.
	Failed map[string]int
	// Collateral are the failing checks (failed or errored) outside a defect's expected clauses and rows.
	Collateral []string
	// Blocked counts the blocked checks.
	Blocked int
	// Changes are a benign run's outcome changes from the baseline run that it does not declare (false alarms).
	Changes []string
}

func TestMutationSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("mutation self-test skipped with -short (it builds the suite and runs it against every mutant)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("mutation self-test skipped: the go tool is not on PATH, so the suite cannot be built")
	}
	all := All()
	if err := Validate(all); err != nil {
		t.Fatal(err)
	}
	if only := os.Getenv("MUTANTS_ONLY"); only != "" {
		names := strings.Split(only, ",")
		all = slices.DeleteFunc(all, func(m Mutant) bool { return !slices.Contains(names, m.Name) })
		if len(all) == 0 {
			t.Fatalf("MUTANTS_ONLY=%q matches no mutant", only)
		}
	}
	started := time.Now()
	root := moduleRoot(t)
	tmp := t.TempDir()
	if dir := os.Getenv("MUTATION_WORKDIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp = dir
	}

	bin := filepath.Join(tmp, "suite.test")
	bctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	build := exec.CommandContext(bctx, goTool, "test", "-c", "-o", bin, "./suites/cancel")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the suite (go test -c ./suites/cancel in %s): %v\n%s", root, err, out)
	}
	buildTime := time.Since(started)
	t.Logf("built the suite in %s", buildTime.Round(time.Millisecond))

	cfgs := map[bool]string{false: filepath.Join(tmp, "run.yaml"), true: filepath.Join(tmp, "fault.yaml")}
	for fault, body := range map[bool]string{false: runConfig, true: faultConfig} {
		if err := os.WriteFile(cfgs[fault], []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The baseline: the plain reference. Every benign disturbance is compared with it, check by check.
	baseline := runMutant(bin, tmp, cfgs[false], Mutant{Name: "baseline", Kind: Benign, Description: "the reference target as it is"})
	judge(baseline, nil)
	if len(baseline.Problems) > 0 || baseline.Res == nil {
		t.Fatalf("the baseline run against the plain reference is not clean: %v\n%s", baseline.Problems, tail(baseline.Output, 4000))
	}

	// Slow runs first, so that the three workers finish together.
	order := slices.Clone(all)
	slices.SortStableFunc(order, func(a, b Mutant) int { return cost(b) - cost(a) })
	results := make(map[string]*runResult, len(order))
	var mu sync.Mutex
	sem := make(chan struct{}, parallelRuns)
	var wg sync.WaitGroup
	for _, m := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := runMutant(bin, tmp, cfgs[m.Kind == Fault], m)
			judge(r, baseline.Res)
			mu.Lock()
			results[m.Name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	runsTime := time.Since(started) - buildTime

	for _, m := range all {
		r := results[m.Name]
		t.Run(m.Name, func(t *testing.T) {
			for _, p := range r.Problems {
				t.Errorf("%s (%s: %s): %s\n  report: %s", m.Name, m.Kind, m.Description, p, r.Dir)
			}
			if len(r.Problems) > 0 && r.Output != "" {
				t.Logf("suite output (tail):\n%s", tail(r.Output, 4000))
			}
		})
	}

	table := renderTable(all, results, buildTime, runsTime, time.Since(started))
	t.Log("\n" + table)
	if err := os.WriteFile(filepath.Join(tmp, "mutation-table.md"), []byte(table), 0o644); err != nil {
		t.Error(err)
	}
	if out := os.Getenv("MUTATION_TABLE_OUT"); out != "" {
		doc := generatedHeader("Mutation self-test", "MUTATION_TABLE_OUT="+out+" go test -count=1 -run TestMutationSelfTest ./harness/mutants/") + table
		if err := os.WriteFile(out, []byte(doc), 0o644); err != nil {
			t.Errorf("MUTATION_TABLE_OUT: %v", err)
		}
	}
}

// cost orders the runs: the ones that wait on timeouts or sleeps go first.
func cost(m Mutant) int {
	switch {
	case m.Kind == Fault && m.Errored:
		return 3
	case strings.Contains(m.Name, "latency"), strings.Contains(m.Name, "429"), strings.Contains(m.Name, "race"), strings.Contains(m.Name, "concurrent"):
		return 2
	}
	return 1
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// runMutant serves m on 127.0.0.1:0 and runs the suite binary against it.
func runMutant(bin, tmp, cfg string, m Mutant) *runResult {
	r := &runResult{M: m, Dir: filepath.Join(tmp, m.Name), ByCheck: map[string]int{}}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		r.Problem = err.Error()
		return r
	}
	srv := httptest.NewServer(m.Handler())
	defer func() {
		srv.CloseClientConnections() // ends the handlers of a hanging target
		srv.Close()
	}()

	limit := runTimeout
	if m.Kind == Fault {
		limit = faultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	reportPath := filepath.Join(r.Dir, "ginkgo.json")
	args := []string{"-ginkgo.json-report=" + reportPath, "-ginkgo.junit-report=" + filepath.Join(r.Dir, "junit.xml"),
		"-ginkgo.no-color", "-test.timeout=" + limit.String()}
	if m.LabelFilter != "" {
		args = append(args, "-ginkgo.label-filter="+m.LabelFilter)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(cleanEnv(),
		"CONFORMANCE_TARGET_URL="+srv.URL,
		"CONFORMANCE_API_KEY="+selftestAPIKey,
		"CONFORMANCE_PROFILE=reference",
		"CONFORMANCE_REPORT_DIR="+filepath.Join(r.Dir, "report"),
		"CONFORMANCE_CONFIG="+cfg,
	)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r.Elapsed = time.Since(start)
	r.Output = string(out)
	_ = os.WriteFile(filepath.Join(r.Dir, "output.txt"), out, 0o644)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		r.Killed = true
		r.Problem = fmt.Sprintf("the suite did not finish within %s and was killed", limit)
		return r
	}
	_ = err // a failing suite exits non-zero; the report says why
	if leak := findSecret(r.Dir, selftestAPIKey); leak != "" {
		r.Problem = "the API key leaked: " + leak
		return r
	}
	data, rerr := os.ReadFile(reportPath)
	if rerr != nil {
		r.Problem = fmt.Sprintf("the suite wrote no JSON report (%v); exit: %v", rerr, err)
		return r
	}
	var reports []types.Report
	if jerr := json.Unmarshal(data, &reports); jerr != nil {
		r.Problem = fmt.Sprintf("the JSON report does not parse: %v", jerr)
		return r
	}
	for _, rep := range reports {
		for _, sr := range rep.SpecReports {
			r.Specs = append(r.Specs, specResult{
				Text: sr.FullText(), Labels: sr.Labels(), State: sr.State, Message: sr.Failure.Message,
				It: sr.LeafNodeType == types.NodeTypeIt,
			})
		}
	}
	if m.Kind != Fault || fileExists(filepath.Join(r.Dir, "report", report.ResultsFile)) {
		res, lerr := report.Load(filepath.Join(r.Dir, "report", report.ResultsFile))
		if lerr != nil {
			r.Problem = fmt.Sprintf("the suite wrote no readable results.json: %v", lerr)
			return r
		}
		r.Res = res
	}
	return r
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// clientSecret matches an unmasked PaymentIntent client secret.
var clientSecret = regexp.MustCompile(`_secret_[A-Za-z0-9]{6,}`)

// findSecret searches every file the run wrote (console output, Ginkgo JSON and JUnit reports, results.json,
// report.md, report.html, rerun.txt) for the key, in clear or in HTTP Basic form, and for unmasked client secrets,
// and names the first file holding one.
func findSecret(dir, key string) string {
	needles := [][]byte{[]byte(key), []byte(base64.StdEncoding.EncodeToString([]byte(key + ":")))}
	var found string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, n := range needles {
			if bytes.Contains(data, n) {
				found = path
			}
		}
		if loc := clientSecret.FindIndex(data); loc != nil && found == "" {
			found = path + " (a client secret: " + string(data[loc[0]:loc[0]+8]) + "…)"
		}
		return nil
	})
	return found
}

// cleanEnv is the environment without any CONFORMANCE_ variable of the developer's shell.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CONFORMANCE_") })
}

// judge tallies a run and holds it to its kind's expectation. Defects and benign disturbances are judged on the
// run's results.json (what users read: synthetic schema checks, blocked checks), benign ones check by check against
// the baseline run; faults on Ginkgo's own report.
func judge(r *runResult, baseline *report.Results) {
	fail := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	if r.Problem != "" {
		fail("%s", r.Problem)
		r.Verdict = "BROKEN RUN"
		return
	}
	for _, s := range r.Specs {
		switch {
		case s.State == types.SpecStatePassed && s.It:
			r.Passed++
		case s.failed() && s.It:
			r.Failing = append(r.Failing, s)
			if s.errored() {
				r.Errored++
			} else {
				r.ByCheck[s.check()]++
			}
		}
		if s.State == types.SpecStatePanicked || strings.Contains(s.Message, "[PANICKED]") {
			fail("spec panicked (a suite bug, whatever the target does): %s\n%s", s.Text, excerpt(s.Message))
		}
	}
	if r.Res != nil {
		r.Failed = map[string]int{}
		for _, c := range r.Res.Checks {
			switch c.Outcome {
			case report.Failed:
				r.Failed[c.Check]++
			case report.Blocked:
				r.Blocked++
			}
		}
	}
	switch r.M.Kind {
	case Defect:
		judgeDefect(r, fail)
	case Benign:
		judgeBenign(r, baseline, fail)
	case Fault:
		judgeFault(r, fail)
	}
}

// judgeDefect: the defect must be caught by a failed check of each clause it breaks (in its rows, when it names
// them), for the clause's own reason: a failed check, not an errored one (transport) or a blocked one (set-up); in
// a behavioural column, not a schema violation. Failing checks elsewhere are collateral; a localized defect has none.
func judgeDefect(r *runResult, fail func(string, ...any)) {
	m := r.M
	if m.Aborts {
		for _, s := range r.Failing {
			if s.State == types.SpecStateAborted && strings.Contains(s.Message, "livemode") {
				r.Verdict = "detected"
				return
			}
		}
		r.Verdict = "NOT DETECTED"
		fail("no aborted run (AbortSuite naming livemode)")
		return
	}
	caught := map[string]bool{}
	for _, c := range r.Res.Checks {
		if !c.Outcome.Bad() {
			continue
		}
		expected := slices.Contains(m.Checks, c.Check) && (len(m.Statuses) == 0 || slices.Contains(m.Statuses, c.Status))
		switch {
		case !expected:
			r.Collateral = append(r.Collateral, c.ID)
		case c.Outcome == report.Failed && (c.Check == "schema" || !schemaReason(c)):
			caught[c.Check] = true
		}
	}
	var missing []string
	for _, c := range m.Checks {
		if !caught[c] {
			missing = append(missing, c)
		}
	}
	anyBad := len(r.Failing) > 0 || len(r.Collateral) > 0 || len(caught) > 0
	switch {
	case m.KnownGap != "" && !anyBad:
		r.Verdict = "NOT DETECTED (known gap)"
	case m.KnownGap != "":
		r.Verdict = "detected, but marked KnownGap"
		fail("the suite now detects this defect: delete its KnownGap (%s)", m.KnownGap)
	case !anyBad:
		r.Verdict = "NOT DETECTED"
		fail("no check failed: the suite does not detect this defect")
	case len(missing) > 0:
		r.Verdict = "WRONG REASON"
		fail("checks failed, but none of the clause(s) %s it breaks (in rows %v) failed for its own reason; failing: %s", strings.Join(missing, ", "), m.Statuses, checkCounts(r))
	case m.Localized() && len(r.Collateral) > 0:
		r.Verdict = "COLLATERAL"
		fail("a localized defect failed %d check(s) outside its clause: %s", len(r.Collateral), strings.Join(firstN(r.Collateral, 8), ", "))
	case r.Errored > 0:
		r.Verdict = "detected (with errored specs)"
		fail("%d spec(s) ended Errored against a defect that keeps the transport intact, e.g.:\n%s", r.Errored, firstErrored(r))
	default:
		r.Verdict = "detected"
	}
}

// schemaReason: the check failed on a schema violation (only the schema column may).
func schemaReason(c report.Check) bool {
	return c.Failure != nil && strings.HasPrefix(strings.TrimSpace(c.Failure.Message), "schema violation")
}

// judgeBenign: nothing may fail, be blocked or change from the baseline, except the changes the disturbance
// declares and the skips the suite itself declares for timing.
func judgeBenign(r *runResult, baseline *report.Results, fail func(string, ...any)) {
	if baseline != nil {
		r.Changes = changesFrom(baseline, r.Res, r.M.Changes)
	}
	bad := 0
	for _, c := range r.Res.Checks {
		if c.Outcome.FailsRun() {
			bad++
			if bad <= 3 {
				msg := ""
				if c.Failure != nil {
					msg = c.Failure.Message
				}
				fail("false alarm: %s (%s) is %s\n%s", c.ID, c.Text, c.Outcome, excerpt(msg+c.Reason))
			}
		}
	}
	for i, ch := range r.Changes {
		if i == 5 {
			fail("… and %d more changes from the baseline", len(r.Changes)-5)
			break
		}
		fail("false alarm: %s", ch)
	}
	switch {
	case bad > 0 || len(r.Changes) > 0:
		r.Verdict = "FALSE ALARM"
	case r.Passed == 0:
		r.Verdict = "NOTHING RAN"
		fail("no spec passed")
	default:
		r.Verdict = "passed"
	}
}

// changesFrom lists the checks whose outcome differs from the baseline's, other than declared changes (id globs,
// path.Match syntax, to an outcome), suite-declared timing skips on either side, and synthetic schema checks that
// passed on one side and are absent on the other (which operations were seen depends on what the target did).
func changesFrom(base, run *report.Results, declared map[string]string) []string {
	before := map[string]report.Check{}
	for _, c := range base.Checks {
		before[c.ID] = c
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range run.Checks {
		seen[c.ID] = true
		b, ok := before[c.ID]
		switch {
		case !ok && c.Synthetic && c.Outcome == report.Passed:
		case !ok:
			out = append(out, fmt.Sprintf("%s is new (%s)", c.ID, c.Outcome))
		case b.Outcome == c.Outcome, c.SkipKind == "timing", b.SkipKind == "timing", declaredChange(declared, c):
		default:
			out = append(out, fmt.Sprintf("%s: %s in the baseline, %s here", c.ID, b.Outcome, c.Outcome))
		}
	}
	for _, b := range base.Checks {
		if !seen[b.ID] && !(b.Synthetic && b.Outcome == report.Passed) {
			out = append(out, fmt.Sprintf("%s is missing (%s in the baseline)", b.ID, b.Outcome))
		}
	}
	sort.Strings(out)
	return out
}

func declaredChange(declared map[string]string, c report.Check) bool {
	for glob, to := range declared {
		if ok, _ := path.Match(glob, c.ID); ok && c.Outcome.String() == to {
			return true
		}
	}
	return false
}

func judgeFault(r *runResult, fail func(string, ...any)) {
	m := r.M
	r.Verdict = "clean failure"
	// The run must fail. Specs may pass where the target's answers are whole but break only the schema (a body
	// nested too deep, one near the size cap): the schema checks judge those, and the behavioural clauses hold.
	if len(r.Failing) == 0 && (r.Res == nil || len(r.Res.GateFailures()) == 0) {
		fail("the run did not fail against a broken target")
	}
	if r.Elapsed > faultBound {
		fail("the run took %s (bound %s)", r.Elapsed.Round(time.Millisecond), faultBound)
	}
	for _, s := range r.Failing {
		switch {
		case s.State == types.SpecStateTimedout || s.State == types.SpecStateInterrupted:
			fail("spec ended %s instead of failing on the request: %s", s.State, s.Text)
		case m.Errored && !s.errored():
			fail("spec should be Errored (%q) against a transport fault: %s\n%s", labels.PrefixErrored, s.Text, excerpt(s.Message))
		case !m.Errored && s.errored():
			fail("spec is Errored although the target answered: %s\n%s", s.Text, excerpt(s.Message))
		case s.It && !strings.Contains(s.Message, "/v1/"):
			fail("the failure message does not name the request: %s\n%s", s.Text, excerpt(s.Message))
		case strings.Contains(s.Message, "goroutine ") || strings.Contains(s.Message, "panic("):
			fail("the failure message carries a Go panic trace: %s\n%s", s.Text, excerpt(s.Message))
		}
	}
	if len(r.Problems) > 0 {
		r.Verdict = "BAD FAILURE"
	}
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}

func firstErrored(r *runResult) string {
	for _, s := range r.Failing {
		if s.errored() {
			return s.Text + "\n" + excerpt(s.Message)
		}
	}
	return ""
}

func checkCounts(r *runResult) string {
	counts := r.ByCheck
	if r.Res != nil {
		counts = r.Failed
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	order := func(k string) int {
		if i := slices.Index(labels.Checks, k); i >= 0 {
			return i
		}
		return len(labels.Checks)
	}
	sort.Slice(keys, func(i, j int) bool {
		if oi, oj := order(keys[i]), order(keys[j]); oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	if r.Errored > 0 {
		parts = append(parts, fmt.Sprintf("errored: %d", r.Errored))
	}
	aborted := 0
	for _, s := range r.Failing {
		if s.State == types.SpecStateAborted {
			aborted++
		}
	}
	if aborted > 0 {
		parts = append(parts, fmt.Sprintf("aborted: %d", aborted))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func renderTable(all []Mutant, results map[string]*runResult, build, runs, total time.Duration) string {
	var b strings.Builder
	b.WriteString("| mutant | kind | expected clause | failing checks (column: count) | collateral | blocked | verdict |\n")
	b.WriteString("|---|---|---|---|---:|---:|---|\n")
	defects, detected, benign, falseAlarms, faults, cleanFaults, localized, confined, collateral := 0, 0, 0, 0, 0, 0, 0, 0, 0
	var gaps []string
	for _, m := range all {
		r := results[m.Name]
		expected := strings.Join(m.Checks, ", ")
		if len(m.Statuses) > 0 {
			expected += " (" + strings.Join(m.Statuses, ", ") + ")"
		}
		if m.CrossCutting != "" {
			expected += " (cross-cutting)"
		}
		switch {
		case m.Aborts:
			expected = "abort (livemode)"
		case m.Kind == Benign && len(m.Changes) > 0:
			expected = "declared changes only"
		case m.Kind == Benign:
			expected = "none (must pass)"
		case m.Kind == Fault && m.Errored:
			expected = "errored, named"
		case m.Kind == Fault:
			expected = "failed, named"
		}
		coll := "—"
		if m.Kind == Defect && !m.Aborts {
			coll = fmt.Sprint(len(r.Collateral))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %d | %s (%.1fs) |\n", m.Name, m.Kind, expected, checkCounts(r), coll, r.Blocked, r.Verdict, r.Elapsed.Seconds())
		switch m.Kind {
		case Defect:
			defects++
			if strings.HasPrefix(r.Verdict, "detected") {
				detected++
			} else {
				gaps = append(gaps, fmt.Sprintf("- `%s` (%s): %s", m.Name, m.Description, orDefault(m.KnownGap, r.Verdict)))
			}
			if m.Localized() {
				localized++
				collateral += len(r.Collateral)
				if len(r.Collateral) == 0 && strings.HasPrefix(r.Verdict, "detected") {
					confined++
				}
			}
		case Benign:
			benign++
			if r.Verdict != "passed" {
				falseAlarms++
			}
		case Fault:
			faults++
			if r.Verdict == "clean failure" {
				cleanFaults++
			}
		}
	}
	fmt.Fprintf(&b, "\nMutation score: %d/%d defects detected (%.0f%%), each by its own clause. Localized defects confined to their clause: %d/%d, collateral %d. False alarms: %d of %d benign disturbances. Faults ending cleanly: %d/%d.\n",
		detected, defects, 100*float64(detected)/float64(max(defects, 1)), confined, localized, collateral, falseAlarms, benign, cleanFaults, faults)
	fmt.Fprintf(&b, "Wall time: %s (suite build %s, %d runs and a baseline, %d at a time, %s).\n",
		total.Round(time.Second), build.Round(time.Second), len(all), parallelRuns, runs.Round(time.Second))
	if len(gaps) > 0 {
		b.WriteString("\nUndetected defects (suite gaps):\n")
		b.WriteString(strings.Join(gaps, "\n") + "\n")
	}
	return b.String()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func excerpt(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1200 {
		s = s[:1200] + "…"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// generatedHeader heads a generated figures file: what it is, when and from which commit it was made, and the
// command that rewrites it.
func generatedHeader(title, command string) string {
	rev := "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		rev = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("# %s\n\nGenerated %s from commit %s by `%s` (%d CPUs). Do not edit: run the command again.\n\n",
		title, time.Now().UTC().Format("2006-01-02 15:04 UTC"), rev, command, runtime.NumCPU())
}
