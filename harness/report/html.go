package report

import (
	"bytes"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/pi-conformance/suite/harness/client"
)

type htmlCell struct {
	Present bool
	Outcome Outcome
	Text    string
	Title   string
	Href    string
}

type htmlRow struct {
	Status string
	Cells  []htmlCell
}

type htmlColumn struct {
	Key, Title string
}

type htmlCount struct {
	Outcome Outcome
	N       int
}

type htmlExchange struct {
	Exchange
	StatusText string
	ReqHeaders string
	ResHeaders string
	ReqBody    string
	ResBody    string
}

type htmlFailure struct {
	Check
	Exchanges []htmlExchange
}

type htmlView struct {
	R                       *Results
	Title                   string
	Meta                    [][2]string
	Score                   string
	Index                   string
	Passed, Applicable, All int
	Counts                  []htmlCount
	Gate                    []string
	Warnings                []string
	Columns                 []htmlColumn
	Rows                    []htmlRow
	Failures                []htmlFailure
	Blocked                 []Check
	Schema                  []Check
	Legend                  []Outcome
	LadderNote, MatrixNote  string
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{"link": checkLink}).Parse(htmlSource))

// checkLink is the in-page link to a check: its failure section when it failed or errored, else its row. A whole
// attribute value, so that html/template normalises it as a URL and keeps the slashes of an id.
func checkLink(c Check) string {
	if c.Outcome.Bad() {
		return "#f-" + c.ID
	}
	return "#" + c.ID
}

// HTML renders report.html: one self-contained page (inline CSS, no scripts, no external assets), every value
// escaped by html/template.
func (res *Results) HTML() ([]byte, error) {
	v := htmlView{
		R:        res,
		Title:    res.Title(),
		Meta:     nil,
		Score:    Pct(res.Score),
		Index:    Pct(res.ConformanceIndex),
		Warnings: res.suiteWarnings(),
		Passed:   res.Totals.Count(Passed), Applicable: res.Totals.Applicable(), All: res.Totals.All(),
		Gate:       res.GateFailures(),
		Blocked:    res.Blocked(),
		Schema:     res.SchemaChecks(),
		LadderNote: LadderNote, MatrixNote: MatrixNote,
	}
	for _, m := range res.MetaRows() {
		if m[1] != "" {
			v.Meta = append(v.Meta, m)
		}
	}
	for i := len(Ladder) - 1; i >= 0; i-- {
		v.Counts = append(v.Counts, htmlCount{Ladder[i], res.Totals.Count(Ladder[i])})
		v.Legend = append(v.Legend, Ladder[i])
	}
	for _, col := range res.Matrix.Columns {
		t := res.Matrix.ColumnTitles[col]
		if t == "" {
			t = col
		}
		v.Columns = append(v.Columns, htmlColumn{Key: col, Title: t})
	}
	for _, row := range res.Matrix.Rows {
		hr := htmlRow{Status: row}
		for _, col := range res.Matrix.Columns {
			c := res.Matrix.Cell(row, col)
			if c == nil {
				hr.Cells = append(hr.Cells, htmlCell{Title: row + " × " + col + ": no check"})
				continue
			}
			href := "#" + c.First
			if c.Outcome.Bad() {
				href = "#f-" + c.First
			}
			hr.Cells = append(hr.Cells, htmlCell{
				Present: true, Outcome: c.Outcome, Text: CellText(c), Href: href,
				Title: row + " × " + col + ": " + CellTitle(c),
			})
		}
		v.Rows = append(v.Rows, hr)
	}
	for _, c := range res.Failures() {
		hf := htmlFailure{Check: c}
		if c.Failure != nil {
			for _, e := range c.Failure.Exchanges {
				hf.Exchanges = append(hf.Exchanges, htmlExchange{
					Exchange:   e,
					StatusText: ExchangeStatus(e),
					ReqHeaders: headerText(e.RequestHeader),
					ResHeaders: headerText(e.ResponseHeader),
					ReqBody:    Excerpt(e.RequestBody, HTMLBodyLimit) + cutNote(e.RequestBodyCut),
					ResBody:    Excerpt(PrettyBody(e.ResponseBody), HTMLBodyLimit) + cutNote(e.ResponseBodyCut),
				})
			}
		}
		v.Failures = append(v.Failures, hf)
	}
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func headerText(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// htmlSource is the page. It must stay well-formed XML (every element closed, void elements self-closed) so that
// the tests can check it with encoding/xml, and it must reference nothing outside itself.
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{{.Title}}</title>
<style>
:root { --passed: #2e7d32; --failed: #d32f2f; --errored: #6a1b9a; --blocked: #e65100; --skipped: #8d8d8d; --disabled: #e3e3e3; --ink: #1f2328; --muted: #656d76; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 8px; }
h4 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: 4px 0 8px; }
table { border-collapse: collapse; }
.meta th { text-align: left; color: var(--muted); font-weight: 600; padding: 2px 16px 2px 0; vertical-align: top; }
.meta td { padding: 2px 0; }
.summary { display: flex; flex-wrap: wrap; gap: 16px; align-items: stretch; margin: 16px 0 8px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 200px; }
.tile .big { display: block; font-size: 28px; font-weight: 700; }
.tile .sub { color: var(--muted); }
.counts { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; white-space: nowrap; }
.o-passed { background: var(--passed); color: #fff; }
.o-failed { background: var(--failed); color: #fff; }
.o-errored { background: var(--errored); color: #fff; }
.o-blocked { background: var(--blocked); color: #fff; }
.o-skipped { background: var(--skipped); color: #fff; }
.o-disabled { background: var(--disabled); color: #555; }
.o-none { background: #fafafa; color: #bbb; }
.note { color: var(--muted); max-width: 80em; }
.warn { border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.warn ul { margin: 4px 0 0; padding-left: 20px; }
.gate { border: 1px solid var(--failed); background: #ffebe9; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.gate ul { margin: 4px 0 0; padding-left: 20px; }
.gate.ok { border-color: var(--passed); background: #dafbe1; }
table.matrix { margin: 8px 0; }
table.matrix th, table.matrix td { border: 2px solid #fff; }
table.matrix thead th { background: #f6f8fa; font-weight: 600; font-size: 12px; padding: 6px 8px; vertical-align: bottom; min-width: 84px; }
table.matrix thead th code { display: block; color: var(--muted); font-weight: 400; font-size: 11px; }
table.matrix tbody th { text-align: left; background: #f6f8fa; padding: 6px 10px; font-weight: 400; }
table.matrix td { text-align: center; padding: 0; height: 40px; }
table.matrix td a { display: block; padding: 10px 6px; color: inherit; text-decoration: none; font-weight: 600; }
table.matrix td .l { font-size: 11px; opacity: .85; margin-right: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; color: var(--muted); }
section.failure { border: 1px solid var(--line); border-left: 6px solid var(--failed); border-radius: 6px; padding: 12px 16px; margin: 12px 0 16px; }
section.failure.errored { border-left-color: var(--errored); }
table.checks td.n { text-align: right; }
.where { color: var(--muted); margin: 0 0 8px; }
.where code { color: var(--ink); }
details { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 0 10px; }
details[open] { padding-bottom: 8px; }
summary { cursor: pointer; padding: 6px 0; }
table.checks { width: 100%; }
table.checks th, table.checks td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.checks th { background: #f6f8fa; }
table.checks td.t { white-space: nowrap; text-align: right; color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<table class="meta">
{{- range .Meta}}
<tr><th>{{index . 0}}</th><td><code>{{index . 1}}</code></td></tr>
{{- end}}
</table>
<div class="summary">
<div class="tile"><span class="big" id="score">{{.Score}}</span><span class="sub">score: {{.Passed}} passed of {{.Applicable}} applicable</span></div>
<div class="tile"><span class="big" id="index">{{.Index}}</span><span class="sub">conformance index: {{.Applicable}} applicable of {{.All}} checks</span></div>
<div class="tile counts">
{{- range .Counts}}
<span class="badge o-{{.Outcome}}">{{.N}} {{.Outcome}}</span>
{{- end}}
</div>
</div>
<p class="note">Applicable = passed + failed + errored. Failed: the target misbehaved. Errored: the suite broke or the target could not be reached. Blocked: the check could not reach its starting point. Disabled: the profile turns the capability off. Failed, errored and blocked checks fail the run.</p>
</header>
{{- if .Gate}}
<div class="gate" id="gate"><strong>The run fails:</strong>
<ul>
{{- range .Gate}}
<li>{{.}}</li>
{{- end}}
</ul>
</div>
{{- else if .R.Suite.Succeeded}}
<div class="gate ok" id="gate"><strong>The run passes:</strong> no check failed, errored or was blocked, and every response conformed to the schema.</div>
{{- end}}
{{- if .Warnings}}
<div class="warn"><strong>The run itself had problems:</strong>
<ul>
{{- range .Warnings}}
<li>{{.}}</li>
{{- end}}
</ul>
</div>
{{- end}}
<h2>Results matrix</h2>
<p class="note">Rows: the starting status. Columns: the clause checked. Each cell shows its worst outcome and passed/applicable (or the number of checks when none applies); hover for the counts, click for the checks. {{.MatrixNote}}</p>
<table class="matrix" id="matrix">
<thead><tr><th>Status \ Check</th>
{{- range .Columns}}<th>{{.Title}}<code>{{.Key}}</code></th>{{end -}}
</tr></thead>
<tbody>
{{- range .Rows}}
<tr><th><code>{{.Status}}</code></th>
{{- range .Cells}}
{{- if .Present}}<td class="o-{{.Outcome}}" title="{{.Title}}"><a href="{{.Href}}"><span class="l">{{.Outcome.Letter}}</span>{{.Text}}</a></td>
{{- else}}<td class="o-none" title="{{.Title}}">·</td>
{{- end}}
{{- end}}
</tr>
{{- end}}
</tbody>
</table>
<div class="legend">Legend:
{{- range .Legend}}
<span class="badge o-{{.}}">{{.Letter}} {{.}}</span>
{{- end}}
<span class="badge o-none">· no check</span>
</div>
<p class="note"><span class="badge o-blocked">B blocked</span> {{.LadderNote}}</p>
<h2 id="failures">Failures and errors ({{len .Failures}})</h2>
{{- if not .Failures}}
<p>None.</p>
{{- else if .R.Rerun.Focus}}
<p class="note">Re-run them with <code>go tool ginkgo run --focus="$(tail -1 rerun.txt)" ./suites/...</code> (rerun.txt is next to this page).</p>
{{- end}}
{{- range .Failures}}
<section class="failure {{.Outcome}}" id="f-{{.ID}}">
<h3><span class="badge o-{{.Outcome}}">{{.Outcome.Title}}</span> {{.Text}}</h3>
<p class="where">{{range .Labels}}<code>{{.}}</code> {{end}}{{if .Synthetic}}· synthetic check: no spec of its own; the specs that received a violating response are named below and in rerun.txt{{else}}· spec <code>{{.Location}}</code>{{end}}{{with .Failure}}{{if .Location}} · failed at <code>{{.Location}}</code>{{if and .Node (ne .Node "It")}} in {{.Node}}{{end}}{{end}}{{end}}</p>
{{- with .Failure}}
<pre class="msg">{{.Message}}</pre>
{{- if .Panic}}
<h4>Panic</h4>
<pre>{{.Panic}}</pre>
{{- end}}
{{- range .Additional}}
<h4>Later failure</h4>
<pre>{{.}}</pre>
{{- end}}
{{- range .Notes}}
<p class="note">{{.}}</p>
{{- end}}
{{- end}}
{{- range $i, $e := .Exchanges}}
<details class="exchange"><summary><code>{{$e.Method}} {{$e.Path}}</code> → {{$e.StatusText}}</summary>
<h4>Request</h4>
<pre>{{$e.Method}} {{$e.URL}}{{if $e.ReqHeaders}}
{{$e.ReqHeaders}}{{end}}{{if $e.ReqBody}}

{{$e.ReqBody}}{{end}}</pre>
{{- if $e.Error}}
<h4>Transport error</h4>
<pre>{{$e.Error}}</pre>
{{- end}}
{{- if $e.Status}}
<h4>Response</h4>
<pre>{{$e.StatusText}}{{if $e.ResHeaders}}
{{$e.ResHeaders}}{{end}}

{{if $e.ResBody}}{{$e.ResBody}}{{else}}(empty body){{end}}</pre>
{{- end}}
{{- range $e.RetryLog}}
<p class="note">retry: {{.}}</p>
{{- end}}
<h4>Reproduce (the key is read from the environment)</h4>
<pre>{{$e.Curl}}</pre>
</details>
{{- end}}
</section>
{{- end}}
{{- if .Blocked}}
<h2 id="blocked">Blocked ({{len .Blocked}})</h2>
<p class="note">These checks could not reach their starting point; they were not run, and they fail the run. rerun.txt selects them with the failures.</p>
<table class="checks">
<thead><tr><th>Status</th><th>Check</th><th>Spec</th><th>Reason</th></tr></thead>
<tbody>
{{- range .Blocked}}
<tr><td><code>{{.Status}}</code></td><td><code>{{.Check}}</code></td><td><a href="{{link .}}">{{.Text}}</a></td><td><pre>{{.Reason}}</pre></td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Schema}}
<h2 id="schema">Schema conformance by operation ({{len .Schema}})</h2>
<p class="note">Every response any spec received is validated against the pinned OpenAPI document and the fields Stripe always sends; each operation and object type is a check of its own (column <code>schema</code>, row <code>any</code>), failed when any of its responses violated. The specs that received a violating response are in rerun.txt.</p>
<table class="checks">
<thead><tr><th>Outcome</th><th>Operation</th><th>Object</th><th>Responses</th><th>Violating</th><th>Specs with violations</th></tr></thead>
<tbody>
{{- range .Schema}}
<tr><td><a class="badge o-{{.Outcome}}" href="{{link .}}">{{.Outcome}}</a></td>
{{- with .Schema}}<td><code>{{.Operation}}</code></td><td><code>{{.Object}}</code></td><td class="n">{{.Responses}}</td><td class="n">{{.Violating}}</td><td>{{range $i, $s := .ViolatingSpecs}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}</td>
{{- else}}<td colspan="5">{{.Text}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- end}}
<h2>All checks ({{len .R.Checks}})</h2>
<details open="open"><summary>{{.All}} checks, by status and clause</summary>
<table class="checks">
<thead><tr><th>Outcome</th><th>Status</th><th>Check</th><th>Op</th><th>Id</th><th>Spec</th><th>Evidence</th><th>Time</th></tr></thead>
<tbody>
{{- range .R.Checks}}
<tr id="{{.ID}}"><td><span class="badge o-{{.Outcome}}">{{.Outcome}}</span>{{if .SkipKind}} <small class="note">{{.SkipKind}}</small>{{end}}</td><td><code>{{.Status}}</code></td><td><code>{{.Check}}</code></td><td><code>{{.Op}}</code></td><td><code>{{.ID}}</code></td><td>{{.Text}}{{if .Reason}}<br /><small class="note">{{.Reason}}</small>{{end}}</td><td>{{with .Evidence}}<span title="{{.Source}}">{{.Level}}{{if .Year}} ({{.Year}}){{end}}</span>{{end}}</td><td class="t">{{if .Synthetic}}—{{else}}{{printf "%.2fs" .DurationSeconds}}{{end}}</td></tr>
{{- end}}
</tbody>
</table>
</details>
<footer>Generated {{.R.GeneratedAt}} · suite {{.R.Meta.SuiteVersion}} · machine-readable results in results.json</footer>
</body>
</html>
`

// cutNote follows a body that is an excerpt.
func cutNote(c *client.BodyCut) string {
	if c == nil {
		return ""
	}
	return "\n… (an excerpt; " + c.String() + ")"
}
