package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/labels"
)

// TestReportsOfHugeFailuresAreBounded: a failed spec whose report holds a 1 MiB message with the key straddling
// the cut, 20 later failures and 200 exchanges of 100 KiB bodies (as a client without excerpts would attach) gives
// results.json, report.md and report.html of bounded size that never show the key.
func TestReportsOfHugeFailuresAreBounded(t *testing.T) {
	const key = "custom-report-credential-0123456789"
	msg := strings.Repeat("m", MaxMessage-10) + key + strings.Repeat("n", 1<<20)
	big := strings.Repeat("b", 100<<10)
	exs := make([]client.Exchange, 200)
	for i := range exs {
		exs[i] = client.Exchange{Method: "POST", URL: "http://h/v1/x", Status: 200, RequestBody: big, ResponseBody: big}
	}
	b, err := json.Marshal(exs)
	if err != nil {
		t.Fatal(err)
	}
	sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "huge", State: types.SpecStateFailed,
		Failure:       types.Failure{Message: msg},
		ReportEntries: types.ReportEntries{entry(labels.EntryExchanges, string(b))}}
	for range 20 {
		sr.AdditionalFailures = append(sr.AdditionalFailures, types.AdditionalFailure{Failure: types.Failure{Message: msg}})
	}
	res := Build(RunMeta{}, types.Report{SpecReports: types.SpecReports{sr}}, Options{Secrets: []string{key}})
	f := res.Checks[0].Failure
	if len(f.Exchanges) != MaxExchanges || len(f.Additional) != MaxAdditional+1 || len(f.Message) > MaxMessage+100 {
		t.Errorf("kept %d exchanges, %d later failures, a message of %d bytes", len(f.Exchanges), len(f.Additional), len(f.Message))
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"results.json": js, "report.md": res.Markdown(), "report.html": mustHTML(t, res)} {
		if len(out) > 4<<20 {
			t.Errorf("%s is %d bytes", name, len(out))
		}
		if strings.Contains(string(out), key[:12]) {
			t.Errorf("%s shows (part of) the key", name)
		}
	}
}

func mustHTML(t *testing.T, res *Results) []byte {
	t.Helper()
	b, err := res.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
