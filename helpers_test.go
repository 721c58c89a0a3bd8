package webhookexporter

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/metadata"
)

// seedTime is the timestamp of the guide's example event.
var seedTime = time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)

// seedEvent is one record of the guide's example event
// (file_shared_externally, warning, four data fields).
type seedEvent struct {
	eventType string
	severity  string
	data      map[string]any
}

var seedExample = seedEvent{
	eventType: "file_shared_externally",
	severity:  "warning",
	data: map[string]any{
		"file_id":     "abc123",
		"file_name":   "sensitive.pdf",
		"owner":       "user@example.com",
		"shared_with": "external@partner.com",
	},
}

// seedBatch is the guide's three batch events.
var seedBatch = []seedEvent{
	{"file_shared_externally", "warning", map[string]any{"file_id": "abc123", "file_name": "doc1.pdf"}},
	{"file_shared_externally", "warning", map[string]any{"file_id": "def456", "file_name": "doc2.pdf"}},
	{"pii_detected", "critical", map[string]any{"file_id": "ghi789", "pii_types": []any{"ssn", "email"}}},
}

// seedLogs builds one resource and scope holding a record per event, the
// way an upstream receiver would deliver them.
func seedLogs(t testing.TB, events ...seedEvent) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, ev := range events {
		lr := lrs.AppendEmpty()
		lr.SetEventName(ev.eventType)
		lr.Attributes().PutStr("severity", ev.severity)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
		require.NoError(t, lr.Body().SetEmptyMap().FromRaw(ev.data))
	}
	return ld
}

// testCfg is the default config pointed at endpoint, with fast retries.
func testCfg(endpoint string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	return cfg
}

// withoutQueue makes ConsumeLogs return the final outcome, retries included.
func withoutQueue(cfg *Config) *Config {
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	return cfg
}

// testExporter is a started, factory-built exporter with its logs and
// telemetry observable.
type testExporter struct {
	exporter.Logs
	logs      *observer.ObservedLogs
	telemetry *componenttest.Telemetry
}

func startExporter(t testing.TB, cfg *Config) *testExporter {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	exp, tel := startExporterLogging(t, cfg, core)
	return &testExporter{Logs: exp, logs: logs, telemetry: tel}
}

// startExporterLogging starts a factory-built exporter that logs to core,
// with its telemetry observable.
func startExporterLogging(t testing.TB, cfg *Config, core zapcore.Core) (exporter.Logs, *componenttest.Telemetry) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	exp, err := createLogsClocked(context.Background(), set, cfg, pacedTestClock(cfg))
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, exp.Shutdown(context.Background()))
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	return exp, tel
}

// readGolden reads a payload of formats/builtin/testdata/golden: the guide's documented
// payloads for its example event.
func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("formats", "builtin", "testdata", "golden", name))
	require.NoError(t, err)
	return string(b)
}

// builtinEncoder builds the encoder of the built-in format called name.
func builtinEncoder(tb testing.TB, name string, s *builtin.Settings) builtin.Encoder {
	tb.Helper()
	b, ok := builtin.LookupBuiltin(name)
	require.True(tb, ok, name)
	enc, err := b.New(s)
	require.NoError(tb, err)
	return enc
}

// pacedTestClock is the clock of a test's exporter: for a format whose
// service keeps a pace (Slack's message a second), time that jumps over
// every wait, so that a test of many requests does not wait a second for
// each; else the wall clock.
func pacedTestClock(cfg *Config) delivery.Clock {
	if b, ok := builtin.LookupBuiltin(cfg.Format); ok && b.Service.MinInterval > 0 {
		return (&fakeTime{now: time.Now()}).clock()
	}
	return delivery.SystemClock()
}
