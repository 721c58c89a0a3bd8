package webhookexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
)

const ddTestKey = "0123456789abcdef0123456789abcdef"

// ddServer stands in for Datadog's Events API (v1) and checks what it
// checks: the DD-API-KEY, a JSON object with a title of at most 100 and a
// text of at most 4000 characters, an integer date_happened, a known
// alert_type and string tags.
type ddServer struct {
	*httptest.Server
	key string

	mu       sync.Mutex
	accepted []ddEvent
	attempts map[int]int // seq -> requests seen
	inFlight int
	maxIn    int
	// unavailable answers 503 to the first request of these seqs.
	unavailable map[int]bool
}

type ddEvent struct {
	Title        string   `json:"title"`
	Text         string   `json:"text"`
	AlertType    string   `json:"alert_type"`
	Tags         []string `json:"tags"`
	DateHappened *int64   `json:"date_happened"`
	seq          int
}

func newDDServer(t testing.TB) *ddServer {
	s := &ddServer{key: ddTestKey, attempts: map[int]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func ddErrors(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}

func (s *ddServer) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("DD-API-KEY") != s.key {
		ddErrors(w, http.StatusForbidden, "Forbidden")
		return
	}
	switch {
	case r.URL.Path == "/api/v1/validate" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"valid":true}`)
		return
	case r.URL.Path == "/api/v1/events" && r.Method == http.MethodPost:
	default:
		ddErrors(w, http.StatusNotFound, "Not found")
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
		ddErrors(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		ddErrors(w, http.StatusBadRequest, "Unreadable body")
		return
	}
	var raw map[string]any
	var ev ddEvent
	if json.Unmarshal(body, &raw) != nil || json.Unmarshal(body, &ev) != nil {
		ddErrors(w, http.StatusBadRequest, "Payload is not a valid event: invalid JSON or field types")
		return
	}
	if msg := checkDDEvent(raw, &ev); msg != "" {
		ddErrors(w, http.StatusBadRequest, msg)
		return
	}
	var data struct {
		Seq int `json:"seq"`
	}
	_ = json.Unmarshal([]byte(ev.Text), &data)
	ev.seq = data.Seq
	s.mu.Lock()
	s.attempts[ev.seq]++
	first := s.attempts[ev.seq] == 1
	s.mu.Unlock()
	if first && s.unavailable[ev.seq] {
		ddErrors(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	s.mu.Lock()
	s.accepted = append(s.accepted, ev)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"ok","event":{"id":1}}`)
}

func checkDDEvent(raw map[string]any, ev *ddEvent) string {
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

func ddCfg(s *ddServer, key string) *Config {
	cfg := withoutQueue(testCfg(s.URL + "/api/v1/events"))
	cfg.Format = "datadog"
	cfg.Datadog.APIKey = configopaque.String(key)
	return cfg
}

func TestDatadogServerIsStrict(t *testing.T) {
	s := newDDServer(t)
	for _, tt := range []struct {
		name   string
		key    string
		body   string
		status int
	}{
		{"valid", ddTestKey, `{"title":"t","text":"x","date_happened":1761739200}`, 202},
		{"no key", "", `{"title":"t","text":"x"}`, 403},
		{"no title", ddTestKey, `{"text":"x"}`, 400},
		{"no text", ddTestKey, `{"title":"t"}`, 400},
		{"text too long", ddTestKey, fmt.Sprintf(`{"title":"t","text":%q}`, strings.Repeat("é", 4001)), 400},
		{"fractional date", ddTestKey, `{"title":"t","text":"x","date_happened":1761739200.5}`, 400},
		{"not JSON", ddTestKey, `title=t`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.URL+"/api/v1/events", strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			if tt.key != "" {
				req.Header.Set("DD-API-KEY", tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
}

func TestDatadogSendsOneRequestPerEventAndRetriesOnlyTheFailed(t *testing.T) {
	s := newDDServer(t)
	failed := []int{3, 11, 20, 33, 47}
	s.unavailable = map[int]bool{}
	for _, seq := range failed {
		s.unavailable[seq] = true
	}
	cfg := ddCfg(s, ddTestKey)
	cfg.MaxConcurrentRequests = 4
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(50, 0)))

	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	var resent []int
	for seq, n := range s.attempts {
		total += n
		if n > 1 {
			resent = append(resent, seq)
		}
	}
	slices.Sort(resent)
	assert.Equal(t, 55, total, "50 requests, then the 5 that got 503")
	assert.Equal(t, failed, resent, "exactly the failed events are sent again")
	var delivered []int
	for _, ev := range s.accepted {
		delivered = append(delivered, ev.seq)
	}
	slices.Sort(delivered)
	assert.Equal(t, countTo(50), delivered, "every event accepted exactly once")
	assert.LessOrEqual(t, s.maxIn, 4, "max_concurrent_requests bounds the requests in flight")
	assert.Equal(t, int64(50), sentRecords(t, exp))
}

func TestDatadogLongDataIsAcceptedCut(t *testing.T) {
	s := newDDServer(t)
	exp := startExporter(t, ddCfg(s, ddTestKey))
	ld := numberedLogs(1, 0)
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.Attributes().PutStr("message", strings.Repeat("ü", 20000))
	lr.SetEventName("pii_detected")
	lr.SetSeverityNumber(21) // FATAL: critical

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	s.mu.Lock()
	defer s.mu.Unlock()
	require.Len(t, s.accepted, 1)
	ev := s.accepted[0]
	assert.LessOrEqual(t, utf8.RuneCountInString(ev.Text), 4000)
	assert.Equal(t, "Sentyr: pii_detected", ev.Title)
	assert.Equal(t, "error", ev.AlertType, "critical becomes error")
	assert.Contains(t, ev.Tags, "severity:critical")
	require.NotNil(t, ev.DateHappened)
	assert.Equal(t, seedTime.Unix(), *ev.DateHappened)
}

func TestDatadogRefusedKeyIsPermanentAndNotLogged(t *testing.T) {
	const wrong = "ffffffffffffffffffffffffffffffff"
	s := newDDServer(t)
	exp := startExporter(t, ddCfg(s, wrong))

	err := exp.ConsumeLogs(context.Background(), numberedLogs(2, 0))

	require.Error(t, err)
	assert.NotContains(t, err.Error(), wrong)
	s.mu.Lock()
	assert.Empty(t, s.accepted)
	s.mu.Unlock()
	for _, entry := range exp.logs.All() {
		assert.NotContains(t, entry.Message, wrong)
		for k, v := range entry.ContextMap() {
			assert.NotContains(t, k+"="+toString(v), wrong)
		}
	}
}
