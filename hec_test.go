package webhookexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

const hecTestToken = "11111111-2222-3333-4444-555555555555"

// hecServer stands in for Splunk's HTTP Event Collector and checks what it
// checks: the token (401 code 2 when missing, 403 code 4 when unknown), a
// body that is a sequence of JSON objects each with a non-blank event (400
// code 5 "No data" for an empty body), well-typed metadata. Like Splunk's,
// its health endpoint reads no token. Like Splunk it reads a body in order
// and stops at the first bad event: the events before it are indexed, the
// rest are not, and the answer names the bad event's number.
type hecServer struct {
	*testsink.Sink
	token string

	mu      sync.Mutex
	indexed []map[string]any // the event objects indexed, in order
	// busy answers this many requests 503 "Server is busy" (code 9).
	busy int
	// invalid marks an event that a server-side rule refuses (code 6).
	invalid func(event map[string]any) bool
	// busyWith answers a request holding a marked event 503 "Server is
	// busy" (code 9), indexing none of it.
	busyWith func(event map[string]any) bool
}

// hecRequest is a request to the event endpoint as HEC read it.
type hecRequest struct {
	size   int
	body   []byte
	header http.Header
	status int
}

func newHECServer(t testing.TB) *hecServer {
	s := &hecServer{token: hecTestToken}
	s.Sink = testsink.NewRecorder(t, s.handle)
	return s
}

// hecEventPaths are the paths of HEC's event endpoint.
var hecEventPaths = map[string]bool{"/services/collector/event": true, "/services/collector": true}

func hecAnswer(w http.ResponseWriter, status int, text string, code int, invalidEvent int) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	if invalidEvent >= 0 {
		_, _ = fmt.Fprintf(w, `{"text":%q,"code":%d,"invalid-event-number":%d}`, text, code, invalidEvent)
		return
	}
	_, _ = fmt.Fprintf(w, `{"text":%q,"code":%d}`, text, code)
}

func (s *hecServer) authorised(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		hecAnswer(w, http.StatusUnauthorized, "Token is required", 2, -1)
	case !strings.HasPrefix(auth, "Splunk "):
		hecAnswer(w, http.StatusUnauthorized, "Invalid authorization", 3, -1)
	case strings.TrimPrefix(auth, "Splunk ") != s.token:
		hecAnswer(w, http.StatusForbidden, "Invalid token", 4, -1)
	default:
		return true
	}
	return false
}

func (s *hecServer) handle(w http.ResponseWriter, r *http.Request, _ int) {
	switch {
	case r.URL.Path == "/services/collector/health":
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		hecAnswer(w, http.StatusOK, "HEC is healthy", 17, -1)
		return
	case hecEventPaths[r.URL.Path]:
	default:
		hecAnswer(w, http.StatusNotFound, "The requested URL was not found on this server.", 404, -1)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !s.authorised(w, r) {
		return
	}
	if s.busy > 0 {
		s.busy--
		hecAnswer(w, http.StatusServiceUnavailable, "Server is busy", 9, -1)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		hecAnswer(w, http.StatusBadRequest, "No data", 5, -1)
		return
	}
	if s.busyWith != nil && hecBusyWith(body, s.busyWith) {
		hecAnswer(w, http.StatusServiceUnavailable, "Server is busy", 9, -1)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for i := 0; ; i++ {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || obj == nil {
			hecAnswer(w, http.StatusBadRequest, "Invalid data format", 6, i)
			return
		}
		if text, code := checkHECObject(obj); code != 0 {
			hecAnswer(w, http.StatusBadRequest, text, code, i)
			return
		}
		if event, isObject := obj["event"].(map[string]any); isObject && s.invalid != nil && s.invalid(event) {
			hecAnswer(w, http.StatusBadRequest, "Invalid data format", 6, i)
			return
		}
		ev, _ := obj["event"].(map[string]any)
		s.indexed = append(s.indexed, ev)
	}
	hecAnswer(w, http.StatusOK, "Success", 0, -1)
}

// hecBusyWith says whether body holds an event that busy marks.
func hecBusyWith(body []byte, busy func(map[string]any) bool) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		var obj struct {
			Event map[string]any `json:"event"`
		}
		if dec.Decode(&obj) != nil {
			return false
		}
		if busy(obj.Event) {
			return true
		}
	}
}

// checkHECObject checks one event object as HEC does.
func checkHECObject(obj map[string]any) (string, int) {
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

// snapshot returns the requests to the event endpoint and the events
// indexed so far.
func (s *hecServer) snapshot() ([]hecRequest, []map[string]any) {
	var reqs []hecRequest
	for _, r := range s.Requests() {
		if u, err := url.Parse(r.Path); err == nil && hecEventPaths[u.Path] {
			reqs = append(reqs, hecRequest{size: len(r.Raw), body: r.Raw, header: r.Header, status: r.Status})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return reqs, slices.Clone(s.indexed)
}

func hecCfg(s *hecServer, token string) *Config {
	cfg := withoutQueue(testCfg(s.URL + "/services/collector/event"))
	cfg.Format = "splunk_hec"
	cfg.SplunkHEC.Token = configopaque.String(token)
	return cfg
}

// seqs reads the seq attribute of events as numberedLogs writes it.
func seqs(t testing.TB, events []map[string]any) []int {
	t.Helper()
	out := make([]int, len(events))
	for i, ev := range events {
		n, err := ev["seq"].(json.Number).Int64()
		require.NoError(t, err)
		out[i] = int(n)
	}
	return out
}

func countTo(n int, skip ...int) []int {
	out := make([]int, 0, n)
	for i := range n {
		if !containsInt(skip, i) {
			out = append(out, i)
		}
	}
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestHECServerIsStrict(t *testing.T) {
	s := newHECServer(t)
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"valid", `{"time":1761739200.5,"event":{"a":1}}{"event":"text"}`, 200, `"code":0`},
		{"an array is not HEC", `[{"event":{"a":1}}]`, 400, `"code":6,"invalid-event-number":0`},
		{"no event", `{"event":{"a":1}}{"time":1}`, 400, `"code":12,"invalid-event-number":1`},
		{"blank event", `{"event":""}`, 400, `"code":13,"invalid-event-number":0`},
		{"trailing garbage", `{"event":{"a":1}}{"event":`, 400, `"code":6,"invalid-event-number":1`},
		{"time not a number", `{"time":"noon","event":{"a":1}}`, 400, `"code":6`},
		{"host not a string", `{"host":1,"event":{"a":1}}`, 400, `"code":6`},
		{"empty", ``, 400, `"code":5`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postRaw(t, s.URL+"/services/collector/event", http.Header{"Authorization": {"Splunk " + hecTestToken}}, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, body, tt.want)
		})
	}
}

func TestHECBatchArrivesWithinTheLimitInOrder(t *testing.T) {
	const limit = 256 << 10
	s := newHECServer(t)
	cfg := hecCfg(s, hecTestToken)
	cfg.SplunkHEC.MaxRequestBytes = limit
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(2500, 200)))

	requests, indexed := s.snapshot()
	assert.Greater(t, len(requests), 2, "2500 events of ~500 bytes need several 256 KiB requests")
	for i, r := range requests {
		assert.Equal(t, http.StatusOK, r.status)
		assert.LessOrEqual(t, r.size, limit, "request %d", i)
		if i < len(requests)-1 {
			assert.Greater(t, r.size, limit*3/4, "requests are filled, not one per event (request %d)", i)
		}
	}
	assert.Equal(t, countTo(2500), seqs(t, indexed), "every event exactly once, in order")
	assert.Equal(t, "Splunk "+hecTestToken, requests[0].header.Get("Authorization"))
	assert.Equal(t, int64(2500), sentRecords(t, exp))
}

func TestHECBusyIsRetried(t *testing.T) {
	s := newHECServer(t)
	s.busy = 2
	exp := startExporter(t, hecCfg(s, hecTestToken))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(3, 0)))

	requests, indexed := s.snapshot()
	require.Len(t, requests, 3, "two busy answers, then success")
	assert.Equal(t, []int{503, 503, 200}, []int{requests[0].status, requests[1].status, requests[2].status})
	assert.Equal(t, []int{0, 1, 2}, seqs(t, indexed))
	retries := exp.logs.FilterMessageSnippet("Will retry")
	require.Positive(t, retries.Len())
	assert.Contains(t, retries.All()[0].ContextMap()["error"], "Splunk HEC code 9: Server is busy")
}

func TestHECInvalidEventIsDroppedAlone(t *testing.T) {
	s := newHECServer(t)
	s.invalid = func(ev map[string]any) bool { return ev["seq"] == json.Number("4") }
	exp := startExporter(t, hecCfg(s, hecTestToken))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(10, 0)))

	requests, indexed := s.snapshot()
	require.Len(t, requests, 2, "the refused request, then the events HEC did not read")
	assert.Equal(t, http.StatusBadRequest, requests[0].status)
	assert.Equal(t, countTo(10, 4), seqs(t, indexed), "events 0-3 indexed by the first request, 5-9 by the second, 4 never")
	drops := exp.logs.FilterMessageSnippet("refused an event")
	require.Equal(t, 1, drops.Len(), "one log line, for event 4")
	assert.Contains(t, drops.All()[0].ContextMap()["reason"], "Splunk HEC code 6: Invalid data format")
	assert.Equal(t, mappedIDs(numberedLogs(10, 0))[4], drops.All()[0].ContextMap()["event_id"], "the line names event 4 by its id")
}

func TestHECRefusedTokenIsPermanent(t *testing.T) {
	const wrong = "99999999-8888-7777-6666-555555555555"
	s := newHECServer(t)
	exp := startExporter(t, hecCfg(s, wrong))

	err := exp.ConsumeLogs(context.Background(), numberedLogs(3, 0))

	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	requests, indexed := s.snapshot()
	assert.Len(t, requests, 1, "a refused token is not retried")
	assert.Empty(t, indexed)
	drops := exp.logs.FilterMessageSnippet("refused")
	require.Equal(t, 1, drops.Len(), "one line for the whole request, not one per event")
	assert.Contains(t, drops.All()[0].ContextMap()["reason"], "Splunk HEC refused the token")
	assert.EqualValues(t, 3, drops.All()[0].ContextMap()["events"])
	assert.NotContains(t, err.Error(), wrong)
	for _, entry := range exp.logs.All() {
		assert.NotContains(t, entry.Message, wrong)
		for k, v := range entry.ContextMap() {
			assert.NotContains(t, k+"="+toString(v), wrong)
		}
	}
}

// TestSplunkExampleConfig runs examples/splunk.yaml's exporter against the
// stand-in HEC: the guide's Example 1 settings, its connection check, and a
// delivered event.
func TestSplunkExampleConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("examples", "splunk.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub("exporters::webhook/splunk")
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	assert.Equal(t, "splunk_hec", cfg.Format)
	assert.Equal(t, "https://splunk.example.com:8088/services/collector/event", cfg.ClientConfig.Endpoint)
	assert.Equal(t, 2*time.Second, cfg.RetryConfig.InitialInterval)
	assert.Equal(t, 120*time.Second, cfg.RetryConfig.MaxInterval)
	assert.Equal(t, 30*time.Second, cfg.ClientConfig.Timeout)
	assert.True(t, cfg.ConnectionCheck.Enabled)

	s := newHECServer(t)
	cfg.ClientConfig.Endpoint = s.URL + "/services/collector/event"
	cfg.SplunkHEC.Token = hecTestToken // ${env:SPLUNK_HEC_TOKEN} in the file
	require.NoError(t, confmap.Validate(cfg))
	exp := startExporter(t, withoutQueue(cfg))
	assert.Equal(t, 1, exp.logs.FilterMessage("Connection check passed").Len())

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

	_, indexed := s.snapshot()
	require.Len(t, indexed, 1)
	assert.Equal(t, "sensitive.pdf", indexed[0]["file_name"])
}
