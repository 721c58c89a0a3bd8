// Package hecsink is the tests' stand-in for Splunk's HTTP Event
// Collector, with or without indexer acknowledgement. It refuses what
// Splunk refuses: a missing (401 code 2) or unknown (403 code 4) token, a
// body that is not JSON objects one after another each with a non-blank
// event and well-typed metadata (400, naming the bad event's number, code 5
// "No data" for an empty body), a request without a channel when the token
// requires acknowledgement (code 10), a channel that is not a GUID or that
// it does not know (code 11), an ack query for a token without
// acknowledgement (code 14); and, stricter than Splunk, an ack query whose
// body is not {"acks":[ids]} or that names an id the channel never gave.
// Like Splunk without acknowledgement, it reads a body in order and stops
// at the first bad event: the events before it are indexed. With
// acknowledgement it answers false until it decides to index a request,
// and on command loses requests after answering code 0, forgets a channel,
// or answers its health check 503. It records every request (the
// embedded testsink.Sink's Requests).
package hecsink // import "github.com/sentyr/webhookexporter/internal/testsink/hecsink"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// The paths the sink serves.
const (
	EventPath = "/services/collector/event"
	// RawEventPath is the event endpoint's other name.
	RawEventPath = "/services/collector"
	AckPath      = "/services/collector/ack"
	HealthPath   = "/services/collector/health"
)

// ChannelHeader carries a request's channel.
const ChannelHeader = "X-Splunk-Request-Channel"

var guid = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// Policy is when the sink indexes what it took.
type Policy struct {
	// QueriesBeforeIndex is how many queries of a request's ackId answer
	// false before the request is indexed: late acknowledgement.
	QueriesBeforeIndex int
	// Lose says whether the n-th request taken with an ackId (from 0) is
	// lost after its code 0: never indexed, its ackId false for good.
	Lose func(n int) bool
	// Never indexes nothing: every ackId answers false.
	Never bool
}

// Sink is one HEC endpoint with one token.
type Sink struct {
	*testsink.Sink
	token string
	// ack says the token requires acknowledgement (useACK).
	ack bool

	mu       sync.Mutex
	policy   Policy
	channels map[string]*channel
	taken    int // requests taken with an ackId
	sent     map[string]int
	indexed  map[string]int
	dropped  map[string]int
	queries  []Query
	refused  []string
	health   int
	// events are the event members indexed, in order.
	events []map[string]any
	// busy answers this many requests 503 "Server is busy" (code 9).
	busy int
	// invalid marks an event that a server-side rule refuses (code 6);
	// busyWith answers a request holding a marked event 503 (code 9),
	// indexing none of it.
	invalid, busyWith func(event map[string]any) bool
}

// channel is what the sink keeps of one channel.
type channel struct {
	next    uint64
	pending map[uint64]*request
}

// request is one request taken on a channel, waiting to be indexed or
// acknowledged.
type request struct {
	ids     []string
	queried int
	lost    bool
	indexed bool
}

// Query is one ack query the sink answered.
type Query struct {
	Channel string
	IDs     []uint64
	Status  int
}

// New starts a sink for token; ack says the token requires
// acknowledgement. It stops when the test ends.
func New(t testing.TB, token string, ack bool) *Sink {
	s := &Sink{token: token, ack: ack, channels: map[string]*channel{}, health: http.StatusOK,
		sent: map[string]int{}, indexed: map[string]int{}, dropped: map[string]int{}}
	s.Sink = testsink.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, _ int) { s.handle(w, r) })
	return s
}

// SetBusy makes the next n requests of events answer 503 "Server is busy"
// (code 9).
func (s *Sink) SetBusy(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = n
}

// RefuseEvents makes a server-side rule refuse the events invalid marks
// (400 code 6, naming the event's number).
func (s *Sink) RefuseEvents(invalid func(event map[string]any) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalid = invalid
}

// BusyWith makes a request holding an event busy marks answer 503
// "Server is busy" (code 9), indexing none of it.
func (s *Sink) BusyWith(busy func(event map[string]any) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busyWith = busy
}

// IndexedEvents returns the event members indexed, in order, their
// numbers as json.Number.
func (s *Sink) IndexedEvents() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// EventRequests returns the requests to the event endpoint, in order.
func (s *Sink) EventRequests() []testsink.Request {
	var out []testsink.Request
	for _, r := range s.Requests() {
		if u, err := url.Parse(r.Path); err == nil && (u.Path == EventPath || u.Path == RawEventPath) {
			out = append(out, r)
		}
	}
	return out
}

// Endpoint is the event endpoint's URL.
func (s *Sink) Endpoint() string { return s.URL + EventPath }

// SetPolicy sets when the sink indexes from now on.
func (s *Sink) SetPolicy(p Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
}

// Forget forgets every channel, as Splunk does with an idle one or on a
// restart: its unanswered ackIds are gone, a query of it answers code 11,
// and a send on it starts it again from ackId 0. index says whether the
// requests waiting on it were indexed all the same (their acknowledgement
// alone is lost: a resend indexes them twice) or dropped.
func (s *Sink) Forget(index bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		for _, req := range ch.pending {
			switch {
			case req.indexed:
			case index && !req.lost:
				s.index(req.ids)
				count(s.dropped, req.ids)
			default:
				count(s.dropped, req.ids)
			}
		}
	}
	clear(s.channels)
}

// Forgotten counts the events of requests that waited on a forgotten
// channel, indexed or not, by event id.
func (s *Sink) Forgotten() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.dropped)
}

// Sent counts the events of the requests taken, by event id.
func (s *Sink) Sent() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.sent)
}

// SetHealth makes the health check answer status (200 or 503).
func (s *Sink) SetHealth(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health = status
}

// Indexed counts the events indexed, by event id.
func (s *Sink) Indexed() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.indexed)
}

// Queries returns the ack queries answered, in order.
func (s *Sink) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// Refused returns why requests were refused, in order.
func (s *Sink) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// answer writes HEC's JSON answer.
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// fail refuses a request as Splunk does, and keeps why.
func (s *Sink) fail(w http.ResponseWriter, status, code int, text, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(w, status, code, text, why)
}

func (s *Sink) failLocked(w http.ResponseWriter, status, code int, text, why string) {
	s.refused = append(s.refused, fmt.Sprintf("%d code %d: %s", status, code, why))
	answer(w, status, fmt.Sprintf(`{"text":%q,"code":%d}`, text, code))
}

func (s *Sink) handle(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case HealthPath:
		s.mu.Lock()
		status := s.health
		s.mu.Unlock()
		if status == http.StatusOK {
			answer(w, status, `{"text":"HEC is healthy","code":17}`)
		} else {
			answer(w, status, `{"text":"HEC is unhealthy, queues are full","code":18}`)
		}
		return
	case EventPath, RawEventPath, AckPath:
	default:
		s.fail(w, http.StatusNotFound, 404, "The requested URL was not found on this server.", "path "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		s.fail(w, http.StatusMethodNotAllowed, 405, "Method Not Allowed", "method "+r.Method)
		return
	}
	switch auth := r.Header.Get("Authorization"); {
	case auth == "":
		s.fail(w, http.StatusUnauthorized, 2, "Token is required", "no token")
		return
	case !strings.HasPrefix(auth, "Splunk "):
		s.fail(w, http.StatusUnauthorized, 3, "Invalid authorization", "not Splunk <token>")
		return
	case auth != "Splunk "+s.token:
		s.fail(w, http.StatusForbidden, 4, "Invalid token", "a wrong token")
		return
	}
	// The channel comes in the header or the query, any case.
	name := r.Header.Get(ChannelHeader)
	if name == "" {
		name = r.URL.Query().Get("channel")
	}
	if name != "" && !guid.MatchString(name) {
		s.fail(w, http.StatusBadRequest, 11, "Invalid data channel", "channel "+name+" is not a GUID")
		return
	}
	name = strings.ToUpper(name)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, http.StatusBadRequest, 6, "Invalid data format", "unreadable body")
		return
	}
	if r.URL.Path == AckPath {
		s.query(w, name, body)
		return
	}
	s.send(w, name, body)
}

// send takes a request of events.
func (s *Sink) send(w http.ResponseWriter, name string, body []byte) {
	if s.ack && name == "" {
		s.fail(w, http.StatusBadRequest, 10, "Data channel is missing", "no channel for a token with acknowledgement")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy > 0 {
		s.busy--
		s.failLocked(w, http.StatusServiceUnavailable, 9, "Server is busy", "busy, as scripted")
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		s.failLocked(w, http.StatusBadRequest, 5, "No data", "an empty body")
		return
	}
	objs, bad := s.read(body)
	if bad != nil && bad.code == 9 {
		s.failLocked(w, http.StatusServiceUnavailable, 9, "Server is busy", "busy with a marked event, as scripted")
		return
	}
	if bad != nil && s.ack {
		// With acknowledgement nothing of a bad request is taken.
		objs = nil
	}
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.Fields.EventID
	}
	count(s.sent, ids)
	if !s.ack {
		s.index(ids)
		for _, o := range objs {
			s.events = append(s.events, o.Event)
		}
	}
	if bad != nil {
		s.refused = append(s.refused, fmt.Sprintf("400 code %d: event %d: %s", bad.code, bad.n, bad.text))
		answer(w, http.StatusBadRequest, fmt.Sprintf(`{"text":%q,"code":%d,"invalid-event-number":%d}`, bad.text, bad.code, bad.n))
		return
	}
	if !s.ack {
		answer(w, http.StatusOK, `{"text":"Success","code":0}`)
		return
	}
	ch := s.channels[name]
	if ch == nil {
		ch = &channel{pending: map[uint64]*request{}}
		s.channels[name] = ch
	}
	id := ch.next
	ch.next++
	lost := s.policy.Lose != nil && s.policy.Lose(s.taken)
	s.taken++
	ch.pending[id] = &request{ids: ids, lost: lost}
	answer(w, http.StatusOK, fmt.Sprintf(`{"text":"Success","code":0,"ackId":%d}`, id))
}

// object is one event object of a request, as HEC reads it.
type object struct {
	Event  map[string]any
	Fields struct {
		EventID string `json:"event_id"`
	}
}

// badEvent is why HEC stopped reading a request at its n-th event: code
// 9 when the test marked it busy.
type badEvent struct {
	n, code int
	text    string
}

// read reads a HEC body as Splunk does, in order, up to the first bad
// event.
func (s *Sink) read(body []byte) ([]object, *badEvent) {
	if s.busyWith != nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		for i := 0; ; i++ {
			var o struct {
				Event map[string]any `json:"event"`
			}
			if dec.Decode(&o) != nil {
				break
			}
			if s.busyWith(o.Event) {
				return nil, &badEvent{n: i, code: 9, text: "Server is busy"}
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var objs []object
	for i := 0; ; i++ {
		var raw map[string]any
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil || raw == nil {
			return objs, &badEvent{n: i, code: 6, text: "Invalid data format"}
		}
		if text, code := checkObject(raw); code != 0 {
			return objs, &badEvent{n: i, code: code, text: text}
		}
		var o object
		o.Event, _ = raw["event"].(map[string]any)
		if fields, ok := raw["fields"].(map[string]any); ok {
			o.Fields.EventID, _ = fields["event_id"].(string)
		}
		if o.Event != nil && s.invalid != nil && s.invalid(o.Event) {
			return objs, &badEvent{n: i, code: 6, text: "Invalid data format"}
		}
		objs = append(objs, o)
	}
}

// checkObject checks one event object as HEC does.
func checkObject(obj map[string]any) (string, int) {
	event, has := obj["event"]
	if !has {
		return "Event field is required", 12
	}
	if event == nil || event == "" {
		return "Event field cannot be blank", 13
	}
	if tm, has := obj["time"]; has {
		switch v := tm.(type) {
		case json.Number:
			if _, err := v.Float64(); err != nil {
				return "Invalid data format", 6
			}
		case string:
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return "Invalid data format", 6
			}
		default:
			return "Invalid data format", 6
		}
	}
	for _, k := range []string{"host", "source", "sourcetype", "index"} {
		if v, has := obj[k]; has {
			if _, isString := v.(string); !isString {
				return "Invalid data format", 6
			}
		}
	}
	if fields, has := obj["fields"]; has {
		if _, isObject := fields.(map[string]any); !isObject {
			return "Error in handling indexed fields", 15
		}
	}
	return "", 0
}

// query answers an ack query.
func (s *Sink) query(w http.ResponseWriter, name string, body []byte) {
	if !s.ack {
		s.fail(w, http.StatusBadRequest, 14, "ACK is disabled", "an ack query for a token without acknowledgement")
		return
	}
	if name == "" {
		s.fail(w, http.StatusBadRequest, 10, "Data channel is missing", "an ack query without a channel")
		return
	}
	var q struct {
		Acks *[]uint64 `json:"acks"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil || q.Acks == nil || len(*q.Acks) == 0 || dec.More() {
		s.fail(w, http.StatusBadRequest, 6, "Invalid data format", fmt.Sprintf("an ack query that is not {\"acks\":[ids]}: %.80q", body))
		return
	}
	acks, code, why := s.acks(name, *q.Acks)
	if code != 0 {
		text := map[int]string{6: "Invalid data format", 11: "Invalid data channel"}[code]
		s.fail(w, http.StatusBadRequest, code, text, why)
		return
	}
	out, _ := json.Marshal(map[string]any{"acks": acks})
	answer(w, http.StatusOK, string(out))
}

// acks answers the query of ids on channel name, or refuses it with a
// code and why.
func (s *Sink) acks(name string, ids []uint64) (map[string]bool, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := Query{Channel: name, IDs: ids, Status: http.StatusBadRequest}
	defer func() { s.queries = append(s.queries, q) }()
	ch := s.channels[name]
	if ch == nil {
		return nil, 11, "an ack query of an unknown channel"
	}
	for _, id := range ids {
		if id >= ch.next {
			return nil, 6, fmt.Sprintf("ackId %d was never given on the channel", id)
		}
	}
	q.Status = http.StatusOK
	acks := make(map[string]bool, len(ids))
	for _, id := range ids {
		req := ch.pending[id]
		if req == nil {
			// Answered true before: Splunk forgets it then.
			acks[fmt.Sprint(id)] = false
			continue
		}
		req.queried++
		if !req.indexed && !req.lost && !s.policy.Never && req.queried > s.policy.QueriesBeforeIndex {
			req.indexed = true
			s.index(req.ids)
		}
		acks[fmt.Sprint(id)] = req.indexed
		if req.indexed {
			delete(ch.pending, id)
		}
	}
	return acks, 0, ""
}

// index counts the events of a request as indexed.
func (s *Sink) index(ids []string) { count(s.indexed, ids) }

func count(m map[string]int, ids []string) {
	for _, id := range ids {
		m[id]++
	}
}
