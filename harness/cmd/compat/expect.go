package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// dateLayout is the layout of an expiry date.
const dateLayout = "2006-01-02"

// Expectation excuses one check, by id, from the gate: a known failure (from the expectations file, with a reason
// and an expiry date) or a check accepted with -accept (no expiry).
type Expectation struct {
	ID     string `yaml:"id" json:"id"`
	Reason string `yaml:"reason" json:"reason"`
	// Expires is the last day (YYYY-MM-DD, UTC) on which the entry excuses the check; "" for -accept.
	Expires string `yaml:"expires" json:"expires,omitempty"`
	// Text is the check's spec text, for the people who read the file; compat matches by id only.
	Text string `yaml:"text,omitempty" json:"text,omitempty"`
	// Source is the expectations file, or "-accept".
	Source string `yaml:"-" json:"source"`
	until  time.Time
}

// expectationsFile is the expectations file's format (YAML, or JSON, which YAML reads too).
type expectationsFile struct {
	Expectations []Expectation `yaml:"expectations"`
}

// acceptSource is the Source of an expectation made by the -accept flag.
const acceptSource = "-accept"

// readExpectations reads an expectations file. Unknown keys, a missing id, reason or expiry date, a malformed date
// and an id listed twice are errors.
func readExpectations(path string) ([]Expectation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f expectationsFile
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: not an expectations file: %w", path, err)
	}
	seen := map[string]bool{}
	var problems []string
	for i := range f.Expectations {
		e := &f.Expectations[i]
		e.Source = path
		e.ID, e.Reason, e.Expires = strings.TrimSpace(e.ID), strings.TrimSpace(e.Reason), strings.TrimSpace(e.Expires)
		name := fmt.Sprintf("entry %d (id %q)", i+1, e.ID)
		switch {
		case e.ID == "":
			problems = append(problems, name+": no id")
		case seen[e.ID]:
			problems = append(problems, name+": listed twice")
		}
		seen[e.ID] = true
		if e.Reason == "" {
			problems = append(problems, name+": no reason")
		}
		if e.until, err = time.Parse(dateLayout, e.Expires); err != nil {
			problems = append(problems, fmt.Sprintf("%s: expires %q is not a date (YYYY-MM-DD)", name, e.Expires))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", path, strings.Join(problems, "; "))
	}
	return f.Expectations, nil
}

// accepted turns -accept ids into expectations without expiry.
func accepted(ids []string) []Expectation {
	out := make([]Expectation, 0, len(ids))
	for _, id := range ids {
		out = append(out, Expectation{ID: id, Reason: "accepted with -accept", Source: acceptSource})
	}
	return out
}

// expired reports whether the entry no longer excuses its check on the day of now (UTC): the day after Expires.
func (e *Expectation) expired(now time.Time) bool {
	return !e.until.IsZero() && !now.UTC().Before(e.until.AddDate(0, 0, 1))
}

// expectationIndex maps ids to expectations; a -accept id also in the file keeps the file's entry (its expiry
// holds).
func expectationIndex(list []Expectation) map[string]*Expectation {
	m := make(map[string]*Expectation, len(list))
	for i := range list {
		if prev, ok := m[list[i].ID]; ok && prev.Source != acceptSource {
			continue
		}
		m[list[i].ID] = &list[i]
	}
	return m
}
