// Package docs holds the contract notes the suite follows and, in evidence.yaml, how sure each check's verdict is.
package docs

import (
	_ "embed"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed evidence.yaml
var evidenceYAML []byte

// Evidence says how sure a check's verdict is.
type Evidence struct {
	// Level is "documented" (Stripe's docs or OpenAPI document), "recorded" (a public recorded response of real
	// Stripe) or "unconfirmed" (no such evidence: every outcome Stripe might give is accepted).
	Level  string `yaml:"level" json:"level"`
	Source string `yaml:"source" json:"source"`
	// Year of the recording (recorded only).
	Year int `yaml:"year,omitempty" json:"year,omitempty"`
}

// Levels of evidence, from strongest to weakest.
var Levels = []string{"documented", "recorded", "unconfirmed"}

// Table maps id prefixes to evidence.
type Table map[string]Evidence

// LoadEvidence parses the embedded table and checks every entry.
func LoadEvidence() (Table, error) { return parseEvidence(evidenceYAML) }

func parseEvidence(data []byte) (Table, error) {
	var doc struct {
		Entries Table `yaml:"entries"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("evidence.yaml: %w", err)
	}
	for k, e := range doc.Entries {
		switch {
		case e.Source == "":
			return nil, fmt.Errorf("evidence.yaml: %s has no source", k)
		case e.Level == "recorded" && e.Year == 0:
			return nil, fmt.Errorf("evidence.yaml: %s is recorded but names no year", k)
		case e.Level != "recorded" && e.Year != 0:
			return nil, fmt.Errorf("evidence.yaml: %s has a year but is %s", k, e.Level)
		case e.Level != "documented" && e.Level != "recorded" && e.Level != "unconfirmed":
			return nil, fmt.Errorf("evidence.yaml: %s has level %q (want one of %s)", k, e.Level, strings.Join(Levels, ", "))
		}
	}
	return doc.Entries, nil
}

// For returns the evidence of a check id: the entry whose key is the id or its longest prefix ending at a dot.
func (t Table) For(id string) (Evidence, string, bool) {
	for key := id; key != ""; {
		if e, ok := t[key]; ok {
			return e, key, true
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return Evidence{}, "", false
}
