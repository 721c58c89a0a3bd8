package webhookexporter

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
)

func ddLogsCfg(s *ddsink.Logs) *Config {
	cfg := testCfg(s.URL + ddsink.LogsPath)
	cfg.Format = "datadog_logs"
	cfg.DatadogLogs.APIKey = ddsink.Key
	return cfg
}

func TestDatadogLogsGolden(t *testing.T) {
	s := ddsink.NewLogs(t)
	exp := startExporter(t, withoutQueue(ddLogsCfg(s)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	accepted, _, refused, _ := s.Seen()
	require.Len(t, accepted, 1, "refused: %v", refused)
	got := accepted[0].Entries
	want := []map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(readGolden(t, "datadog_logs.json")), &want))
	require.Len(t, got, 1)
	assert.Regexp(t, `^[0-9a-f]{32}$`, got[0]["event_id"])
	want[0]["event_id"] = got[0]["event_id"]
	assert.Equal(t, want, got)
}

// 5,000 events arrive exactly once, in requests within 1,000 entries (the
// limit that binds here; the encoder's tests bind the 5 MB too) and 5 MB,
// and a 429 with Retry-After on one request makes only that request wait
// and go again.
func TestDatadogLogsDeliversEveryEventOnceWithinLimits(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	s := ddsink.NewLogs(t)
	s.Throttle(2, "1")
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.ClientConfig.Compression = configcompression.TypeGzip
	cfg.MaxConcurrentRequests = 1
	var clk fakeClock
	exp := startClocked(t, cfg, &clk)

	const n = 5000
	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(n, 200)))

	accepted, throttled, refused, overSized := s.Seen()
	seqs := map[float64]int{}
	require.GreaterOrEqual(t, len(accepted), 5)
	for _, req := range accepted {
		assert.LessOrEqual(t, req.Raw, ddsink.LogsMaxRequestBytes)
		assert.LessOrEqual(t, len(req.Entries), ddsink.LogsMaxEntries)
		for _, e := range req.Entries {
			seqs[e["seq"].(float64)]++
		}
	}
	require.Len(t, seqs, n)
	for seq, c := range seqs {
		require.Equal(t, 1, c, "event %v arrived %d times", seq, c)
	}
	require.Len(t, throttled, 1)
	assert.Equal(t, throttled[0].Entries, accepted[len(accepted)-1].Entries, "the throttled request alone went again")
	assert.Equal(t, []string{"429 Too Many Requests"}, refused)
	assert.Zero(t, overSized)
	assert.Equal(t, []time.Duration{time.Second}, clk.asked(), "the retry waited Retry-After")
}

func TestDatadogLogsTagAttributes(t *testing.T) {
	s := ddsink.NewLogs(t)
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.DatadogLogs.TagAttributes = []string{"team", "cloud.region"}
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedExample, seedExample)
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr("cloud.region", "eu-west-1")
	rl.Resource().Attributes().PutStr("host.name", "scanner-7")
	rl.ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("team", "red")
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	accepted, _, _, _ := s.Seen()
	require.Len(t, accepted, 1)
	e := accepted[0].Entries
	assert.Equal(t, "event_type:file_shared_externally,severity:warning,source:sentyr,team:red,cloud.region:eu-west-1", e[0]["ddtags"])
	assert.Equal(t, "event_type:file_shared_externally,severity:warning,source:sentyr,cloud.region:eu-west-1", e[1]["ddtags"])
	assert.Equal(t, "scanner-7", e[0]["hostname"])
}

func TestDatadogLogsLogsNoCredential(t *testing.T) {
	s := ddsink.NewLogs(t)
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.DatadogLogs.APIKey = configopaque.String("wrong-" + ddsink.Key)
	exp := startExporter(t, cfg)
	_ = exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))
	require.NotZero(t, exp.logs.Len())
	for _, entry := range exp.logs.All() {
		line, err := json.Marshal(entry.ContextMap())
		require.NoError(t, err)
		assert.NotContains(t, entry.Message+string(line), ddsink.Key)
	}
}
