package report

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/redact"
)

// FocusExpression returns a Go regular expression for Ginkgo's --focus that matches exactly the specs whose full
// text (container texts and the It's text joined by " ") is one of texts, in a suite with the given description.
//
// Ginkgo matches --focus against the suite description, a space and the spec's full text, unanchored; the
// expression is therefore anchored at both ends, starts with the quoted description and lists every text quoted
// with regexp.QuoteMeta:
//
//	^Suite description (?:text one|text two)$
//
// It returns "" for no texts. A text that redact.String would change (it contains something shaped like a key) is
// not written out: each masked part becomes ".+", so the key never reaches rerun.txt and the expression still
// matches the spec.
func FocusExpression(suiteDescription string, texts []string) string {
	return focusExpression(suiteDescription, texts, func(s string) string { return redact.String(s) })
}

var quotedMask = regexp.QuoteMeta(redact.Mask)

func focusExpression(desc string, texts []string, red func(string) string) string {
	seen := map[string]bool{}
	var alts []string
	for _, t := range texts {
		var q string
		if rt := red(t); rt != t {
			q = strings.ReplaceAll(regexp.QuoteMeta(rt), quotedMask, ".+")
		} else {
			q = regexp.QuoteMeta(t)
		}
		if !seen[q] {
			seen[q] = true
			alts = append(alts, q)
		}
	}
	if len(alts) == 0 {
		return ""
	}
	sort.Strings(alts)
	return "^" + regexp.QuoteMeta(desc+" ") + "(?:" + strings.Join(alts, "|") + ")$"
}

// FocusMatches reports whether Ginkgo, given --focus=expr, would select the spec with this full text in a suite
// with this description.
func FocusMatches(expr, suiteDescription, text string) (bool, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return false, err
	}
	return re.MatchString(suiteDescription + " " + text), nil
}

// rerunSelects reports whether a check's spec belongs in the rerun expression: it failed the run itself (failed,
// errored, blocked), or it received a response that violated the schema, or its schema entry could not be read.
// A synthetic check is no spec: its sources are selected instead.
func (c *Check) rerunSelects() bool {
	if c.Synthetic {
		return false
	}
	return c.Outcome.FailsRun() || c.sawViolation() || len(c.seenErrs) > 0
}

// buildRerun builds the focus expression for the specs that failed the run and verifies it against every spec: it
// must select each of them and no other.
func buildRerun(desc string, checks []Check, red func(string) string) Rerun {
	out := Rerun{Exact: true}
	var texts []string
	for i := range checks {
		if checks[i].rerunSelects() {
			texts = append(texts, checks[i].text)
		}
	}
	out.Count = len(texts)
	out.Focus = focusExpression(desc, texts, red)
	if out.Focus == "" {
		return out
	}
	re, err := regexp.Compile(out.Focus)
	if err != nil { // cannot happen with quoted texts; say so rather than pretend
		out.Exact = false
		out.Extra = append(out.Extra, "the expression does not compile: "+err.Error())
		return out
	}
	for i := range checks {
		c := &checks[i]
		if c.Synthetic {
			continue
		}
		want, got := c.rerunSelects(), re.MatchString(desc+" "+c.text)
		switch {
		case got && !want: // a masked part (".+") matches another spec's text too, or two specs share a text
			out.Exact = false
			out.Extra = append(out.Extra, red(c.text))
		case !got && want: // cannot happen: every selected text is in the expression
			out.Exact = false
			out.Extra = append(out.Extra, "(not selected although it failed the run) "+red(c.text))
		}
	}
	return out
}

// RerunText renders rerun.txt: comment lines (one with a full command line that reads the expression from the file
// in dir), then the bare --focus expression as the last line; an empty last line when nothing failed.
func (res *Results) RerunText(dir string) []byte {
	var b strings.Builder
	file := filepath.ToSlash(filepath.Join(dir, RerunFile))
	run := res.Meta.RunID
	if run == "" {
		run = "(no run id)"
	}
	if res.Rerun.Focus == "" {
		fmt.Fprintf(&b, "# Nothing to re-run: no check failed, errored or was blocked, and no response violated the schema in run %s against %s.\n", run, orNone(res.Meta.TargetHost))
		b.WriteString("# The last line is empty; note that an empty --focus selects every check.\n")
		b.WriteString("\n")
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "# Re-run the %d spec(s) that failed run %s against %s (failed, errored or blocked checks, and specs that received a response violating the schema):\n", res.Rerun.Count, run, orNone(res.Meta.TargetHost))
	fmt.Fprintf(&b, "#   go tool ginkgo run --focus=\"$(tail -1 %s)\" ./suites/...\n", client.ShellQuote(file))
	b.WriteString("# The last line is a Go regular expression for Ginkgo's --focus, anchored, with each spec text quoted.\n")
	if !res.Rerun.Exact {
		b.WriteString("# Not exact: it also selects these specs (a key-shaped part of a selected text is written as .+, or two specs share a text):\n")
		for _, x := range res.Rerun.Extra {
			b.WriteString("#   " + oneLine(x) + "\n")
		}
	}
	b.WriteString(res.Rerun.Focus + "\n")
	return []byte(b.String())
}

func orNone(s string) string {
	if s == "" {
		return "(unknown target)"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
