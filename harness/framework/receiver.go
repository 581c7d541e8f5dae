package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/pi-conformance/suite/harness/config"
)

// The webhook receiver of a run. Ginkgo process 1 owns it (StartReceiver): it takes the target's deliveries on
// config webhook_listen (path config.WebhookPath), answers 2xx, and keeps each delivery as it arrived (raw body and
// Stripe-Signature, unverified: the specs verify), indexed by the id of the event's data.object. Every process,
// process 1 included, reads them over a second, loopback-only listener (ReceiverClient), whose address travels in
// the SynchronizedBeforeSuite set-up like the budget's: the control API is never on the address the target reaches.
//
// Bounded: a body over maxDeliveryBody is refused (413); at most maxReceiverObjects objects (oldest forgotten first)
// and maxDeliveriesPerObject deliveries per object are kept.

const (
	maxDeliveryBody        = 1 << 20
	maxReceiverObjects     = 4096
	maxDeliveriesPerObject = 16
)

// Delivery is one webhook request the receiver got.
type Delivery struct {
	EventID   string    `json:"event_id"`
	Type      string    `json:"type"`
	ObjectID  string    `json:"object_id"`
	Signature string    `json:"signature"` // the Stripe-Signature header as received ("" when absent)
	Body      []byte    `json:"body"`
	Received  time.Time `json:"received"`
	// Answered is the status the receiver answered (503 for a delivery it refused on purpose).
	Answered int `json:"answered"`
}

// Receiver takes the deliveries of a run (process 1).
type Receiver struct {
	// URL is the receiver's own delivery URL (http://<listen address>/webhook).
	URL string
	// ControlURL is the loopback address other processes read deliveries from.
	ControlURL string

	hook, ctl *http.Server

	mu       sync.Mutex
	byObject map[string][]Delivery
	order    []string
	refuse   map[string]int
}

// StartReceiver listens on listen (host:port, port 0 for a free one) for deliveries and on a free loopback port for
// the control API.
func StartReceiver(listen string) (*Receiver, error) {
	hookLn, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: listen on %s: %w", listen, err)
	}
	ctlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = hookLn.Close()
		return nil, fmt.Errorf("webhook receiver: control listener: %w", err)
	}
	r := &Receiver{
		URL:        "http://" + hookLn.Addr().String() + config.WebhookPath,
		ControlURL: "http://" + ctlLn.Addr().String(),
		byObject:   map[string][]Delivery{},
		refuse:     map[string]int{},
	}
	hookMux := http.NewServeMux()
	hookMux.HandleFunc("POST "+config.WebhookPath, r.take)
	ctlMux := http.NewServeMux()
	ctlMux.HandleFunc("GET /deliveries", r.serveDeliveries)
	ctlMux.HandleFunc("POST /refuse", r.serveRefuse)
	r.hook = &http.Server{Handler: hookMux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	r.ctl = &http.Server{Handler: ctlMux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.hook.Serve(hookLn) }()
	go func() { _ = r.ctl.Serve(ctlLn) }()
	return r, nil
}

// Stop closes both listeners.
func (r *Receiver) Stop() {
	if r != nil {
		_ = r.hook.Close()
		_ = r.ctl.Close()
	}
}

func (r *Receiver) take(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxDeliveryBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &ev) // a body that is not an event is kept under object "" (nobody asks for it)
	d := Delivery{EventID: ev.ID, Type: ev.Type, ObjectID: ev.Data.Object.ID, Signature: req.Header.Get("Stripe-Signature"),
		Body: body, Received: time.Now(), Answered: http.StatusOK}
	r.mu.Lock()
	if r.refuse[d.ObjectID] > 0 {
		r.refuse[d.ObjectID]--
		d.Answered = http.StatusServiceUnavailable
	}
	if _, known := r.byObject[d.ObjectID]; !known {
		if len(r.order) >= maxReceiverObjects {
			delete(r.byObject, r.order[0])
			r.order = r.order[1:]
		}
		r.order = append(r.order, d.ObjectID)
	}
	if len(r.byObject[d.ObjectID]) < maxDeliveriesPerObject {
		r.byObject[d.ObjectID] = append(r.byObject[d.ObjectID], d)
	}
	r.mu.Unlock()
	w.WriteHeader(d.Answered)
}

func (r *Receiver) serveDeliveries(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	out := append([]Delivery{}, r.byObject[req.URL.Query().Get("object")]...)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (r *Receiver) serveRefuse(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 || n > maxDeliveriesPerObject || q.Get("object") == "" {
		http.Error(w, "want object and n (0..16)", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.refuse[q.Get("object")] = n
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// ReceiverClient reads the run's deliveries from the receiver's control address.
type ReceiverClient struct {
	base string
	hc   *http.Client
}

// NewReceiverClient talks to the control URL of the run's receiver.
func NewReceiverClient(controlURL string) *ReceiverClient {
	return &ReceiverClient{base: controlURL, hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}}
}

// Deliveries returns every delivery so far of an event about the object id, in order of arrival.
func (c *ReceiverClient) Deliveries(ctx context.Context, objectID string) ([]Delivery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/deliveries?object="+url.QueryEscape(objectID), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("webhook receiver: HTTP %d", resp.StatusCode)
	}
	var out []Delivery
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDeliveriesPerObject*(maxDeliveryBody+4096))).Decode(&out); err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	return out, nil
}

// RefuseNext makes the receiver answer 503 to the next n deliveries about the object id (a failed delivery, which
// the target must retry).
func (c *ReceiverClient) RefuseNext(ctx context.Context, objectID string, n int) error {
	u := c.base + "/refuse?object=" + url.QueryEscape(objectID) + "&n=" + strconv.Itoa(n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("webhook receiver: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return errors.New("webhook receiver: refuse: HTTP " + strconv.Itoa(resp.StatusCode))
	}
	return nil
}
