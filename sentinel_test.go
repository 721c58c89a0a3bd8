package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/sentinel"
)

const sentinelTestToken = "sentinel-test-token"

// sentinelColumns are the stream's columns as the encoder documents them.
func sentinelColumns() map[string]string {
	cols := map[string]string{}
	for _, c := range builtin.SentinelColumns {
		cols[c.Name] = c.Type
	}
	return cols
}

// newSentinelSink is a Logs Ingestion API stand-in that takes one bearer
// token (the OAuth2 flow itself is tested in auth/ and e2e/).
func newSentinelSink(t testing.TB) *sentinel.Sink {
	return sentinel.New(t, sentinelColumns(), func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer "+sentinelTestToken
	})
}

func sentinelCfg(s *sentinel.Sink) *Config {
	cfg := testCfg(s.IngestionURL())
	cfg.Format = "sentinel"
	cfg.ClientConfig.Headers.Set("Authorization", configopaque.String("Bearer "+sentinelTestToken))
	return cfg
}

// The stand-in refuses what the service refuses.
func TestSentinelSinkIsStrict(t *testing.T) {
	s := newSentinelSink(t)
	auth := http.Header{"Authorization": {"Bearer " + sentinelTestToken}, "Content-Type": {"application/json"}}
	row := `{"TimeGenerated":"2025-10-29T12:00:00Z","EventId":"x","EventType":"t","Severity":"info","Source":"s","Data":{}}`
	for _, tt := range []struct {
		name   string
		url    string
		header http.Header
		body   string
		want   int
	}{
		{"accepted", s.IngestionURL(), auth, "[" + row + "]", http.StatusNoContent},
		{"wrong path", s.URL + "/dataCollectionRules/dcr-00000000000000000000000000000000/streams/Custom-Other?api-version=2023-01-01", auth, "[" + row + "]", http.StatusNotFound},
		{"no api-version", s.URL + sentinel.Path, auth, "[" + row + "]", http.StatusBadRequest},
		{"no bearer token", s.IngestionURL(), http.Header{"Content-Type": {"application/json"}}, "[" + row + "]", http.StatusUnauthorized},
		{"invalid bearer token", s.IngestionURL(), http.Header{"Authorization": {"Bearer forged"}}, "[" + row + "]", http.StatusUnauthorized},
		{"not an array", s.IngestionURL(), auth, row, http.StatusBadRequest},
		{"over 1 MB", s.IngestionURL(), auth, "[" + strings.Repeat(row+",", 1_000_000/len(row)) + row + "]", http.StatusRequestEntityTooLarge},
		{"undeclared column", s.IngestionURL(), auth, `[{"TimeGenerated":"2025-10-29T12:00:00Z","Extra":1}]`, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := testsink.Post(t, tt.url, tt.header.Clone(), tt.body)
			assert.Equal(t, tt.want, status, body)
		})
	}
}

func TestSentinelGolden(t *testing.T) {
	s := newSentinelSink(t)
	exp := startExporter(t, withoutQueue(sentinelCfg(s)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	got := s.Accepted()
	require.Len(t, got, 1, "refused: %v", s.Refused())
	want := []map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(readGolden(t, "sentinel.json")), &want))
	require.Len(t, got[0].Rows, 1)
	assert.Regexp(t, `^[0-9a-f]{32}$`, got[0].Rows[0]["EventId"])
	want[0]["EventId"] = got[0].Rows[0]["EventId"]
	assert.Equal(t, want, got[0].Rows)
	assert.Equal(t, "application/json", got[0].Header.Get("Content-Type"))
}

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// 5,000 events arrive exactly once in requests within 1 MB (uncompressed,
// though sent gzipped), and a 429 with Retry-After on one request makes
// only that request wait and go again, under the same request id.
func TestSentinelDeliversEveryEventOnceWithinLimits(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	s := newSentinelSink(t)
	s.Throttle(1, "1")
	cfg := withoutQueue(sentinelCfg(s))
	cfg.ClientConfig.Compression = configcompression.TypeGzip
	cfg.MaxConcurrentRequests = 1 // so that "request 1" is one request, whatever the scheduling
	exp := startExporter(t, cfg)

	const n = 5000
	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(n, 600)))

	seen := map[string]int{}
	seqs := map[float64]int{}
	accepted := s.Accepted()
	require.Greater(t, len(accepted), 2, "5,000 events of 700 bytes need several requests")
	for _, req := range accepted {
		assert.LessOrEqual(t, req.Raw, sentinel.MaxRequestBytes, "measured uncompressed")
		assert.Equal(t, "gzip", req.Header.Get("Content-Encoding"))
		assert.Regexp(t, guidPattern, req.Header.Get("x-ms-client-request-id"))
		for _, row := range req.Rows {
			seen[row["EventId"].(string)]++
			seqs[row["Data"].(map[string]any)["seq"].(float64)]++
		}
	}
	assert.Len(t, seqs, n)
	for id, c := range seen {
		require.Equal(t, 1, c, "event %s arrived %d times", id, c)
	}
	assert.Len(t, seen, n)

	throttled := s.Throttled()
	require.Len(t, throttled, 1)
	// The resent request is the last one, the same rows under the same id;
	// no other request was sent twice.
	last := accepted[len(accepted)-1]
	assert.Equal(t, throttled[0].Header.Get("x-ms-client-request-id"), last.Header.Get("x-ms-client-request-id"))
	assert.Equal(t, throttled[0].Rows, last.Rows)
	ids := map[string]bool{}
	for _, req := range accepted {
		id := req.Header.Get("x-ms-client-request-id")
		assert.False(t, ids[id], "request %s sent twice", id)
		ids[id] = true
	}
	assert.Equal(t, []string{"429 TooManyRequests: throttled"}, s.Refused())
}

// An event whose data is over 64 KB arrives cut, with the marker, rather
// than truncated by the service into broken JSON.
func TestSentinelCutsLargeFields(t *testing.T) {
	s := newSentinelSink(t)
	exp := startExporter(t, withoutQueue(sentinelCfg(s)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(2, 200_000)))
	got := s.Accepted()
	require.Len(t, got, 1, "refused: %v", s.Refused())
	for _, row := range got[0].Rows {
		data := row["Data"].(map[string]any)
		assert.Contains(t, data["_truncated"], "Sentinel's 64 KB")
		assert.True(t, strings.HasSuffix(data["pad"].(string), "…"))
	}
}

func TestSentinelEndpointIsValidatedAtLoad(t *testing.T) {
	cfg := testCfg("https://dce.westeurope-1.ingest.monitor.azure.com/api/logs")
	cfg.Format = "sentinel"
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "endpoint: for format sentinel")
	assert.Contains(t, err.Error(), "/dataCollectionRules/dcr-")
}

// No credential reaches a log line, whatever the service answers.
func TestSentinelLogsNoCredential(t *testing.T) {
	s := newSentinelSink(t)
	cfg := withoutQueue(sentinelCfg(s))
	cfg.ClientConfig.Endpoint = strings.Replace(s.IngestionURL(), "Custom-SentyrEvents", "Custom-Wrong", 1)
	exp := startExporter(t, cfg)
	_ = exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))
	require.NotZero(t, exp.logs.Len())
	for _, entry := range exp.logs.All() {
		line, err := json.Marshal(entry.ContextMap())
		require.NoError(t, err)
		assert.NotContains(t, entry.Message+string(line), sentinelTestToken)
	}
}
