// Package faultsink is a loopback webhook receiver that misbehaves on
// purpose, for the soak tests: it answers requests in turn with errors,
// throttling, resets, stalls and slow answers, and records which event ids
// it acknowledged and which it processed without acknowledging.
package faultsink // import "github.com/sentyr/webhookexporter/internal/faultsink"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Fault is how the sink answers one request.
type Fault int

const (
	OK               Fault = iota // 200 at once
	ServerError                   // 500
	UnavailableRetry              // 503 with Retry-After: 1
	TooManyRequests               // 429 without Retry-After
	Reset                         // the connection is closed without an answer
	Stall                         // no answer until the client gives up
	Slow                          // 200 whose body trickles in
	Delayed                       // 200 after a pause
	numFaults
)

var faultNames = [...]string{"ok", "500", "503+Retry-After", "429", "reset", "stall", "slow", "delayed"}

func (f Fault) String() string { return faultNames[f] }

// acknowledges says whether the client receives a 2xx for the fault.
func (f Fault) acknowledges() bool { return f == OK || f == Slow || f == Delayed }

// Script is the answers in turn; it repeats.
var Script = []Fault{OK, ServerError, OK, UnavailableRetry, OK, TooManyRequests, OK, Reset, OK, Stall, OK, Slow, OK, Delayed, OK, OK}

// Spread returns script with ok extra OK answers after each fault, for
// receivers that get one request per event, where a dense script would
// fail nearly every batch every time.
func Spread(script []Fault, ok int) []Fault {
	var out []Fault
	for _, f := range script {
		if f == OK {
			continue
		}
		out = append(out, f)
		for range ok {
			out = append(out, OK)
		}
	}
	return out
}

// IDFunc reads the event ids a request body carries.
type IDFunc func(body []byte) ([]string, error)

// Sink is the misbehaving receiver.
type Sink struct {
	*httptest.Server
	ids     IDFunc
	script  []Fault
	pause   time.Duration
	stopped chan struct{}

	mu       sync.Mutex
	requests int
	byFault  [numFaults]int
	bad      []string
	acked    map[string]int
	unacked  map[string]int
	changed  chan struct{}
}

// New starts a sink on loopback. pause is the delay of Delayed and the
// total trickle time of Slow; it must stay well under the client's timeout.
func New(ids IDFunc, script []Fault, pause time.Duration) *Sink {
	s := newSink(ids, script, pause)
	s.Server.Start()
	return s
}

// NewOn starts a sink on addr, for a test that must bring its endpoint up
// where a collector already sends.
func NewOn(addr string, ids IDFunc, script []Fault, pause time.Duration) (*Sink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := newSink(ids, script, pause)
	_ = s.Server.Listener.Close()
	s.Server.Listener = l
	s.Server.Start()
	return s, nil
}

func newSink(ids IDFunc, script []Fault, pause time.Duration) *Sink {
	s := &Sink{
		ids: ids, script: script, pause: pause, stopped: make(chan struct{}),
		acked: map[string]int{}, unacked: map[string]int{}, changed: make(chan struct{}, 1),
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the sink, releasing stalled requests first.
func (s *Sink) Close() {
	close(s.stopped)
	s.Server.CloseClientConnections()
	s.Server.Close()
}

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// The client went away while sending: nothing was processed.
		return
	}
	ids, err := s.ids(body)
	s.mu.Lock()
	n := s.requests
	s.requests++
	fault := s.script[n%len(s.script)]
	if err != nil {
		s.bad = append(s.bad, fmt.Sprintf("request %d: %v", n, err))
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.byFault[fault]++
	s.mu.Unlock()

	acked := s.answer(w, r, fault)
	s.record(ids, acked)
}

// answer misbehaves as fault says and reports whether the client got a 2xx.
func (s *Sink) answer(w http.ResponseWriter, r *http.Request, fault Fault) bool {
	switch fault {
	case ServerError:
		http.Error(w, "injected failure", http.StatusInternalServerError)
	case UnavailableRetry:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "injected unavailability", http.StatusServiceUnavailable)
	case TooManyRequests:
		http.Error(w, "injected throttling", http.StatusTooManyRequests)
	case Reset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
	case Stall:
		select {
		case <-r.Context().Done():
		case <-s.stopped:
		}
	case Slow:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for _, part := range []string{`{"status"`, `:`, `"ok"`, `}`} {
			if _, err := io.WriteString(w, part); err != nil || rc.Flush() != nil {
				return false
			}
			time.Sleep(s.pause / 4)
		}
		return r.Context().Err() == nil
	case Delayed:
		time.Sleep(s.pause)
		if r.Context().Err() != nil {
			return false
		}
		w.WriteHeader(http.StatusOK)
		return http.NewResponseController(w).Flush() == nil
	default:
		w.WriteHeader(http.StatusOK)
		return true
	}
	return false
}

func (s *Sink) record(ids []string, acked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if acked {
			s.acked[id]++
		} else {
			s.unacked[id]++
		}
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Stats is what the sink saw.
type Stats struct {
	Requests int
	ByFault  map[string]int
	// Bad lists bodies whose ids could not be read.
	Bad []string
	// Acked counts, per id, the requests answered 2xx that carried it.
	Acked map[string]int
	// Unacked counts, per id, the requests that carried it and were read
	// but answered with an error, reset or left to time out.
	Unacked map[string]int
}

// Unacknowledged is the number of requests read but not acknowledged.
func (st Stats) Unacknowledged() int {
	n := 0
	for f := range numFaults {
		if !f.acknowledges() {
			n += st.ByFault[f.String()]
		}
	}
	return n
}

// Stats returns a copy of what the sink saw so far.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: s.requests, ByFault: map[string]int{}, Bad: append([]string(nil), s.bad...),
		Acked: make(map[string]int, len(s.acked)), Unacked: make(map[string]int, len(s.unacked))}
	for f, n := range s.byFault {
		st.ByFault[Fault(f).String()] = n
	}
	for k, v := range s.acked {
		st.Acked[k] = v
	}
	for k, v := range s.unacked {
		st.Unacked[k] = v
	}
	return st
}

// WaitAcked waits until every id of want was acknowledged at least once,
// or until timeout; it returns the ids still missing.
func (s *Sink) WaitAcked(want []string, timeout time.Duration) []string {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		missing := s.missing(want)
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-s.changed:
		case <-tick.C:
		case <-deadline.C:
			return missing
		}
	}
}

func (s *Sink) missing(want []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range want {
		if s.acked[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// JSONIDs reads the value of data[key] of every event in a body of the
// json format: one object, an array of objects, or NDJSON lines.
func JSONIDs(key string) IDFunc {
	return func(body []byte) ([]string, error) {
		dec := json.NewDecoder(bytes.NewReader(body))
		var ids []string
		for {
			var v any
			if err := dec.Decode(&v); err != nil {
				if errors.Is(err, io.EOF) && len(ids) > 0 {
					return ids, nil
				}
				return nil, fmt.Errorf("reading the body: %w", err)
			}
			events, ok := v.([]any)
			if !ok {
				events = []any{v}
			}
			for i, ev := range events {
				obj, _ := ev.(map[string]any)
				data, _ := obj["data"].(map[string]any)
				id, _ := data[key].(string)
				if id == "" {
					return nil, fmt.Errorf("event %d has no data.%s", i, key)
				}
				ids = append(ids, id)
			}
		}
	}
}
