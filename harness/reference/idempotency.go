package reference

import (
	"net/http"
	"sync"
)

// idempotencyStore keeps the first response per Idempotency-Key.
//
// A key is reserved when a request starts; a second request with the key
// while the first is running gets 409 idempotency_key_in_use. When the first
// finishes, its status and body are saved unless the request failed
// parameter validation (or the handler panicked), in which case the key is
// released and may be reused. A saved key replays the saved response for a
// request with the same endpoint and parameters, and answers 400
// idempotency_error otherwise. Keys never expire (the process is short-lived).
type idempotencyStore struct {
	mu      sync.Mutex
	entries map[string]*idemEntry
}

type idemEntry struct {
	endpoint    string
	fingerprint string
	done        bool
	status      int
	body        []byte
	reqID       string
}

// begin reserves key (replay=false) or returns the finished entry to replay.
func (st *idempotencyStore) begin(key, endpoint, fingerprint string) (ent *idemEntry, replay bool, err *Error) {
	ent, e := st.lookup(key, endpoint, fingerprint)
	if e != nil {
		return nil, false, e
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return ent, ent.done, nil
}

func (st *idempotencyStore) lookup(key, endpoint, fingerprint string) (*idemEntry, *Error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ent, ok := st.entries[key]
	if !ok {
		ent = &idemEntry{endpoint: endpoint, fingerprint: fingerprint}
		st.entries[key] = ent
		return ent, nil
	}
	if !ent.done {
		return nil, &Error{Type: "invalid_request_error", Code: "idempotency_key_in_use", HTTPStatus: http.StatusConflict, noStore: true,
			Message: "There is currently another in-progress request using this idempotent key (that probably means you submitted twice, and the other request is still going through): " + clip(sanitizeHeader(key), 255) + ". Please try again later."}
	}
	if ent.endpoint != endpoint {
		return nil, &Error{Type: "idempotency_error", HTTPStatus: http.StatusBadRequest, noStore: true,
			Message: "Keys for idempotent requests can only be used for the same endpoint they were first used for ('" + clip(endpoint, 200) + "' vs '" + clip(ent.endpoint, 200) + "'). Try using a key other than '" + clip(sanitizeHeader(key), 255) + "' if you meant to execute a different request."}
	}
	if ent.fingerprint != fingerprint {
		return nil, &Error{Type: "idempotency_error", HTTPStatus: http.StatusBadRequest, noStore: true,
			Message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '" + clip(sanitizeHeader(key), 255) + "' if you meant to execute a different request."}
	}
	return ent, nil
}

func (st *idempotencyStore) finish(key string, ent *idemEntry, status int, body []byte, reqID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ent.status, ent.body, ent.reqID, ent.done = status, body, reqID, true
}

func (st *idempotencyStore) release(key string, ent *idemEntry) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.entries[key] == ent {
		delete(st.entries, key)
	}
}
