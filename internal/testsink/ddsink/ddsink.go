// Package ddsink stands in for Datadog's intakes in tests: the Events API
// (v1) and the Logs intake (v2). Each refuses what Datadog refuses, as
// its documentation states it.
package ddsink // import "github.com/sentyr/webhookexporter/internal/testsink/ddsink"

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// Key is the API key the stand-ins take.
const Key = "0123456789abcdef0123456789abcdef"

// The paths the stand-ins serve.
const (
	EventsPath   = "/api/v1/events"
	ValidatePath = "/api/v1/validate"
	LogsPath     = "/api/v2/logs"
)

// Limits of the Logs intake, as its documentation states them: 5 MB of
// uncompressed content and 1,000 entries per request, 1 MB per log.
const (
	LogsMaxRequestBytes = 5_000_000
	LogsMaxEntries      = 1000
	LogsMaxEntryBytes   = 1_000_000
)

// writeErrors writes Datadog's error answer.
func writeErrors(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}

// Events stands in for the Events API (v1) and checks what it checks: the
// DD-API-KEY, a JSON object with a title of at most 100 and a text of at
// most 4000 characters, an integer date_happened, a known alert_type and
// string tags. It answers the key validation (GET /api/v1/validate).
type Events struct {
	*httptest.Server

	mu       sync.Mutex
	accepted []Event
	attempts map[int]int // seq -> requests seen
	inFlight int
	maxIn    int
	// unavailable answers 503 to the first request of these seqs.
	unavailable map[int]bool
}

// Event is an event the Events API took.
type Event struct {
	Title        string   `json:"title"`
	Text         string   `json:"text"`
	AlertType    string   `json:"alert_type"`
	Tags         []string `json:"tags"`
	DateHappened *int64   `json:"date_happened"`
	// Seq is the seq member of the event's text, as tests number events.
	Seq int `json:"-"`
}

// NewEvents starts an Events API stand-in; it stops when the test ends.
func NewEvents(t testing.TB) *Events {
	s := &Events{attempts: map[int]int{}, unavailable: map[int]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Unavailable makes the first request of each of the events seqs answer 503.
func (s *Events) Unavailable(seqs ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, seq := range seqs {
		s.unavailable[seq] = true
	}
}

// Accepted returns the events taken, in order.
func (s *Events) Accepted() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accepted)
}

// Attempts counts the valid requests of each seq.
func (s *Events) Attempts() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.attempts)
}

// MaxInFlight is the most requests the stand-in served at once.
func (s *Events) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

func (s *Events) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("DD-API-KEY") != Key {
		writeErrors(w, http.StatusForbidden, "Forbidden")
		return
	}
	switch {
	case r.URL.Path == ValidatePath && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"valid":true}`)
		return
	case r.URL.Path == EventsPath && r.Method == http.MethodPost:
	default:
		writeErrors(w, http.StatusNotFound, "Not found")
		return
	}
	s.mu.Lock()
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeErrors(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "Unreadable body")
		return
	}
	var raw map[string]any
	var ev Event
	if json.Unmarshal(body, &raw) != nil || json.Unmarshal(body, &ev) != nil {
		writeErrors(w, http.StatusBadRequest, "Payload is not a valid event: invalid JSON or field types")
		return
	}
	if msg := checkEvent(raw, &ev); msg != "" {
		writeErrors(w, http.StatusBadRequest, msg)
		return
	}
	var data struct {
		Seq int `json:"seq"`
	}
	_ = json.Unmarshal([]byte(ev.Text), &data)
	ev.Seq = data.Seq
	s.mu.Lock()
	s.attempts[ev.Seq]++
	first := s.attempts[ev.Seq] == 1
	unavailable := first && s.unavailable[ev.Seq]
	if !unavailable {
		s.accepted = append(s.accepted, ev)
	}
	s.mu.Unlock()
	if unavailable {
		writeErrors(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"ok","event":{"id":1}}`)
}

func checkEvent(raw map[string]any, ev *Event) string {
	if _, isString := raw["title"].(string); !isString || ev.Title == "" {
		return "Event title is required"
	}
	if utf8.RuneCountInString(ev.Title) > 100 {
		return "Event title is limited to 100 characters"
	}
	if _, isString := raw["text"].(string); !isString || ev.Text == "" {
		return "Event text is required"
	}
	if utf8.RuneCountInString(ev.Text) > 4000 {
		return "Event text is limited to 4000 characters"
	}
	if ev.AlertType != "" && !slices.Contains([]string{"error", "warning", "info", "success", "user_update", "recommendation", "snapshot"}, ev.AlertType) {
		return "Invalid alert_type"
	}
	if v, has := raw["date_happened"]; has {
		if f, isNumber := v.(float64); !isNumber || f != float64(int64(f)) {
			return "date_happened must be an integer"
		}
	}
	return ""
}

// Logs stands in for the Logs intake (v2) and refuses what it refuses: a
// missing (401) or wrong (403) DD-API-KEY, a body over 5 MB uncompressed
// (413), more than 1,000 entries or a body that is not a JSON array of
// objects (400). Entries over 1 MB, which the intake truncates, are
// counted.
type Logs struct {
	*httptest.Server
	testsink.Ledger[LogsRequest]
	overSized atomic.Int64
}

// LogsRequest is a request the Logs intake checked.
type LogsRequest struct {
	Header http.Header
	// Raw is the size of the body, uncompressed.
	Raw     int
	Entries []map[string]any
}

// NewLogs starts a Logs intake stand-in; it stops when the test ends.
func NewLogs(t testing.TB) *Logs {
	s := &Logs{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// OverSized counts the entries over LogsMaxEntryBytes, which the intake
// would truncate.
func (s *Logs) OverSized() int { return int(s.overSized.Load()) }

func (s *Logs) fail(w http.ResponseWriter, status int, msg string) {
	s.Refuse(fmt.Sprintf("%d %s", status, msg))
	writeErrors(w, status, msg)
}

func (s *Logs) handle(w http.ResponseWriter, r *http.Request) {
	switch key := r.Header.Get("DD-API-KEY"); {
	case key == "":
		s.fail(w, http.StatusUnauthorized, "Unauthorized: missing API key")
		return
	case key != Key:
		s.fail(w, http.StatusForbidden, "Forbidden")
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != LogsPath {
		s.fail(w, http.StatusNotFound, "Not found")
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "bad gzip")
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, LogsMaxRequestBytes+1))
	if err != nil {
		s.fail(w, http.StatusBadRequest, "unreadable body")
		return
	}
	if len(raw) > LogsMaxRequestBytes {
		s.fail(w, http.StatusRequestEntityTooLarge, "Payload too large: over 5MB uncompressed")
		return
	}
	var entries []json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		s.fail(w, http.StatusBadRequest, "the body is not a JSON array")
		return
	}
	if len(entries) > LogsMaxEntries {
		s.fail(w, http.StatusBadRequest, fmt.Sprintf("%d entries, over 1000", len(entries)))
		return
	}
	got := LogsRequest{Header: r.Header.Clone(), Raw: len(raw)}
	for _, e := range entries {
		var m map[string]any
		if json.Unmarshal(e, &m) != nil {
			s.fail(w, http.StatusBadRequest, "an entry is not an object")
			return
		}
		if len(e) > LogsMaxEntryBytes {
			s.overSized.Add(1)
		}
		got.Entries = append(got.Entries, m)
	}
	after, throttled := s.Take(got)
	if throttled {
		w.Header().Set("Retry-After", after)
		s.fail(w, http.StatusTooManyRequests, "Too Many Requests")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "{}")
}

// Seen returns what the intake took, threw back and refused so far, and
// how many entries were over LogsMaxEntryBytes.
func (s *Logs) Seen() (accepted, throttled []LogsRequest, refused []string, overSized int) {
	return s.Accepted(), s.Throttled(), s.Refused(), s.OverSized()
}
