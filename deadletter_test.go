package webhookexporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// The names users see, generated from metadata.yaml.
const (
	metricDropped           = "otelcol_exporter_webhook_dropped_log_records"
	metricDeadLetters       = "otelcol_exporter_webhook_dead_letters_written"
	metricDeadLettersFailed = "otelcol_exporter_webhook_dead_letters_failed"
)

// withDeadLetters turns dead letters on, into a fresh directory.
func withDeadLetters(t *testing.T, cfg *Config) *Config {
	t.Helper()
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: t.TempDir(), MaxSizeMiB: 1}
	require.NoError(t, cfg.Validate())
	return cfg
}

// deadLetter is one line of a dead-letter file, read back.
type deadLetter struct {
	info   deadletter.Info
	logs   plog.Logs // the OTLP/JSON request it is
	record plog.LogRecord
	raw    string
}

// readDeadLetters reads the one dead-letter file in dir (test exporters
// have random names).
func readDeadLetters(t *testing.T, dir string) []deadLetter {
	t.Helper()
	return readDeadLetterFile(t, onlyFile(t, dir))
}

func onlyFile(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.deadletter.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	return files[0]
}

// readDeadLetterFile reads a dead-letter file, checking that each line is
// an OTLP/JSON logs request as an OTLP receiver reads it.
func readDeadLetterFile(t *testing.T, path string) []deadLetter {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []deadLetter
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		req := plogotlp.NewExportRequest()
		require.NoError(t, req.UnmarshalJSON(line), "an OTLP/HTTP receiver takes the line as it is")
		require.Equal(t, 1, req.Logs().LogRecordCount(), "one record per line")
		var member struct {
			DeadLetter deadletter.Info `json:"deadLetter"`
		}
		require.NoError(t, json.Unmarshal(line, &member))
		out = append(out, deadLetter{
			info: member.DeadLetter, logs: req.Logs(), raw: string(line),
			record: req.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0),
		})
	}
	require.NoError(t, sc.Err())
	return out
}

// eventIDs are the ids that the exporter gives the events of ld.
func eventIDs(ld plog.Logs) []string {
	var ids []string
	for _, ev := range (&mapping.Mapper{Now: time.Now}).Events(ld, nil) {
		ids = append(ids, ev.ID)
	}
	return ids
}

// requireDeadLetters checks one dead letter per event of want, in order,
// each for reason, whose record maps to the same event id as the original.
func requireDeadLetters(t *testing.T, got []deadLetter, want plog.Logs, reason string) {
	t.Helper()
	ids := eventIDs(want)
	require.Len(t, got, len(ids), "one dead letter per event lost")
	for i, dl := range got {
		assert.Equal(t, reason, dl.info.Reason)
		assert.Equal(t, ids[i], dl.info.EventID)
		assert.Equal(t, []string{ids[i]}, eventIDs(dl.logs), "the stored record maps to the same event")
		assert.NotEmpty(t, dl.info.Detail)
		assert.True(t, strings.HasPrefix(dl.info.Exporter, "webhook/"), dl.info.Exporter)
		assert.False(t, dl.info.Time.IsZero())
	}
}

// droppedByReason reads otelcol_exporter_webhook_dropped_log_records.
func metricByReason(t *testing.T, tel *componenttest.Telemetry, name string) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return map[string]int64{}
	}
	out := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		r, _ := dp.Attributes.Value("reason")
		key := r.AsString()
		if c, ok := dp.Attributes.Value("cause"); ok {
			key += "/" + c.AsString()
		}
		out[key] += dp.Value
	}
	return out
}

func TestDeadLetterRefused(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"schema mismatch"}`))
	})
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL+"/hook?token=secret")))
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedBatch...)

	// Kept, not lost: the push succeeds, so exporterhelper logs no error
	// (with a stack trace) of its own, and the lines say where they are.
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, exp.Shutdown(context.Background()))
	file := onlyFile(t, cfg.DeadLetter.Directory)
	assert.Zero(t, exp.logs.FilterLevelExact(zapcore.ErrorLevel).Len(), "no error: nothing is lost")
	assert.Zero(t, exp.logs.FilterMessageSnippet("dropped").Len())
	for _, msg := range []string{"The receiver refused the events; they are kept as dead letters", " kept events as dead letters: refused"} {
		lines := exp.logs.FilterMessageSnippet(msg).All()
		require.Len(t, lines, 1, msg)
		assert.Equal(t, zapcore.WarnLevel, lines[0].Level)
		assert.Equal(t, file, lines[0].ContextMap()["dead_letter_file"])
	}

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, ld, deadletter.Refused)
	for _, dl := range got {
		assert.Equal(t, http.StatusBadRequest, dl.info.Status)
		assert.Contains(t, dl.info.Detail, "schema mismatch", "the receiver's own reason")
		assert.Equal(t, s.URL+"/hook", dl.info.Endpoint, "no query: it may hold a secret")
		assert.Equal(t, "json", dl.info.Format)
		assert.NotContains(t, dl.raw, "secret")
	}
	assert.Equal(t, map[string]int64{deadletter.Refused: 3}, metricByReason(t, exp.telemetry, metricDropped))
	assert.Equal(t, map[string]int64{deadletter.Refused: 3}, metricByReason(t, exp.telemetry, metricDeadLetters))
}

func TestDeadLetterRefusedPerEvent(t *testing.T) {
	s := hecsink.New(t, hecTestToken, false)
	s.RefuseEvents(func(ev map[string]any) bool { return ev["seq"] == json.Number("4") })
	cfg := withDeadLetters(t, hecCfg(s, hecTestToken))
	exp := startExporter(t, cfg)
	ld := numberedLogs(10, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, subsetOf(ld, 4), deadletter.RefusedPerEvent)
	assert.Contains(t, got[0].info.Detail, "code 6")
	assert.Equal(t, http.StatusBadRequest, got[0].info.Status)
	assert.Equal(t, map[string]int64{deadletter.RefusedPerEvent: 1}, metricByReason(t, exp.telemetry, metricDropped))
}

func TestDeadLetterTooLarge(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	})
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
	exp := startExporter(t, cfg)
	ld := numberedLogs(2, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, ld, deadletter.TooLarge)
	assert.Equal(t, http.StatusRequestEntityTooLarge, got[0].info.Status)
	assert.Contains(t, got[0].info.Detail, "alone")
}

func TestDeadLetterEncodingFailed(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := withoutQueue(testCfg(s.URL))
	cfg.Format = "custom"
	cfg.Custom = builtin.CustomConfig{Template: `{"type": "{{ event_type }}", "count": {{ event_data.count }}}`, Batch: "event"}
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	ld := seedLogs(t,
		seedEvent{"first", "info", map[string]any{"count": 1}},
		seedEvent{"broken", "info", map[string]any{"count": `1, "admin": true`}},
	)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, subsetOf(ld, 1), deadletter.EncodingFailed)
	assert.Equal(t, "custom", got[0].info.Format)
	assert.Zero(t, got[0].info.Status)
}

func TestDeadLetterRetriesExhausted(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	cfg := withoutQueue(testCfg(s.URL))
	cfg.RetryConfig.MaxElapsedTime = 100 * time.Millisecond
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedBatch...)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld), "kept as dead letters: nothing for the caller to retry")

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, ld, deadletter.RetriesExhausted)
	assert.Contains(t, got[0].info.Detail, "max_elapsed_time")
	assert.Contains(t, got[0].info.Detail, "503")
	assert.Greater(t, len(s.Requests()), 1, "retried before giving up")
}

// A Retry-After beyond what is left of max_elapsed_time ends the retries
// at once; the events are dead letters, not silently gone.
func TestDeadLetterRetryAfterBeyondMaxElapsedTime(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	cfg := withoutQueue(testCfg(s.URL))
	cfg.RetryConfig.MaxElapsedTime = time.Minute
	cfg.RetryConfig.MaxInterval = 2 * time.Hour // Retry-After waits at most max_interval
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedExample)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	assert.Equal(t, 1, len(s.Requests()))
	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, ld, deadletter.RetriesExhausted)
	assert.Contains(t, got[0].info.Detail, "Retry-After")
}

func TestDeadLetterRetriesOff(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusBadGateway)
	})
	cfg := withoutQueue(testCfg(s.URL))
	cfg.RetryConfig.Enabled = false
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedExample)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, ld, deadletter.RetriesExhausted)
	assert.Contains(t, got[0].info.Detail, "retry_on_failure::enabled is false")
}

// Shutdown with batches in the in-memory queue and one waiting for a
// retry: the queue drains with one attempt each, and every event that
// fails is a dead letter of reason shutdown, once.
func TestDeadLetterShutdownWithQueuedBatches(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	cfg := testCfg(s.URL)
	cfg.RetryConfig.InitialInterval = time.Hour
	cfg.RetryConfig.MaxInterval = time.Hour
	cfg.RetryConfig.MaxElapsedTime = 0
	cfg.QueueConfig.Get().NumConsumers = 1
	cfg = withDeadLetters(t, cfg)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	batches := []plog.Logs{numberedLogs(3, 0), numberedLogs(2, 100), numberedLogs(4, 200)}
	for _, ld := range batches {
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	}
	s.Wait(t, 1) // the first batch now waits an hour for its retry

	require.NoError(t, exp.Shutdown(context.Background()))

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	all := plog.NewLogs()
	for _, ld := range batches {
		ld.ResourceLogs().MoveAndAppendTo(all.ResourceLogs())
	}
	requireDeadLetters(t, got, all, deadletter.Shutdown)
	assert.Equal(t, 3, len(s.Requests()), "one attempt per batch, none after")
	assert.Equal(t, map[string]int64{deadletter.Shutdown: 9}, metricByReason(t, tel, metricDropped))
}

func TestDeadLetterCancelled(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	cfg := withoutQueue(testCfg(s.URL))
	cfg.RetryConfig.InitialInterval = time.Hour
	cfg.RetryConfig.MaxInterval = time.Hour
	cfg.RetryConfig.MaxElapsedTime = 0
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	ld := seedLogs(t, seedExample)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Wait(t, 1)
		cancel()
	}()

	require.NoError(t, exp.ConsumeLogs(ctx, ld))
	<-done

	got := readDeadLetters(t, cfg.DeadLetter.Directory)
	requireDeadLetters(t, got, ld, deadletter.Cancelled)
}

// subsetOf copies the records of ld at the given indices (in record
// order), keeping their resource and scope.
func subsetOf(ld plog.Logs, indices ...int) plog.Logs {
	out := plog.NewLogs()
	idx := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if slices.Contains(indices, idx) {
					orl := out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(orl.Resource())
					orl.SetSchemaUrl(rl.SchemaUrl())
					osl := orl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(osl.Scope())
					osl.SetSchemaUrl(sl.SchemaUrl())
					lr.CopyTo(osl.LogRecords().AppendEmpty())
				}
				idx++
			}
		}
	}
	return out
}

// richLogs is a record using every part of OTLP that the event id reads.
func richLogs(t *testing.T) plog.Logs {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.SetSchemaUrl("https://opentelemetry.io/schemas/1.30.0")
	rl.Resource().Attributes().PutStr("service.name", "gateway")
	rl.Resource().Attributes().PutInt("pid", 4242)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("audit")
	sl.Scope().SetVersion("2")
	sl.Scope().Attributes().PutBool("scoped", true)
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime.Add(123456789)))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(seedTime.Add(time.Second)))
	lr.SetSeverityNumber(plog.SeverityNumberWarn2)
	lr.SetSeverityText("WARN")
	lr.SetEventName("login_failed")
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr.SetSpanID(pcommon.SpanID{8, 7, 6, 5, 4, 3, 2, 1})
	lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	body := lr.Body().SetEmptyMap()
	body.PutStr("user", "ünïcode \u2028 \"quoted\" <tag>")
	body.PutInt("big", math.MaxInt64)
	body.PutDouble("ratio", 0.1)
	body.PutDouble("tiny", 5e-324)
	body.PutEmptyBytes("raw").FromRaw([]byte{0, 0xff, 0x10})
	body.PutEmpty("nothing")
	s := body.PutEmptySlice("list")
	s.AppendEmpty().SetStr("a")
	s.AppendEmpty().SetEmptyMap().PutBool("deep", false)
	lr.Attributes().PutStr("severity", "warning")
	lr.Attributes().PutDouble("score", -2.5)
	return ld
}

// A dead letter keeps everything of the record: read back, it is the same
// record and maps to the same event id.
func TestDeadLetterLineKeepsTheRecord(t *testing.T) {
	ld := richLogs(t)
	rl := ld.ResourceLogs().At(0)
	sl := rl.ScopeLogs().At(0)
	info := deadletter.Info{Reason: deadletter.Refused, Detail: "d", EventID: eventIDs(ld)[0]}

	line, err := deadletter.Line(rl, sl, sl.LogRecords().At(0), &info)
	require.NoError(t, err)

	require.True(t, bytes.HasSuffix(line, []byte("}\n")))
	assert.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line")
	req := plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalJSON(line))
	assert.Equal(t, ld, req.Logs(), "nothing of the record, its resource or scope is lost")
	assert.Equal(t, eventIDs(ld), eventIDs(req.Logs()))
}

// Two exporters sharing a directory write files of their own.
func TestDeadLetterExportersShareADirectory(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusForbidden) })
	dir := t.TempDir()
	ids := []component.ID{component.MustNewIDWithName("webhook", "siem"), component.MustNewIDWithName("webhook", "backup")}
	for i, id := range ids {
		cfg := withoutQueue(testCfg(s.URL))
		cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: dir, MaxSizeMiB: 1}
		set := exportertest.NewNopSettings(metadata.Type)
		set.ID = id
		exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
		require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(i+1, 0)))
		require.NoError(t, exp.Shutdown(context.Background()))
	}
	for i, id := range ids {
		got := readDeadLetterFile(t, filepath.Join(dir, deadletter.FileName(id)))
		require.Len(t, got, i+1)
		assert.Equal(t, id.String(), got[0].info.Exporter)
	}
}

// Dead letters that cannot be written are counted and logged with the
// drop totals; the events are still counted as dropped.
func TestDeadLetterUnwritableIsCountedAndLogged(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadRequest) })
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
	exp := startExporter(t, cfg)
	// In the file's place a directory, which no one may append to (root
	// included, unlike a read-only mode).
	path := onlyFile(t, cfg.DeadLetter.Directory)
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o700))

	require.Error(t, exp.ConsumeLogs(context.Background(), numberedLogs(3, 0)))
	require.NoError(t, exp.Shutdown(context.Background()))

	assert.Equal(t, map[string]int64{deadletter.Refused: 3}, metricByReason(t, exp.telemetry, metricDropped))
	assert.Equal(t, map[string]int64{deadletter.Refused + "/" + deadletter.WriteFailedError: 3}, metricByReason(t, exp.telemetry, metricDeadLettersFailed))
	assert.Empty(t, metricByReason(t, exp.telemetry, metricDeadLetters))
	lines := exp.logs.FilterMessageSnippet("dropped events: refused").All()
	require.Len(t, lines, 1)
	ctx := lines[0].ContextMap()
	assert.EqualValues(t, 3, ctx["events"])
	assert.EqualValues(t, 3, ctx["dead_letters_not_written"])
	assert.Contains(t, ctx["dead_letter_error"], "not a regular file")
}

func TestDeadLetterStartFailsWhenThePathCannotBeCreated(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	cfg := testCfg("https://siem.example.com/webhook")
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: filepath.Join(file, "deadletter"), MaxSizeMiB: 1}
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)

	err = exp.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "dead_letter::directory")
	assert.ErrorContains(t, err, "a-file")
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestDeadLetterConfigValidation(t *testing.T) {
	cfg := testCfg("https://siem.example.com/webhook")
	cfg.DeadLetter = DeadLetterConfig{Enabled: true}
	err := cfg.Validate()
	require.ErrorContains(t, err, "dead_letter::directory: required")
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: "/tmp/x", MaxSizeMiB: 0}
	require.ErrorContains(t, cfg.Validate(), "dead_letter::max_size_mib")
	cfg.DeadLetter = DeadLetterConfig{MaxSizeMiB: 0}
	require.NoError(t, cfg.Validate(), "off: nothing to check")
}

// Replay: a dead letter posted to an OTLP receiver in front of the same
// exporter configuration is delivered with the same event id as the first
// attempt, here the Idempotency-Key of a request of one event.
func TestDeadLetterReplayGivesTheSameEventIDs(t *testing.T) {
	healthy := false
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		if !healthy {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	cfg := withoutQueue(testCfg(s.URL))
	cfg.Format = "datadog" // one event per request: the key is the event id
	cfg.Datadog.APIKey = configopaque.String("k")
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	// Records without a time get one before the queue: the dead letter
	// keeps it, and with it the id.
	ld := richLogs(t)
	untimed := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	untimed.Body().SetStr("no time")
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	first := s.Wait(t, 2)
	dls := readDeadLetters(t, cfg.DeadLetter.Directory)
	require.Len(t, dls, 2)

	healthy = true
	for _, dl := range dls {
		// What an OTLP/HTTP receiver hands the pipeline for the line.
		req := plogotlp.NewExportRequest()
		require.NoError(t, req.UnmarshalJSON([]byte(dl.raw)))
		require.NoError(t, exp.ConsumeLogs(context.Background(), req.Logs()))
	}

	reqs := s.Wait(t, 4)
	firstKeys := []string{first[0].Header.Get(delivery.HeaderIdempotencyKey), first[1].Header.Get(delivery.HeaderIdempotencyKey)}
	replayKeys := []string{reqs[2].Header.Get(delivery.HeaderIdempotencyKey), reqs[3].Header.Get(delivery.HeaderIdempotencyKey)}
	assert.ElementsMatch(t, firstKeys, replayKeys)
	assert.ElementsMatch(t, firstKeys, []string{dls[0].info.EventID, dls[1].info.EventID})
}

// The collector samples its log (the first 10 lines of a message per
// second, then 1 in 100): of 100 refused requests few lines remain, but
// the total is logged whole.
func TestDropTotalsSurviveLogSampling(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadRequest) })
	core, logs := observer.New(zap.InfoLevel)
	sampled := zapcore.NewSamplerWithOptions(core, time.Hour, 10, 100)
	exp, _ := startExporterLogging(t, withoutQueue(testCfg(s.URL)), sampled)

	for i := range 100 {
		require.Error(t, exp.ConsumeLogs(context.Background(), numberedLogs(10, i)))
	}
	require.NoError(t, exp.Shutdown(context.Background()))

	assert.Less(t, logs.FilterMessageSnippet("refused the events").Len(), 20, "the per-request lines are sampled")
	totals := logs.FilterMessageSnippet("dropped events: refused").All()
	require.Len(t, totals, 1)
	assert.EqualValues(t, 1000, totals[0].ContextMap()["events"])
}

// With a queue on disk, a batch that shutdown interrupts stays in the
// queue for the next start: the push hands exporterhelper a retryable
// error (which its retry sender, shut down, reports as a shutdown) and
// writes no dead letter.
func TestShutdownWithPersistentQueueKeepsTheBatch(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusServiceUnavailable) })
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
	e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	e.pusher.Settings.KeepOnRestart = true
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	e.beginShutdown()

	err = e.pushLogs(context.Background(), numberedLogs(3, 0))

	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	require.NoError(t, e.shutdown(context.Background()))
	assert.Empty(t, readDeadLetters(t, cfg.DeadLetter.Directory))
}

// BenchmarkDeadLetters writes a batch of 100 refused events as dead
// letters: the cost of giving up on events, per event.
func BenchmarkDeadLetters(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%t", sync), func(b *testing.B) {
			cfg := testCfg("https://siem.example.com/webhook")
			cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: b.TempDir(), MaxSizeMiB: 1 << 20, Sync: sync}
			e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
			require.NoError(b, err)
			var a mapping.Arrays
			e.pusher.Mapper.MapInto(numberedLogs(100, 200), &a, nil)
			why := deadletter.All(deadletter.Dropped{Reason: deadletter.Refused, Detail: "request answered 400 Bad Request", Status: 400})
			b.ReportAllocs()
			for b.Loop() {
				e.keeper.GiveUp(&a, why)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/event")
		})
	}
}
