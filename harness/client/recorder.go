package client

import "sync"

// A Recorder keeps the first RecorderFirst and the last RecorderLast exchanges, and Exchanges returns the bodies of
// all but the RecorderFullBodies most recent ones cut to SlimBody bytes: a spec that polls or loops sends many
// requests, and what a failed spec's exchanges hold goes into every report (Ginkgo's JSON and JUnit, results.json,
// report.html, report.md). So a failed spec adds at most about 3×9 KiB + 12×2 KiB of exchanges to each report
// (bodies, bounded headers, curl line), whatever the target sends.
const (
	RecorderFirst      = 3
	RecorderLast       = 12
	RecorderFullBodies = 3
	SlimBody           = 512
)

// Recorder collects exchanges (at most RecorderFirst+RecorderLast, see Omitted). It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	first   []*Exchange
	last    []*Exchange // a ring of RecorderLast once full; next is its oldest entry
	next    int
	omitted int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

func (r *Recorder) add(e *Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case len(r.first) < RecorderFirst:
		r.first = append(r.first, e)
	case len(r.last) < RecorderLast:
		r.last = append(r.last, e)
	default:
		r.last[r.next] = e
		r.next = (r.next + 1) % RecorderLast
		r.omitted++
	}
}

// Exchanges returns the kept exchanges in the order their calls completed: the first ones, then the last ones
// (Omitted says how many were dropped between them). All but the RecorderFullBodies most recent are copies with
// their bodies cut to SlimBody bytes (marked as cut, with the whole body's size and digest).
func (r *Recorder) Exchanges() []*Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Exchange, 0, len(r.first)+len(r.last))
	out = append(out, r.first...)
	out = append(out, r.last[r.next:]...)
	out = append(out, r.last[:r.next]...)
	for i := range max(len(out)-RecorderFullBodies, 0) {
		out[i] = out[i].slim()
	}
	return out
}

// slim returns e, or a copy of it with its bodies cut to SlimBody bytes. The recorded bodies are redacted already,
// so any prefix of them is too.
func (e *Exchange) slim() *Exchange {
	if len(e.RequestBody) <= SlimBody && len(e.ResponseBody) <= SlimBody {
		return e
	}
	cp := *e
	if len(cp.RequestBody) > SlimBody {
		cp.RequestBody, cp.RequestBodyCut = truncate(cp.RequestBody, SlimBody), orWhole(cp.RequestBodyCut, e.requestWhole, len(cp.RequestBody))
	}
	if len(cp.ResponseBody) > SlimBody {
		cp.ResponseBody, cp.ResponseBodyCut = truncate(cp.ResponseBody, SlimBody), orWhole(cp.ResponseBodyCut, e.responseWhole, len(cp.ResponseBody))
	}
	return &cp
}

func orWhole(cut, whole *BodyCut, recorded int) *BodyCut {
	switch {
	case cut != nil:
		return cut
	case whole != nil:
		return whole
	}
	return &BodyCut{Bytes: recorded, SHA256: "not recorded"} // an Exchange built by hand
}

// Omitted is the number of exchanges dropped between the first and the last ones kept.
func (r *Recorder) Omitted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.omitted
}

// Reset forgets every recorded exchange.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.first, r.last, r.next, r.omitted = nil, nil, 0, 0
	r.mu.Unlock()
}

// Count returns the number of recorded exchanges, the omitted ones included.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.first) + len(r.last) + r.omitted
}

// record adds ex to the client's recorder, if it has one.
func (c *Client) record(ex *Exchange) {
	if c.recorder != nil {
		c.recorder.add(ex)
	}
}
