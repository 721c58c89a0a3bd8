package webhookexporter

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zapcore"

	"github.com/sentyr/webhookexporter/internal/faultsink"
)

const (
	// soakIDKey is the attribute that names each soak event uniquely.
	soakIDKey = "soak_id"
	// soakShortDuration is how long each case streams in `go test`: long
	// enough for the script to run through every fault many times over;
	// make soak streams for minutes.
	soakShortDuration = 3 * time.Second
	retryLogMessage   = "Exporting failed. Will retry the request after interval."
)

// soakDuration is SOAK_DURATION (make soak) or the short default.
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("SOAK_DURATION")
	if v == "" {
		return soakShortDuration
	}
	d, err := time.ParseDuration(v)
	require.NoError(t, err, "SOAK_DURATION: write a Go duration such as 3m")
	return d
}

// TestSoakDeliversEveryEventThroughInjectedFaults streams events through the
// factory-built exporter, with its queue, while the receiver answers in turn
// 500, 503 with Retry-After, 429, resets, stalls past the timeout, trickles
// its answer and answers late. Every accepted event must be acknowledged
// exactly once; every other copy the receiver saw must come from a request
// it processed without acknowledging; the exporter's telemetry must agree.
//
// The two cases run at once, and beside the package's other parallel
// tests: each spends most of its run waiting on stalled requests and
// client timeouts. It measures no memory; the end-to-end soak reports the
// distribution's peak RSS under the same faults.
func TestSoakDeliversEveryEventThroughInjectedFaults(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	duration := soakDuration(t)
	for _, tt := range []struct {
		name      string
		layout    string
		batch     bool
		script    []faultsink.Fault
		consumers int
		queue     int64
	}{
		{name: "array batches from the queue's batcher", layout: "array", batch: true, script: faultsink.Script, consumers: 4, queue: 200},
		// One request per event: each batch is as slow as its slowest
		// request, so faults are spread out and more consumers share the
		// work, and the queue stays short so that the backlog drains soon.
		{name: "one event per request, sent concurrently", layout: "object", script: faultsink.Spread(faultsink.Script, 3), consumers: 16, queue: 16},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := faultsink.New(faultsink.JSONIDs(soakIDKey), tt.script, 100*time.Millisecond)
			t.Cleanup(sink.Close)

			cfg := testCfg(sink.URL)
			cfg.JSON.Batch = tt.layout
			// Stalls must end in a client timeout, well after the sink's slow
			// and late answers (100ms) have come even on a loaded machine: an
			// answer the sink finished but the client gave up on counts there
			// as acknowledged, and its events are sent again. (At 1s, `go test
			// -race ./...` on two busy cores saw that now and then.)
			cfg.ClientConfig.Timeout = 5 * time.Second
			cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
			cfg.RetryConfig.MaxInterval = 200 * time.Millisecond
			cfg.RetryConfig.MaxElapsedTime = 0 // retry until delivered
			q := exporterhelper.NewDefaultQueueConfig()
			q.QueueSize = tt.queue
			q.NumConsumers = tt.consumers
			q.BlockOnOverflow = true
			if tt.batch {
				q.Batch = configoptional.Some(exporterhelper.BatchConfig{
					FlushTimeout: 50 * time.Millisecond, Sizer: exporterhelper.RequestSizerTypeItems, MinSize: 50, MaxSize: 200,
				})
			}
			cfg.QueueConfig = configoptional.Some(q)
			exp, tel, logs := startSoakExporter(t, cfg)

			sent := streamSoakEvents(t, exp, tt.layout, duration)
			missing := sink.WaitAcked(sent, 2*time.Minute)
			if len(missing) > 0 {
				st := sink.Stats()
				t.Logf("receiver: %d requests %v; first missing %s was seen unacknowledged %d times; exporter retries %d",
					st.Requests, st.ByFault, missing[0], st.Unacked[missing[0]], logs.count(retryLogMessage))
			}
			require.Empty(t, missing, "%d of %d accepted events never acknowledged", len(missing), len(sent))

			st := sink.Stats()
			require.Empty(t, st.Bad, "the receiver could not read some bodies")
			for _, f := range tt.script {
				assert.Positive(t, st.ByFault[f.String()], "fault %s never injected", f)
			}
			sentSet := make(map[string]bool, len(sent))
			for _, id := range sent {
				sentSet[id] = true
			}
			duplicates := 0
			for id, n := range st.Acked {
				require.True(t, sentSet[id], "the receiver acknowledged an event that was never sent: %s", id)
				require.Equal(t, 1, n, "event %s acknowledged %d times", id, n)
			}
			for id, n := range st.Unacked {
				require.True(t, sentSet[id], "the receiver saw an event that was never sent: %s", id)
				// Each unacknowledged copy was followed by a resend, hence one
				// duplicate on the receiver's side per such copy.
				duplicates += n
			}

			// The exporter's telemetry agrees with the receiver, once the
			// pushes whose answers the receiver has just finished have
			// returned (the count is taken when ConsumeLogs returns).
			require.Eventually(t, func() bool {
				return metricTotal(t, tel, "otelcol_exporter_sent_log_records") == int64(len(sent))
			}, time.Minute, 10*time.Millisecond, "sent_log_records: %d, want %d", metricTotal(t, tel, "otelcol_exporter_sent_log_records"), len(sent))
			assert.Zero(t, metricTotal(t, tel, "otelcol_exporter_send_failed_log_records"), "send_failed_log_records")
			retries := logs.count(retryLogMessage)
			unacked := st.Unacknowledged()
			assert.LessOrEqual(t, retries, unacked, "the exporter retried more often than the receiver failed it")
			if tt.batch {
				// One request per push: each unacknowledged request is one
				// exporter retry, or a resend by Go's transport of a request
				// reset on a reused connection (POSTs with an Idempotency-Key
				// count as replayable).
				assert.GreaterOrEqual(t, retries+st.ByFault[faultsink.Reset.String()], unacked)
			}
			t.Logf("SOAK %s: %s streaming; events sent %d, received %d distinct, duplicates %d; "+
				"requests %d (unacknowledged %d, by fault %v); exporter retries %d",
				tt.name, duration, len(sent), len(st.Acked), duplicates,
				st.Requests, unacked, st.ByFault, retries)
		})
	}
}

// startSoakExporter starts a factory-built exporter whose log lines are
// only counted: an observer would keep every retried batch alive through
// the errors it records, and the soak reports the exporter's memory.
func startSoakExporter(t *testing.T, cfg *Config) (exporter.Logs, *componenttest.Telemetry, *messageCounter) {
	t.Helper()
	counter := &messageCounter{counts: map[string]int{}}
	exp, tel := startExporterLogging(t, cfg, counter)
	return exp, tel, counter
}

// messageCounter is a zap core that counts log lines by message.
type messageCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *messageCounter) Enabled(zapcore.Level) bool        { return true }
func (c *messageCounter) With([]zapcore.Field) zapcore.Core { return c }
func (c *messageCounter) Sync() error                       { return nil }
func (c *messageCounter) Write(e zapcore.Entry, _ []zapcore.Field) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[e.Message]++
	return nil
}

func (c *messageCounter) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(e, c)
}

func (c *messageCounter) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[msg]
}

// streamSoakEvents offers batches of 1 to 17 uniquely named events until
// duration has passed and returns the ids of those the exporter accepted.
func streamSoakEvents(t *testing.T, exp exporter.Logs, prefix string, duration time.Duration) []string {
	t.Helper()
	var sent []string
	deadline := time.Now().Add(duration)
	for seq := 0; time.Now().Before(deadline); seq++ {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		ids := make([]string, 1+seq%17)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-%d-%d", prefix, seq, i)
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
			lr.SetEventName("soak")
			lr.Body().SetStr("event under fault injection")
			lr.Attributes().PutStr(soakIDKey, ids[i])
		}
		// The queue blocks when full, so every batch is accepted.
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
		sent = append(sent, ids...)
		time.Sleep(5 * time.Millisecond)
	}
	return sent
}

// metricTotal sums an int64 counter over its attribute sets; a counter
// never recorded is 0.
func metricTotal(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}
