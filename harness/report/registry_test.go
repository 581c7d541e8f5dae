package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/redact"
)

// A secret registered with harness/redact is masked in the results and in every written file, even when the
// caller passes no Options.Secrets.
func TestRegisteredSecretsAreMaskedInReports(t *testing.T) {
	const secret = "report-registered-vendor-token-42"
	redact.Register(secret)
	sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "leaks", State: types.SpecStateFailed,
		Failure: types.Failure{Message: "the body held " + secret}}
	res := Build(RunMeta{}, types.Report{SpecReports: types.SpecReports{sr}}, Options{})
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), secret) {
		t.Errorf("Build keeps the registered secret: %s", js)
	}
	dir := t.TempDir()
	res.Checks[0].Failure.Message = "planted after Build: " + secret
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s shows the registered secret", filepath.Base(f))
		}
	}
}
