package webhookexporter

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fmt"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/xxh3"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

func ok(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) }

func TestSeedExampleArrivesAsSeedJSON(t *testing.T) {
	s := testsink.NewRecorder(t, ok)
	exp := startExporter(t, testCfg(s.URL))

	ld := seedLogs(t, seedExample)
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	got := s.Wait(t, 1)[0]
	assert.JSONEq(t, readGolden(t, "json.json"), string(got.Body))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, mappedIDs(ld)[0], got.Header.Get(delivery.HeaderIdempotencyKey), "the event's stable id goes in Idempotency-Key")
}

// A request of several events is keyed by a digest of its body, which the
// same events give on every retry; the events' ids need not be computed.
func TestABatchIsKeyedByItsBody(t *testing.T) {
	digest := func(body []byte) string {
		sum := xxh3.Hash128(body).Bytes()
		return hex.EncodeToString(sum[:])
	}
	ld := seedLogs(t, seedBatch...)

	s := testsink.NewRecorder(t, ok)
	exp := startExporter(t, withoutQueue(testCfg(s.URL)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	got := s.Wait(t, 1)[0]
	assert.Equal(t, digest(got.Body), got.Header.Get(delivery.HeaderIdempotencyKey), "json")

	hec := hecsink.New(t, hecTestToken, false)
	exp = startExporter(t, hecCfg(hec, hecTestToken))
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	requests, _ := hecSnapshot(hec)
	require.Len(t, requests, 1)
	assert.Equal(t, digest(requests[0].body), requests[0].header.Get(delivery.HeaderIdempotencyKey), "splunk_hec")
}

// mappedIDs are the ids the mapping gives ld's events.
func mappedIDs(ld plog.Logs) []string {
	m := mapping.Mapper{Source: defaultSource, Now: time.Now}
	var ids []string
	for _, ev := range m.Events(ld, nil) {
		ids = append(ids, ev.ID)
	}
	return ids
}

func TestSeedBatchArrivesInOrder(t *testing.T) {
	for _, tt := range []struct {
		layout      string
		contentType string
		split       func([]byte) []json.RawMessage
	}{
		{"array", "application/json", func(b []byte) []json.RawMessage {
			var out []json.RawMessage
			require.NoError(t, json.Unmarshal(b, &out), "a batch is one JSON array")
			return out
		}},
		{"ndjson", "application/x-ndjson", func(b []byte) []json.RawMessage {
			require.True(t, strings.HasSuffix(string(b), "\n"), "NDJSON ends every line with a newline")
			var out []json.RawMessage
			for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				require.True(t, json.Valid([]byte(line)), "line %q", line)
				out = append(out, json.RawMessage(line))
			}
			return out
		}},
	} {
		t.Run(tt.layout, func(t *testing.T) {
			s := testsink.NewRecorder(t, ok)
			cfg := testCfg(s.URL)
			cfg.JSON.Batch = tt.layout
			exp := startExporter(t, cfg)

			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...)))

			got := s.Wait(t, 1)[0]
			assert.Equal(t, tt.contentType, got.Header.Get("Content-Type"))
			events := tt.split(got.Body)
			require.Len(t, events, len(seedBatch))
			for i, raw := range events {
				var ev struct {
					EventType string         `json:"event_type"`
					Severity  string         `json:"severity"`
					Source    string         `json:"source"`
					Timestamp string         `json:"timestamp"`
					Data      map[string]any `json:"data"`
				}
				require.NoError(t, json.Unmarshal(raw, &ev))
				assert.Equal(t, seedBatch[i].eventType, ev.EventType)
				assert.Equal(t, seedBatch[i].severity, ev.Severity)
				assert.Equal(t, "sentyr", ev.Source)
				assert.Equal(t, "2025-10-29T12:00:00Z", ev.Timestamp)
				assert.Equal(t, seedBatch[i].data, ev.Data)
			}
		})
	}
}

func TestRetriesUntilDeliveredOnce(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n < 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	exp := startExporter(t, withoutQueue(testCfg(s.URL)))

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...)))

	reqs := s.Wait(t, 3)
	assert.Equal(t, 3, len(s.Requests()), "two 503 answers, then one 200")
	for _, r := range reqs[1:] {
		assert.Equal(t, reqs[0].Body, r.Body, "a retry sends the same events")
		assert.Equal(t, reqs[0].Header.Get(delivery.HeaderIdempotencyKey), r.Header.Get(delivery.HeaderIdempotencyKey))
	}
	assert.Equal(t, int64(len(seedBatch)), sentRecords(t, exp), "the batch is counted delivered once")
}

func TestPermanentRefusalIsLoggedOnceWithoutSecrets(t *testing.T) {
	const secret = "s3cr3t-token-value"
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"bad payload"}`))
	})
	cfg := withoutQueue(testCfg(s.URL + "/hook?token=" + secret))
	cfg.ClientConfig.Headers.Set("Authorization", configopaque.String("Bearer "+secret))
	exp := startExporter(t, cfg)

	err := exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))

	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.NotContains(t, err.Error(), secret)
	assert.Equal(t, 1, len(s.Requests()), "a 400 is not retried")
	refusals := exp.logs.FilterMessageSnippet("refused")
	require.Equal(t, 1, refusals.Len(), "one log line for the refusal")
	fields := refusals.All()[0].ContextMap()
	assert.EqualValues(t, 400, fields["status"])
	assert.Equal(t, s.URL+"/hook", fields["endpoint"])
	assert.Contains(t, fields["response"], "bad payload")
	for _, entry := range exp.logs.All() {
		assert.NotContains(t, entry.Message, secret)
		for k, v := range entry.ContextMap() {
			assert.NotContains(t, k+"="+toString(v), secret)
		}
	}
}

// TestRetryAfterIsHonoured: the retry waits Retry-After, not the shorter
// backoff; with retries unlimited, max_interval at most (a receiver asking
// to wait 68 years).
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, tt := range []struct {
		name, after string
		unlimited   bool
		want        time.Duration
	}{
		{"honoured", "2", false, 2 * time.Second},
		{"at most max_interval", "2147483647", true, 7 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 0 {
					w.Header().Set("Retry-After", tt.after)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			cfg := withoutQueue(testCfg(s.URL))
			if tt.unlimited {
				cfg.RetryConfig.MaxElapsedTime = 0
				cfg.RetryConfig.MaxInterval = 7 * time.Second
			}
			var clk fakeClock
			exp := startClocked(t, cfg, &clk)

			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

			s.Wait(t, 2)
			assert.Equal(t, []time.Duration{tt.want}, clk.asked())
		})
	}
}

func TestStalledReceiverTimesOutAndIsRetried(t *testing.T) {
	release := make(chan struct{})
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	defer close(release)
	cfg := withoutQueue(testCfg(s.URL))
	cfg.ClientConfig.Timeout = 200 * time.Millisecond
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

	reqs := s.Wait(t, 2)
	assert.Equal(t, reqs[0].Body, reqs[1].Body)
	assert.Equal(t, 1, exp.logs.FilterMessageSnippet("Will retry").Len())
	assert.Contains(t, exp.logs.FilterMessageSnippet("Will retry").All()[0].ContextMap()["error"], "timed out after 200ms")
}

// sentRecords reads the exporter's own count of delivered records.
func sentRecords(t *testing.T, exp *testExporter) int64 {
	t.Helper()
	m, err := exp.telemetry.GetMetric("otelcol_exporter_sent_log_records")
	require.NoError(t, err)
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}

func toString(v any) string { return fmt.Sprint(v) }

func TestRecordWithoutTimeKeepsItsTimestampAcrossRetries(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 0 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	cfg := testCfg(s.URL)
	cfg.RetryConfig.InitialInterval = 20 * time.Millisecond
	exp := startExporter(t, cfg)
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("no time")

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	reqs := s.Wait(t, 2)
	assert.Equal(t, string(reqs[0].Body), string(reqs[1].Body), "same timestamp and id on the retry")
	assert.Equal(t, reqs[0].Header.Get(delivery.HeaderIdempotencyKey), reqs[1].Header.Get(delivery.HeaderIdempotencyKey))
}

// queueSettings are sending_queue settings in the collector's YAML terms.
var queueSettings = []struct {
	name     string
	settings map[string]any
	// batches: the queue moves records between batches, and says so.
	batches bool
}{
	{name: "default queue"},
	{name: "no queue", settings: map[string]any{"enabled": false}},
	{name: "batching queue", settings: map[string]any{"batch": map[string]any{"flush_timeout": "10ms"}}, batches: true},
}

func withQueueSettings(t *testing.T, cfg *Config, settings map[string]any) *Config {
	t.Helper()
	if settings != nil {
		require.NoError(t, confmap.NewFromStringMap(map[string]any{"sending_queue": settings}).Unmarshal(cfg))
	}
	require.NoError(t, cfg.Validate())
	return cfg
}

// The pipeline gives a consumer that says it mutates data a copy of every
// batch when another consumer shares the pipeline: the exporter says so
// only when its queue batches.
func TestExporterSaysItMutatesDataOnlyWhenItsQueueBatches(t *testing.T) {
	for _, tt := range queueSettings {
		t.Run(tt.name, func(t *testing.T) {
			cfg := withQueueSettings(t, testCfg("http://127.0.0.1:1"), tt.settings)
			exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.batches, exp.Capabilities().MutatesData)
		})
	}
}

// A record without any time gets one on a copy: the batch the exporter was
// given is shared with the pipeline's other consumers (read-only here, as
// the pipeline marks a batch that several consumers read).
func TestUntimedRecordIsStampedWithoutChangingTheGivenBatch(t *testing.T) {
	for _, tt := range queueSettings {
		t.Run(tt.name, func(t *testing.T) {
			s := testsink.NewRecorder(t, ok)
			exp := startExporter(t, withQueueSettings(t, testCfg(s.URL), tt.settings))
			ld := plog.NewLogs()
			lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			lrs.AppendEmpty().Body().SetStr("timed")
			lrs.At(0).SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
			lrs.AppendEmpty().Body().SetStr("untimed")
			ld.MarkReadOnly()

			before := time.Now()
			require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
			after := time.Now()

			var events []struct {
				Timestamp time.Time `json:"timestamp"`
			}
			require.NoError(t, json.Unmarshal(s.Wait(t, 1)[0].Body, &events))
			require.Len(t, events, 2)
			assert.True(t, seedTime.Equal(events[0].Timestamp), "timed record keeps its time: %s", events[0].Timestamp)
			assert.False(t, events[1].Timestamp.Before(before.Truncate(time.Microsecond)) || events[1].Timestamp.After(after),
				"untimed record stamped with the time it was given: %s, not in [%s, %s]", events[1].Timestamp, before, after)
			assert.Zero(t, lrs.At(1).ObservedTimestamp(), "the given batch is unchanged")
		})
	}
}

func TestObjectLayoutSendsEachEventAlone(t *testing.T) {
	s := testsink.NewRecorder(t, ok)
	cfg := withoutQueue(testCfg(s.URL))
	cfg.JSON.Batch = "object"
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...)))

	reqs := s.Wait(t, 3)
	assert.Len(t, reqs, 3, "one request per event")
	seen := map[string]bool{}
	for _, r := range reqs {
		var ev struct {
			Data map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &ev), "each body is one object: %s", r.Body)
		seen[ev.Data["file_id"].(string)] = true
		assert.Len(t, r.Header.Get(delivery.HeaderIdempotencyKey), 32)
	}
	assert.Equal(t, map[string]bool{"abc123": true, "def456": true, "ghi789": true}, seen)
}

// Requests sent side by side keep their connections for the next batch:
// Go's default of 2 idle connections per host made every batch of the
// one-event-per-request formats open (and close) most of its connections
// again.
func TestConcurrentRequestsReuseTheirConnections(t *testing.T) {
	const concurrent, batches = 8, 10
	var (
		mu      sync.Mutex
		waiting []chan struct{}
		opened  atomic.Int32
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		// Each batch's requests are answered together, once all of them
		// are in flight, so that they need a connection each.
		release := make(chan struct{})
		mu.Lock()
		waiting = append(waiting, release)
		if len(waiting) == concurrent {
			for _, c := range waiting {
				close(c)
			}
			waiting = nil
		}
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	cfg := withoutQueue(testCfg(srv.URL))
	cfg.JSON.Batch = "object"
	cfg.MaxConcurrentRequests = concurrent
	exp := startExporter(t, cfg)
	events := make([]seedEvent, concurrent)
	for i := range events {
		events[i] = seedEvent{"file_shared_externally", "warning", map[string]any{"n": i}}
	}
	for range batches {
		require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, events...)))
	}
	assert.Equal(t, int32(concurrent), opened.Load(), "connections opened for %d batches of %d concurrent requests", batches, concurrent)
}
