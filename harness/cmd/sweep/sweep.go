package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/pi-conformance/suite/harness/client"
	"github.com/pi-conformance/suite/harness/framework"
	"github.com/pi-conformance/suite/harness/labels"
)

// Object kinds, as the API names them.
const (
	kindIntent  = "payment_intent"
	kindSession = "checkout.session"
)

const (
	pageSize = 100
	// searchLag is how far back the listing that backs up a search reaches: Stripe's search index is not
	// read-after-write consistent ("under normal conditions data is searchable in less than a minute"), and the objects
	// a run created just before it was interrupted are exactly the ones a sweep right after it must find.
	searchLag = 5 * time.Minute
	// maxMessage bounds the excerpt of a target's error message on an output line.
	maxMessage = 160
)

var runIDPattern = regexp.MustCompile(`^([0-9]{8}T[0-9]{6})-[0-9a-f]{12}$`)

// RunStart is the UTC start time a run id carries (framework.NewRunID: "20060102T150405-<12 hex>").
func RunStart(id string) (time.Time, error) {
	m := runIDPattern.FindStringSubmatch(id)
	if m == nil {
		return time.Time{}, fmt.Errorf("%q is not a run id (they look like 20261201T224253-a1b2c3d4e5f6)", id)
	}
	t, err := time.Parse("20060102T150405", m[1])
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a run id: %v", id, err)
	}
	return t, nil
}

// Selector says which run tags are swept: exactly RunID, or (RunID empty) every well-formed run id started before
// Before.
type Selector struct {
	RunID  string
	Before time.Time
}

// Match reports whether an object tagged with this run id is to be swept. An empty tag never matches.
func (s Selector) Match(tag string) bool {
	if tag == "" {
		return false
	}
	if s.RunID != "" {
		return tag == s.RunID
	}
	t, err := RunStart(tag)
	return err == nil && t.Before(s.Before)
}

func (s Selector) String() string {
	if s.RunID != "" {
		return "run " + s.RunID
	}
	return "runs started before " + s.Before.UTC().Format(time.RFC3339)
}

// Sweeper finds and releases one selection of tagged objects.
type Sweeper struct {
	Client *client.Client
	Select Selector
	Now    func() time.Time
	// Since bounds the listing window with -older-than: objects created at most this long ago.
	Since time.Duration
	// ClockSkew widens the window of -run before the run's start (the target's clock may differ).
	ClockSkew time.Duration
	DryRun    bool
	NoSearch  bool
	MaxPages  int
	Out       io.Writer
}

// found is one tagged object selected for the sweep, as a listing showed it.
type found struct {
	kind, id, status, tag string
}

// Result is what a sweep did.
type Result struct {
	Searched    []string // how each kind was found
	NotSearched []string // what could not be searched, and why (not a failure: the target lacks the endpoint)
	Problems    []string // failures while finding (each makes the sweep fail)
	Stopped     string   // livemode seen: the sweep stopped
	Lines       int      // objects reported
	Released    int      // canceled or expired (or, in a dry run, that would be)
	Untouched   int      // selected but nothing to do (final status, or no longer selected)
	FailedN     int      // objects whose release failed
	Untagged    int      // listed objects without the tag: ignored
	OtherRuns   int      // listed objects tagged by runs outside the selection: ignored
	dryRun      bool
}

// Failed reports whether the sweep should exit 1.
func (r *Result) Failed() bool { return r.FailedN > 0 || len(r.Problems) > 0 || r.Stopped != "" }

// Print writes the summary.
func (r *Result) Print(w io.Writer) {
	for _, s := range r.Searched {
		fmt.Fprintln(w, "searched:     "+s)
	}
	for _, s := range r.NotSearched {
		fmt.Fprintln(w, "NOT SEARCHED: "+s)
	}
	for _, s := range r.Problems {
		fmt.Fprintln(w, "FAILED:       "+s)
	}
	if r.Stopped != "" {
		fmt.Fprintln(w, "STOPPED:      "+r.Stopped)
	}
	verb := "released"
	if r.dryRun {
		verb = "would be released"
	}
	fmt.Fprintf(w, "summary: %d tagged object(s) selected: %d %s, %d with nothing to do, %d failed; ignored %d untagged and %d of other runs\n",
		r.Lines, r.Released, verb, r.Untouched, r.FailedN, r.Untagged, r.OtherRuns)
}

// Run finds every selected object first (so that a live-mode listing stops the sweep before any write), then
// releases the Checkout Sessions (expiring one cancels its intent) and then the PaymentIntents.
func (sw *Sweeper) Run(ctx context.Context) *Result {
	res := &Result{dryRun: sw.DryRun}
	sessions := sw.findSessions(ctx, res)
	intents := sw.findIntents(ctx, res)
	if res.Stopped != "" {
		return res
	}
	for _, o := range append(sessions, intents...) {
		if res.Stopped != "" || ctx.Err() != nil {
			break
		}
		sw.release(ctx, res, o)
	}
	if err := ctx.Err(); err != nil {
		res.Problems = append(res.Problems, "interrupted: "+err.Error())
	}
	return res
}

// page is one answer of a list or search endpoint.
type page struct {
	status int
	obj    map[string]any
	err    error
}

func (sw *Sweeper) get(ctx context.Context, path string, params client.Params) page {
	r, err := sw.Client.Do(ctx, client.Request{Method: "GET", Path: path, Params: params})
	if err != nil {
		return page{err: err}
	}
	obj, _ := r.JSON()
	return page{status: r.Status, obj: obj}
}

// describe is a short, redacted account of a failed answer.
func (sw *Sweeper) describe(p page) string {
	if p.err != nil {
		return sw.Client.Redact(p.err.Error())
	}
	s := strconv.Itoa(p.status)
	if e, ok := p.obj["error"].(map[string]any); ok {
		for _, k := range []string{"type", "code"} {
			if v, _ := e[k].(string); v != "" {
				s += " " + v
			}
		}
		if m, _ := e["message"].(string); m != "" {
			if len(m) > maxMessage {
				m = m[:maxMessage] + "…"
			}
			s += ": " + m
		}
	}
	return sw.Client.Redact(s)
}

// collector keeps the selected objects of listings, once each, and counts the ignored ones.
type collector struct {
	sel   Selector
	res   *Result
	seen  map[string]bool
	items []found
}

// take looks at one listed object. It returns false when the object is live (the sweep must stop).
func (c *collector) take(kind string, o map[string]any) bool {
	if o["livemode"] == true {
		return false
	}
	id, _ := o["id"].(string)
	if id == "" || c.seen[id] {
		return true
	}
	c.seen[id] = true
	md, _ := o["metadata"].(map[string]any)
	tag, _ := md[framework.RunMetadataKey].(string)
	switch {
	case tag == "":
		c.res.Untagged++
	case !c.sel.Match(tag):
		c.res.OtherRuns++
	default:
		st, _ := o["status"].(string)
		c.items = append(c.items, found{kind: kind, id: id, status: st, tag: tag})
	}
	return true
}

// walk pages through a list (starting_after) or search (page/next_page) endpoint, handing each object to take.
// It returns the first answer that was not a usable page (nil when every page was read), and whether the page limit
// cut the walk short.
func (sw *Sweeper) walk(ctx context.Context, kind, path string, params client.Params, search bool, c *collector) (bad *page, truncated bool) {
	for n := 0; ; n++ {
		if n == sw.MaxPages {
			return nil, true
		}
		p := sw.get(ctx, path, params)
		if p.err != nil || p.status != 200 || p.obj == nil {
			return &p, false
		}
		if framework.LiveMode(p.obj) {
			c.res.Stopped = fmt.Sprintf("GET %s listed a livemode: true object: this is a live account; nothing was changed", path)
			return nil, false
		}
		data, ok := p.obj["data"].([]any)
		if !ok {
			p.err = fmt.Errorf("the answer to GET %s is not a list (no data array)", path)
			return &p, false
		}
		last := ""
		for _, it := range data {
			o, _ := it.(map[string]any)
			if o == nil {
				continue
			}
			if !c.take(kind, o) {
				c.res.Stopped = fmt.Sprintf("GET %s listed a livemode: true object: this is a live account; nothing was changed", path)
				return nil, false
			}
			last, _ = o["id"].(string)
		}
		if more, _ := p.obj["has_more"].(bool); !more || len(data) == 0 {
			return nil, false
		}
		params = cloneParams(params)
		if search {
			next, _ := p.obj["next_page"].(string)
			if next == "" {
				return nil, false
			}
			params.Set("page", next)
		} else {
			if last == "" {
				return nil, false
			}
			params.Set("starting_after", last)
		}
	}
}

func cloneParams(p client.Params) client.Params {
	out := client.Params{}
	for k, v := range p {
		out[k] = slices.Clone(v)
	}
	return out
}

// windowStart is the lower bound of a creation-window listing.
func (sw *Sweeper) windowStart() time.Time {
	if sw.Select.RunID != "" {
		start, _ := RunStart(sw.Select.RunID)
		return start.Add(-sw.ClockSkew)
	}
	return sw.Now().Add(-sw.Since)
}

func listParams(from time.Time) client.Params {
	return client.Params{"limit": {strconv.Itoa(pageSize)}, "created[gte]": {strconv.FormatInt(from.Unix(), 10)}}
}

func (sw *Sweeper) findIntents(ctx context.Context, res *Result) []found {
	c := &collector{sel: sw.Select, res: res, seen: map[string]bool{}}
	const path = "/v1/payment_intents"
	from := sw.windowStart()
	how := ""
	if sw.Select.RunID != "" && !sw.NoSearch {
		q := client.Params{"query": {fmt.Sprintf("metadata['%s']:'%s'", framework.RunMetadataKey, sw.Select.RunID)},
			"limit": {strconv.Itoa(pageSize)}}
		bad, truncated := sw.walk(ctx, kindIntent, path+"/search", q, true, c)
		switch {
		case res.Stopped != "":
			return nil
		case truncated:
			res.Problems = append(res.Problems, fmt.Sprintf("payment intents: more than %d search pages; re-run the sweep (or raise -max-pages)", sw.MaxPages))
			return c.items
		case bad == nil:
			// The search index lags writes: list what was created lately too.
			if recent := sw.Now().Add(-searchLag); recent.After(from) {
				from = recent
			}
			how = fmt.Sprintf("payment intents: search API (metadata['%s']), plus a listing of those created since %s (search lags writes)",
				framework.RunMetadataKey, from.UTC().Format(time.RFC3339))
		case bad.err == nil && (bad.status == 404 || bad.status == 400):
			how = fmt.Sprintf("payment intents: no search API (GET %s/search answered %s); listed those created since %s and filtered by tag",
				path, sw.describe(*bad), from.UTC().Format(time.RFC3339))
		default:
			res.Problems = append(res.Problems, "payment intents: search failed: "+sw.describe(*bad))
			return c.items
		}
	} else {
		how = fmt.Sprintf("payment intents: listed those created since %s and filtered by tag", from.UTC().Format(time.RFC3339))
	}
	bad, truncated := sw.walk(ctx, kindIntent, path, listParams(from), false, c)
	switch {
	case res.Stopped != "":
		return nil
	case truncated:
		res.Problems = append(res.Problems, fmt.Sprintf("payment intents: more than %d list pages since %s: not all were seen (narrow -since or raise -max-pages)",
			sw.MaxPages, from.UTC().Format(time.RFC3339)))
	case bad != nil:
		res.Problems = append(res.Problems, "payment intents: listing failed: "+sw.describe(*bad))
	default:
		res.Searched = append(res.Searched, how)
	}
	return c.items
}

func (sw *Sweeper) findSessions(ctx context.Context, res *Result) []found {
	c := &collector{sel: sw.Select, res: res, seen: map[string]bool{}}
	const path = "/v1/checkout/sessions"
	from := sw.windowStart()
	params := listParams(from)
	params.Set("status", "open")
	bad, truncated := sw.walk(ctx, kindSession, path, params, false, c)
	switch {
	case res.Stopped != "":
		return nil
	case truncated:
		res.Problems = append(res.Problems, fmt.Sprintf("checkout sessions: more than %d list pages: not all were seen", sw.MaxPages))
	case bad != nil && bad.err == nil && bad.status == 404:
		res.NotSearched = append(res.NotSearched, fmt.Sprintf("checkout sessions: the target has no session list (GET %s answered %s); "+
			"an open session of the selected runs stays open, and canceling its intent is refused", path, sw.describe(*bad)))
	case bad != nil:
		res.Problems = append(res.Problems, "checkout sessions: listing failed: "+sw.describe(*bad))
	default:
		res.Searched = append(res.Searched, fmt.Sprintf("checkout sessions: listed the open ones created since %s and filtered by tag", from.UTC().Format(time.RFC3339)))
	}
	// Only open sessions are released; a target that ignores status=open lists the others too.
	c.items = slices.DeleteFunc(c.items, func(o found) bool {
		if o.status != "open" {
			res.Untouched++
			res.Lines++
			sw.line(o.id, o.kind, o.status, "none", "not open")
			return true
		}
		return false
	})
	sort.SliceStable(c.items, func(i, j int) bool { return c.items[i].id < c.items[j].id })
	return c.items
}

func (sw *Sweeper) line(id, kind, status, action, result string) {
	fmt.Fprintf(sw.Out, "%-34s %-16s %-24s %-13s %s\n", id, kind, status, action, result)
}

// finalStatus are the statuses an object never leaves.
var finalStatus = map[string]map[string]bool{
	kindIntent:  {"canceled": true, "succeeded": true},
	kindSession: {"complete": true, "expired": true},
}

// release reads the object again and releases it if it still carries a selected tag and a releasable status.
func (sw *Sweeper) release(ctx context.Context, res *Result, o found) {
	res.Lines++
	action, want, path := "cancel", labels.Cancelable, "/v1/payment_intents/"+url.PathEscape(o.id)
	write := client.Request{Method: "POST", Path: path + "/cancel", Params: client.Params{"cancellation_reason": {"abandoned"}}}
	final := "canceled"
	if o.kind == kindSession {
		action, want, path = "expire", []string{"open"}, "/v1/checkout/sessions/"+url.PathEscape(o.id)
		write = client.Request{Method: "POST", Path: path + "/expire"}
		final = "expired"
	}
	fail := func(status, why string) {
		res.FailedN++
		sw.line(o.id, o.kind, status, action, "FAILED: "+why)
	}
	if finalStatus[o.kind][o.status] {
		// A final status never changes again: nothing to release, no need to read it again.
		res.Untouched++
		sw.line(o.id, o.kind, o.status, "none", "nothing to release")
		return
	}
	cur := sw.get(ctx, path, nil)
	if cur.err != nil || cur.status != 200 || cur.obj == nil {
		fail(o.status, "reading it: "+sw.describe(cur))
		return
	}
	if framework.LiveMode(cur.obj) {
		res.Stopped = "GET " + path + " answered livemode: true: stopped"
		fail(o.status, "livemode: true")
		return
	}
	status, _ := cur.obj["status"].(string)
	md, _ := cur.obj["metadata"].(map[string]any)
	tag, _ := md[framework.RunMetadataKey].(string)
	switch {
	case !sw.Select.Match(tag):
		res.Untouched++
		sw.line(o.id, o.kind, status, "none", "no longer tagged with a selected run: left alone")
		return
	case !slices.Contains(want, status):
		res.Untouched++
		why := "nothing to release"
		if !finalStatus[o.kind][status] {
			why = "not releasable from " + status + ": left as it is"
		}
		sw.line(o.id, o.kind, status, "none", why)
		return
	case sw.DryRun:
		res.Released++
		sw.line(o.id, o.kind, status, "would "+action, "dry run: nothing sent")
		return
	}
	r, err := sw.Client.Do(ctx, write)
	if err != nil {
		fail(status, sw.Client.Redact(err.Error()))
		return
	}
	obj, _ := r.JSON()
	if framework.LiveMode(obj) {
		res.Stopped = write.Path + " answered livemode: true: stopped"
		fail(status, "livemode: true")
		return
	}
	if r.Status != 200 || obj["status"] != final {
		fail(status, sw.describe(page{status: r.Status, obj: obj}))
		return
	}
	res.Released++
	sw.line(o.id, o.kind, status, action, final)
}
