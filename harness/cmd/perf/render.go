package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// row is one figure of the table; met is nil for a figure without a goal.
type row struct {
	figure, measured, goal string
	met                    *bool
}

// section is one part of the measurements.
type section struct {
	key, title string
	rows       []row
	details    []string // Markdown blocks shown under the table
	err        error
}

// render writes the header, the table of every figure, then each section's details.
func render(m meta, secs []section) string {
	var b strings.Builder
	b.WriteString("# Conformance suite performance figures\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", m.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Commit: %s\n", m.commit)
	fmt.Fprintf(&b, "- Machine: %s\n", m.machine)
	fmt.Fprintf(&b, "- Command: `%s`\n\n", m.command)

	b.WriteString("| # | Figure | Measured | Goal | Met |\n|---|---|---|---|---|\n")
	for i, s := range secs {
		fmt.Fprintf(&b, "| **%d** | **%s** | | | |\n", i+1, s.title)
		if s.err != nil {
			fmt.Fprintf(&b, "| | not measured | **error**: %s | | **error** |\n", mdCell(firstLine(s.err.Error())))
			continue
		}
		for _, r := range s.rows {
			met := ""
			if r.met != nil {
				met = "yes"
				if !*r.met {
					met = "**NO**"
				}
			}
			fmt.Fprintf(&b, "| | %s | %s | %s | %s |\n", mdCell(r.figure), mdCell(r.measured), mdCell(r.goal), met)
		}
	}
	for i, s := range secs {
		if s.err == nil && len(s.details) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %d. %s\n\n", i+1, s.title)
		if s.err != nil {
			fmt.Fprintf(&b, "Not measured:\n\n```\n%s\n```\n", strings.TrimRight(s.err.Error(), "\n"))
			continue
		}
		for j, d := range s.details {
			if j > 0 {
				b.WriteString("\n")
			}
			b.WriteString(strings.TrimRight(d, "\n") + "\n")
		}
	}
	return b.String()
}

func firstLine(s string) string {
	l, rest, _ := strings.Cut(s, "\n")
	if strings.TrimSpace(rest) != "" {
		l += " (details below)"
	}
	return l
}

// mdCell makes s safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fmtDur prints a duration with a unit suited to its size: 850 µs, 12.3 ms, 4.13 s.
func fmtDur(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "−", -d
	}
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%s%.0f µs", neg, float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%s%.1f ms", neg, float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%s%.2f s", neg, d.Seconds())
	}
}

// fmtNs prints a ns/op figure as a duration.
func fmtNs(ns float64) string {
	if math.IsNaN(ns) {
		return "n/a"
	}
	if ns < 1000 {
		return fmt.Sprintf("%.0f ns", ns)
	}
	return fmtDur(time.Duration(ns))
}

// fmtX prints a ratio: 84×, 1.8×, 0.0042×.
func fmtX(r float64) string {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return "n/a"
	case r >= 10:
		return fmt.Sprintf("%.0f×", r)
	case r >= 0.1:
		return fmt.Sprintf("%.2f×", r)
	default:
		return fmt.Sprintf("%.2g×", r)
	}
}

// fmtPct prints a fraction as a percentage: 0.6 → 60%, 0.0037 → 0.37%.
func fmtPct(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "n/a"
	case math.Abs(f) >= 0.1:
		return fmt.Sprintf("%.0f%%", f*100)
	default:
		return fmt.Sprintf("%.2g%%", f*100)
	}
}

// fmtCount prints a count-like value with thousands separators: 64,987, 4.5, 692,361,024.
func fmtCount(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if v != math.Trunc(v) || math.Abs(v) >= 1e15 {
		return fmt.Sprintf("%.1f", v)
	}
	digits := fmt.Sprintf("%.0f", math.Abs(v))
	var b strings.Builder
	if v < 0 {
		b.WriteString("-")
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtBytes prints a byte count in MiB with the MB value: "36.6 MiB (38.4 MB)".
func fmtBytes(n int64) string {
	return fmt.Sprintf("%.1f MiB (%.1f MB)", float64(n)/(1<<20), float64(n)/1e6)
}
