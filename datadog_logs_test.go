package webhookexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// Limits of Datadog's Logs intake (v2), as its documentation states them:
// 5 MB of uncompressed content and 1,000 entries per request, 1 MB per log.
const (
	intakeMaxRequestBytes = 5_000_000
	intakeMaxEntries      = 1000
	intakeMaxEntryBytes   = 1_000_000
)

// ddLogsServer stands in for Datadog's Logs intake (v2) and refuses what it
// refuses: a missing (401) or wrong (403) DD-API-KEY, a body over 5 MB
// uncompressed (413), more than 1,000 entries or a body that is not a JSON
// array of objects (400). Entries over 1 MB, which the intake truncates,
// are counted.
type ddLogsServer struct {
	*httptest.Server
	testsink.Ledger[ddLogsRequest]
	overSized atomic.Int64
}

type ddLogsRequest struct {
	header  http.Header
	raw     int
	entries []map[string]any
}

func newDDLogsServer(t testing.TB) *ddLogsServer {
	s := &ddLogsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *ddLogsServer) fail(w http.ResponseWriter, status int, msg string) {
	s.Refuse(fmt.Sprintf("%d %s", status, msg))
	ddErrors(w, status, msg)
}

func (s *ddLogsServer) handle(w http.ResponseWriter, r *http.Request) {
	switch key := r.Header.Get("DD-API-KEY"); {
	case key == "":
		s.fail(w, http.StatusUnauthorized, "Unauthorized: missing API key")
		return
	case key != ddTestKey:
		s.fail(w, http.StatusForbidden, "Forbidden")
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/logs" {
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
	raw, err := io.ReadAll(io.LimitReader(body, intakeMaxRequestBytes+1))
	if err != nil {
		s.fail(w, http.StatusBadRequest, "unreadable body")
		return
	}
	if len(raw) > intakeMaxRequestBytes {
		s.fail(w, http.StatusRequestEntityTooLarge, "Payload too large: over 5MB uncompressed")
		return
	}
	var entries []json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		s.fail(w, http.StatusBadRequest, "the body is not a JSON array")
		return
	}
	if len(entries) > intakeMaxEntries {
		s.fail(w, http.StatusBadRequest, fmt.Sprintf("%d entries, over 1000", len(entries)))
		return
	}
	got := ddLogsRequest{header: r.Header.Clone(), raw: len(raw)}
	for _, e := range entries {
		var m map[string]any
		if json.Unmarshal(e, &m) != nil {
			s.fail(w, http.StatusBadRequest, "an entry is not an object")
			return
		}
		if len(e) > intakeMaxEntryBytes {
			s.overSized.Add(1)
		}
		got.entries = append(got.entries, m)
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

// seen returns what the server took, threw back and refused so far.
func (s *ddLogsServer) seen() (accepted, throttled []ddLogsRequest, refused []string, overSized int) {
	return s.Accepted(), s.Throttled(), s.Refused(), int(s.overSized.Load())
}

func ddLogsCfg(s *ddLogsServer) *Config {
	cfg := testCfg(s.URL + "/api/v2/logs")
	cfg.Format = "datadog_logs"
	cfg.DatadogLogs.APIKey = ddTestKey
	return cfg
}

func TestDatadogLogsServerIsStrict(t *testing.T) {
	s := newDDLogsServer(t)
	key := http.Header{"DD-API-KEY": {ddTestKey}, "Content-Type": {"application/json"}}
	entry := `{"message":"m","ddsource":"sentyr"}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("[" + strings.Repeat(`{"p":"`+strings.Repeat("x", 5000)+`"},`, 1000) + entry + "]"))
	require.NoError(t, zw.Close())
	for _, tt := range []struct {
		name   string
		header http.Header
		body   string
		want   int
	}{
		{"accepted", key, "[" + entry + "]", http.StatusAccepted},
		{"missing API key", http.Header{}, "[" + entry + "]", http.StatusUnauthorized},
		{"wrong API key", http.Header{"DD-API-KEY": {"nope"}}, "[" + entry + "]", http.StatusForbidden},
		{"over 1,000 entries", key, "[" + strings.Repeat(entry+",", 1000) + entry + "]", http.StatusBadRequest},
		{"over 5 MB", key, "[" + strings.Repeat(`{"p":"`+strings.Repeat("x", 10_000)+`"},`, 500) + entry + "]", http.StatusRequestEntityTooLarge},
		{"over 5 MB once gunzipped", http.Header{"DD-API-KEY": {ddTestKey}, "Content-Encoding": {"gzip"}}, gz.String(), http.StatusRequestEntityTooLarge},
		{"not an array", key, entry, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postRaw(t, s.URL+"/api/v2/logs", tt.header.Clone(), tt.body)
			assert.Equal(t, tt.want, status, body)
		})
	}
}

func TestDatadogLogsGolden(t *testing.T) {
	s := newDDLogsServer(t)
	exp := startExporter(t, withoutQueue(ddLogsCfg(s)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	accepted, _, refused, _ := s.seen()
	require.Len(t, accepted, 1, "refused: %v", refused)
	got := accepted[0].entries
	want := []map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(readGolden(t, "datadog_logs.json")), &want))
	require.Len(t, got, 1)
	assert.Regexp(t, `^[0-9a-f]{32}$`, got[0]["event_id"])
	want[0]["event_id"] = got[0]["event_id"]
	assert.Equal(t, want, got)
}

// 5,000 events arrive exactly once, in requests within 1,000 entries and
// 5 MB, and a 429 with Retry-After on one request makes only that request
// wait and go again.
func TestDatadogLogsDeliversEveryEventOnceWithinLimits(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	s := newDDLogsServer(t)
	s.Throttle(2, "1")
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.ClientConfig.Compression = configcompression.TypeGzip
	cfg.MaxConcurrentRequests = 1
	var clk fakeClock
	exp := startClocked(t, cfg, &clk)

	const n = 5000
	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(n, 2_000)))

	accepted, throttled, refused, overSized := s.seen()
	seqs := map[float64]int{}
	require.GreaterOrEqual(t, len(accepted), 5)
	for _, req := range accepted {
		assert.LessOrEqual(t, req.raw, intakeMaxRequestBytes)
		assert.LessOrEqual(t, len(req.entries), intakeMaxEntries)
		for _, e := range req.entries {
			seqs[e["seq"].(float64)]++
		}
	}
	require.Len(t, seqs, n)
	for seq, c := range seqs {
		require.Equal(t, 1, c, "event %v arrived %d times", seq, c)
	}
	require.Len(t, throttled, 1)
	assert.Equal(t, throttled[0].entries, accepted[len(accepted)-1].entries, "the throttled request alone went again")
	assert.Equal(t, []string{"429 Too Many Requests"}, refused)
	assert.Zero(t, overSized)
	assert.Equal(t, []time.Duration{time.Second}, clk.asked(), "the retry waited Retry-After")
}

func TestDatadogLogsTagAttributes(t *testing.T) {
	s := newDDLogsServer(t)
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.DatadogLogs.TagAttributes = []string{"team", "cloud.region"}
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedExample, seedExample)
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr("cloud.region", "eu-west-1")
	rl.Resource().Attributes().PutStr("host.name", "scanner-7")
	rl.ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("team", "red")
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	accepted, _, _, _ := s.seen()
	require.Len(t, accepted, 1)
	e := accepted[0].entries
	assert.Equal(t, "event_type:file_shared_externally,severity:warning,source:sentyr,team:red,cloud.region:eu-west-1", e[0]["ddtags"])
	assert.Equal(t, "event_type:file_shared_externally,severity:warning,source:sentyr,cloud.region:eu-west-1", e[1]["ddtags"])
	assert.Equal(t, "scanner-7", e[0]["hostname"])
}

func TestDatadogLogsLogsNoCredential(t *testing.T) {
	s := newDDLogsServer(t)
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.DatadogLogs.APIKey = configopaque.String("wrong-" + ddTestKey)
	exp := startExporter(t, cfg)
	_ = exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))
	require.NotZero(t, exp.logs.Len())
	for _, entry := range exp.logs.All() {
		line, err := json.Marshal(entry.ContextMap())
		require.NoError(t, err)
		assert.NotContains(t, entry.Message+string(line), ddTestKey)
	}
}
