package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

const hecTestToken = "11111111-2222-3333-4444-555555555555"

// hecRequest is a request to the event endpoint as the stand-in saw it.
type hecRequest struct {
	size   int
	body   []byte
	header http.Header
	status int
}

// hecSnapshot returns the requests to s's event endpoint and the events
// it indexed so far.
func hecSnapshot(s *hecsink.Sink) ([]hecRequest, []map[string]any) {
	var reqs []hecRequest
	for _, r := range s.EventRequests() {
		reqs = append(reqs, hecRequest{size: len(r.Raw), body: r.Raw, header: r.Header, status: r.Status})
	}
	return reqs, s.IndexedEvents()
}

func hecCfg(s *hecsink.Sink, token string) *Config {
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

func TestHECBatchArrivesWithinTheLimitInOrder(t *testing.T) {
	const limit = 256 << 10
	s := hecsink.New(t, hecTestToken, false)
	cfg := hecCfg(s, hecTestToken)
	cfg.SplunkHEC.MaxRequestBytes = limit
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(2500, 200)))

	requests, indexed := hecSnapshot(s)
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
	s := hecsink.New(t, hecTestToken, false)
	s.SetBusy(2)
	exp := startExporter(t, hecCfg(s, hecTestToken))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(3, 0)))

	requests, indexed := hecSnapshot(s)
	require.Len(t, requests, 3, "two busy answers, then success")
	assert.Equal(t, []int{503, 503, 200}, []int{requests[0].status, requests[1].status, requests[2].status})
	assert.Equal(t, []int{0, 1, 2}, seqs(t, indexed))
	retries := exp.logs.FilterMessageSnippet("Will retry")
	require.Positive(t, retries.Len())
	assert.Contains(t, retries.All()[0].ContextMap()["error"], "Splunk HEC code 9: Server is busy")
}

func TestHECInvalidEventIsDroppedAlone(t *testing.T) {
	s := hecsink.New(t, hecTestToken, false)
	s.RefuseEvents(func(ev map[string]any) bool { return ev["seq"] == json.Number("4") })
	exp := startExporter(t, hecCfg(s, hecTestToken))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(10, 0)))

	requests, indexed := hecSnapshot(s)
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
	s := hecsink.New(t, hecTestToken, false)
	exp := startExporter(t, hecCfg(s, wrong))

	err := exp.ConsumeLogs(context.Background(), numberedLogs(3, 0))

	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	requests, indexed := hecSnapshot(s)
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

	s := hecsink.New(t, hecTestToken, false)
	cfg.ClientConfig.Endpoint = s.URL + "/services/collector/event"
	cfg.SplunkHEC.Token = hecTestToken // ${env:SPLUNK_HEC_TOKEN} in the file
	require.NoError(t, confmap.Validate(cfg))
	exp := startExporter(t, withoutQueue(cfg))
	assert.Equal(t, 1, exp.logs.FilterMessage("Connection check passed").Len())

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

	_, indexed := hecSnapshot(s)
	require.Len(t, indexed, 1)
	assert.Equal(t, "sensitive.pdf", indexed[0]["file_name"])
}
