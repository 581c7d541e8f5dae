package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/pi-conformance/suite/harness/redact"
)

// secretEnv are environment variables whose values WriteAll masks too (defence in depth: the client already
// redacts its exchanges, and redact masks anything shaped like a Stripe key).
var secretEnv = []string{"CONFORMANCE_API_KEY", "CONFORMANCE_OTHER_API_KEY"}

// minSecretLen keeps a short value (say "test") from masking every occurrence of a common word.
const minSecretLen = 8

func envSecrets() []string {
	var out []string
	for _, k := range secretEnv {
		if v := strings.TrimSpace(os.Getenv(k)); len(v) >= minSecretLen {
			out = append(out, v)
		}
	}
	return out
}

// WriteAll writes results.json, report.md, report.html and rerun.txt into dir (created if needed). The values of
// $CONFORMANCE_API_KEY and $CONFORMANCE_OTHER_API_KEY are masked besides anything shaped like a Stripe key; use
// WriteAllWith to pass the resolved key explicitly.
func WriteAll(dir string, meta RunMeta, r types.Report) error {
	return WriteAllWith(dir, meta, r, Options{Secrets: envSecrets()})
}

// WriteAllWith is WriteAll with explicit options.
func WriteAllWith(dir string, meta RunMeta, r types.Report, opts Options) error {
	res := Build(meta, r, opts)
	return res.WriteFiles(dir, opts.Secrets...)
}

// WriteFiles renders res into dir. Each file is passed through redact.String with secrets and the registered ones
// (redact.Secrets) before it is written, and written atomically (temporary file, then rename).
func (res *Results) WriteFiles(dir string, secrets ...string) error {
	secrets = redact.Secrets(secrets...)
	if dir == "" {
		return errors.New("report: no report directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode %s: %w", ResultsFile, err)
	}
	page, err := res.HTML()
	if err != nil {
		return fmt.Errorf("report: render %s: %w", HTMLFile, err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{ResultsFile, append(js, '\n')},
		{MarkdownFile, res.Markdown()},
		{HTMLFile, page},
		{RerunFile, res.RerunText(dir)},
	}
	var errs []error
	for _, f := range files {
		data := []byte(redact.String(string(f.data), secrets...))
		if err := writeAtomic(filepath.Join(dir, f.name), data); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
