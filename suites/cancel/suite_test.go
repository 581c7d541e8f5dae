// Package cancel is the conformance suite for POST /v1/payment_intents/{intent}/cancel. Each spec's name is a
// sentence of the contract; labels (status:*, op:*, check:*) place it in the results matrix and let
// --label-filter select by status, operation or clause.
package cancel

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/pi-conformance/suite/docs"
	"github.com/pi-conformance/suite/harness/config"
	"github.com/pi-conformance/suite/harness/framework"
	"github.com/pi-conformance/suite/harness/labels"
	"github.com/pi-conformance/suite/harness/matchers"
	"github.com/pi-conformance/suite/harness/reference"
	"github.com/pi-conformance/suite/harness/report"
)

var (
	cfg      config.Config
	f        *framework.Framework
	embedded *framework.Embedded
	budget   *framework.Budget // process 1: the run's shared rate limit
	started  time.Time
)

func TestCancel(t *testing.T) {
	var err error
	cfg, err = config.Load()
	if err != nil {
		t.Fatalf("conformance configuration: %v", err)
	}
	RegisterFailHandler(Fail)
	checkLabels(t)
	RunSpecs(t, suiteName)
}

const suiteName = "PaymentIntent cancel conformance"

// previewing is set while the tree is walked without running it.
var previewing bool

// checkLabels walks the spec tree before anything runs: every spec must sit in exactly one cell of the results
// matrix, with one status, one op, one check and one id label from the closed vocabulary, and no two specs may share
// a full name or an id (check ids key results.json, compat and rerun.txt). A mislabelled spec stops the run before
// a request is sent.
func checkLabels(t *testing.T) {
	t.Helper()
	previewing = true
	preview := PreviewSpecs(suiteName)
	previewing = false
	evidence, err := docs.LoadEvidence()
	if err != nil {
		t.Fatalf("suite bug: %v", err)
	}
	if problems := treeProblems(preview.SpecReports, evidence); len(problems) > 0 {
		t.Fatalf("suite bug: specs outside the label vocabulary or not unique:\n%s", strings.Join(problems, "\n"))
	}
}

// treeProblems lists specs with bad labels, specs sharing a full name or an id, ids without an entry in the
// evidence table (docs/evidence.yaml), and entries that match no spec.
func treeProblems(specs types.SpecReports, evidence docs.Table) []string {
	var problems []string
	names, ids := map[string]string{}, map[string]string{}
	used := map[string]bool{}
	for _, sr := range specs {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		where := sr.LeafNodeLocation.String()
		if err := labels.CheckSpec(sr.Labels()); err != nil {
			problems = append(problems, fmt.Sprintf("%s (%s): %v", sr.FullText(), where, err))
		}
		if prev, dup := names[sr.FullText()]; dup {
			problems = append(problems, fmt.Sprintf("%q (%s) has the same name as the spec at %s", sr.FullText(), where, prev))
		}
		names[sr.FullText()] = where
		if id := labels.Value(sr.Labels(), labels.FamilyID); id != "" {
			if prev, dup := ids[id]; dup {
				problems = append(problems, fmt.Sprintf("id %q (%s) is also the id of the spec at %s", id, where, prev))
			}
			ids[id] = where
			if _, key, ok := evidence.For(id); ok {
				used[key] = true
			} else {
				problems = append(problems, fmt.Sprintf("id %q (%s) has no entry in docs/evidence.yaml", id, where))
			}
		}
	}
	for key := range evidence {
		if !used[key] && len(specs) > 0 {
			problems = append(problems, fmt.Sprintf("docs/evidence.yaml: entry %q matches no spec", key))
		}
	}
	sort.Strings(problems)
	return problems
}

type setup struct {
	URL    string `json:"url"`
	RunID  string `json:"run_id"`
	Budget string `json:"budget,omitempty"` // the shared rate-limit bucket process 1 serves; "" = in-process limit
	// Webhooks is the run's webhook receiver and endpoint (webhooks_test.go), set up by process 1.
	Webhooks webhookSetup `json:"webhooks"`
}

var _ = SynchronizedBeforeSuite(func() []byte {
	started = time.Now()
	s := setup{URL: cfg.TargetURL, RunID: framework.NewRunID()}
	sc, _ := GinkgoConfiguration()
	bud, err := framework.StartBudget(cfg, sc.ParallelTotal)
	Expect(err).NotTo(HaveOccurred())
	budget, s.Budget = bud, bud.URL()
	if cfg.Embedded() {
		var err error
		// A refused webhook delivery is retried after 100 ms (default 1 s): the retry spec need not wait longer.
		embedded, err = framework.StartEmbedded(reference.Options{ResponseDelay: cfg.ReferenceDelay.Duration, WebhookBackoff: 100 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		// Stopped after the webhook endpoint's release (DeferCleanup runs last-registered first).
		DeferCleanup(embedded.Stop)
		s.URL = embedded.URL
	} else {
		// Before any process writes anything: a read-only look at the account, refused if it is live.
		pf, err := framework.New(cfg, s.URL, s.RunID, framework.SharedBudget(s.Budget))
		Expect(err).NotTo(HaveOccurred(), "building the suite's client")
		ctx, cancel := context.WithTimeout(context.Background(), cfg.RequestTimeout.Duration)
		defer cancel()
		if err := pf.Preflight(ctx); err != nil {
			AbortSuite(err.Error())
		}
	}
	s.Webhooks = setUpWebhooks(s.URL, s.RunID, s.Budget)
	b, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return b
}, func(data []byte) {
	var s setup
	Expect(json.Unmarshal(data, &s)).To(Succeed())
	matchers.RegisterSecret(cfg.APIKey)
	useWebhooks(s.Webhooks)
	var err error
	f, err = framework.New(cfg, s.URL, s.RunID, framework.SharedBudget(s.Budget))
	Expect(err).NotTo(HaveOccurred(), "building the suite's client")
	fmt.Fprintf(GinkgoWriter, "conformance run %s against %s (%s)\n", s.RunID, f.TargetHost(), cfg.String())
	if GinkgoParallelProcess() == 1 {
		if w := profileMismatch(cfg.Embedded(), f.TargetHost(), cfg.Profile); w != "" {
			fmt.Fprintln(os.Stderr, "conformance: warning: "+w)
		}
		if !cfg.Embedded() {
			fmt.Fprintf(os.Stderr, "conformance: run %s; if it is interrupted, release what it created with: go run ./harness/cmd/sweep -run %s\n", s.RunID, s.RunID)
		}
		if w := versionMismatch(cfg.StripeVersion, f.Schema.Version); w != "" {
			fmt.Fprintln(os.Stderr, "conformance: warning: "+w)
		}
	}
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	budget.Stop() // the embedded target stops in its DeferCleanup, after the webhook endpoint's release
})

// The results files (results.json, report.md, report.html, rerun.txt) are written once, from the merged report,
// even when the set-up failed (then every check is reported as not run and the set-up failure is shown).
var _ = ReportAfterSuite("conformance report", func(r Report) {
	if previewing {
		return
	}
	meta := report.RunMeta{
		TargetHost:    hostOf(cfg.TargetURL),
		Embedded:      cfg.Embedded(),
		Profile:       cfg.Profile,
		StripeVersion: cfg.StripeVersion,
		SuiteVersion:  framework.SuiteVersion(),
		Started:       r.StartTime,
		Finished:      r.EndTime,
	}
	if f != nil {
		meta.RunID, meta.TargetHost, meta.SpecVersion = f.RunID, f.TargetHost(), f.Schema.Version
	}
	opts := report.Options{Secrets: []string{cfg.APIKey, hooks.Secret}}
	res := report.Build(meta, r, opts)
	if err := res.WriteFiles(cfg.ReportDir, opts.Secrets...); err != nil {
		fmt.Fprintf(os.Stderr, "conformance report: %v\n", err)
	} else {
		fmt.Fprintf(os.Stdout, "conformance report written to %s\n", cfg.ReportDir)
	}
	// Ginkgo counts neither a blocked spec (skipped) nor a schema violation outside the schema column (recorded, not
	// failed) as a failure; the run must still fail on them, with the exit code and in JUnit.
	if gate := res.GateFailures(); len(gate) > 0 {
		Fail("the run fails: " + strings.Join(gate, "; ") + " (see " + cfg.ReportDir + "/report.md)")
	}
})

func hostOf(u string) string {
	if u == "" {
		return "embedded reference"
	}
	return (&framework.Framework{TargetURL: u}).TargetHost()
}

// At places a spec: its stable id (results.json, compat; it survives a change of wording), its row (starting
// status), the operation it exercises and its column (clause), all from the closed vocabulary, plus the per-spec
// timeout, so a hanging target ends the spec instead of the run. Every It and Entry of the suite takes it; an
// unknown label panics while the tree is built.
func At(id, status, op, check string) []any {
	return []any{Label(labels.ID(id), labels.Status(status), labels.Op(op), labels.Check(check)), SpecTimeout(cfg.SpecTimeout.Duration)}
}

// Long starts a spec early (Ginkgo runs higher priorities first): the specs that send the most requests, so that
// against a slow target a parallel run does not end waiting on one of them started last.
var Long = SpecPriority(1)

// cancelable are the statuses from which Stripe always allows cancel.
var cancelable = labels.Cancelable

// statusEntries makes one table Entry per status, with the id prefix-status, the op and the check.
func statusEntries(prefix string, statuses []string, op, check string) []TableEntry {
	out := make([]TableEntry, 0, len(statuses))
	for _, st := range statuses {
		out = append(out, Entry(nil, At(prefix+"-"+st, st, op, check), st))
	}
	return out
}

// reasonEntries: every valid reason from requires_payment_method, and requested_by_customer from every other
// cancelable status.
func reasonEntries() []TableEntry {
	var out []TableEntry
	for _, reason := range []string{"abandoned", "duplicate", "fraudulent", "requested_by_customer"} {
		out = append(out, Entry(nil, At("reason."+reason+".from-requires_payment_method", "requires_payment_method", "cancel", "reason"), "requires_payment_method", reason))
	}
	for _, st := range cancelable[1:] {
		out = append(out, Entry(nil, At("reason.requested_by_customer.from-"+st, st, "cancel", "reason"), st, "requested_by_customer"))
	}
	return out
}

// versionMismatch warns when the Stripe-Version the suite sends is not the pinned document's: the target answers in
// the configured version's shapes, but every response is validated against the pinned document only.
func versionMismatch(configured, pinned string) string {
	if configured == "" || configured == pinned {
		return ""
	}
	return fmt.Sprintf("Stripe-Version %q is sent, but responses are validated against the pinned document only (version %q): schema verdicts may reflect the difference between the versions", configured, pinned)
}

// profileMismatch warns when the profile plainly does not describe the target: the profile decides which checks
// are disabled, so the wrong one hides or invents failures.
func profileMismatch(embedded bool, host, profile string) string {
	switch {
	case embedded && profile != "reference":
		return fmt.Sprintf("the embedded reference target runs with profile %q; its profile is \"reference\"", profile)
	case (host == "api.stripe.com" || strings.HasSuffix(host, ".stripe.com")) && profile != "stripe-test":
		return fmt.Sprintf("the target is Stripe (%s) but the profile is %q; use CONFORMANCE_PROFILE=stripe-test", host, profile)
	}
	return ""
}
