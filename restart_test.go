package webhookexporter

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/memstorage"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// withDiskQueue queues on st, one consumer, as sending_queue::storage does.
func withDiskQueue(cfg *Config) *Config {
	q := exporterhelper.NewDefaultQueueConfig()
	q.StorageID = &storageID
	q.NumConsumers = 1
	cfg.QueueConfig = configoptional.Some(q)
	return cfg
}

// fakeClock fires every wait at once and keeps what was asked.
type fakeClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *fakeClock) clock() delivery.Clock {
	return delivery.Clock{Now: time.Now, After: func(d time.Duration) <-chan time.Time {
		c.mu.Lock()
		c.waits = append(c.waits, d)
		c.mu.Unlock()
		ch := make(chan time.Time, 1)
		ch <- time.Now()
		return ch
	}}
}

func (c *fakeClock) asked() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// startRun starts an exporter with the given id on st (nil: no storage)
// and clk (zero: the system's), shut down at the end of the test if not
// before: one run of a collector.
func startRun(t *testing.T, cfg *Config, id component.ID, st *memstorage.Storage, clk delivery.Clock) *testExporter {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = id
	set.Logger = zap.New(core)
	if clk.Now == nil {
		clk = pacedTestClock(cfg)
	}
	exp, err := createLogsClocked(context.Background(), set, cfg, clk)
	require.NoError(t, err)
	var host component.Host = componenttest.NewNopHost()
	if st != nil {
		host = &storageHost{Host: host, ext: map[component.ID]component.Component{storageID: st}}
	}
	require.NoError(t, exp.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return &testExporter{Logs: exp, logs: logs}
}

// startClocked is startExporter with clk.
func startClocked(t *testing.T, cfg *Config, clk *fakeClock) *testExporter {
	return startRun(t, cfg, component.MustNewID("webhook"), nil, clk.clock())
}

// restartCfg is the collector: HEC, one event per request, a queue
// on disk, retries without end, dead letters on.
func restartCfg(t *testing.T, s *hecsink.Sink, deadLetters string) *Config {
	cfg := withDiskQueue(testCfg(s.URL + "/services/collector/event"))
	cfg.Format = "splunk_hec"
	cfg.SplunkHEC.Token = hecTestToken
	cfg.SplunkHEC.MaxRequestBytes = 1024
	cfg.RetryConfig.MaxElapsedTime = 0
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: deadLetters, MaxSizeMiB: 1}
	require.NoError(t, cfg.Validate())
	return cfg
}

// TestRestartSendsNothingSettledAgain: of 4 events, one per request, the
// receiver takes two, refuses one (code 6) and is busy for one (503, code
// 9); the collector stops (or crashes) while that one waits for a retry,
// and starts again against a receiver that takes everything. Every event
// is indexed or dead-lettered exactly once.
func TestRestartSendsNothingSettledAgain(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := "shutdown"
		if crash {
			name = "crash"
		}
		t.Run(name, func(t *testing.T) {
			first, second := hecsink.New(t, hecTestToken, false), hecsink.New(t, hecTestToken, false)
			first.RefuseEvents(func(ev map[string]any) bool { return ev["seq"] == jsonNumber(1) })
			first.BusyWith(func(ev map[string]any) bool { return ev["seq"] == jsonNumber(2) })
			dlDir := t.TempDir()
			id := component.MustNewID("webhook")
			disk := memstorage.New()

			run1 := startRun(t, restartCfg(t, first, dlDir), id, disk, delivery.Clock{})
			require.NoError(t, run1.ConsumeLogs(context.Background(), numberedLogs(4, restartPad)))
			// Retried at least once: the first attempt is settled (and
			// recorded before the retry's wait).
			require.Eventually(t, func() bool {
				reqs, _ := hecSnapshot(first)
				return len(reqs) >= 5
			}, 30*time.Second, 5*time.Millisecond)
			onDisk := disk
			if crash {
				// What the process leaves when it dies mid-retry.
				onDisk = disk.Snapshot()
			} else {
				require.NoError(t, run1.Shutdown(context.Background()))
			}

			run2 := startRun(t, restartCfg(t, second, dlDir), id, onDisk, delivery.Clock{})
			require.Eventually(t, func() bool {
				_, indexed := hecSnapshot(second)
				return len(indexed) > 0
			}, 30*time.Second, 5*time.Millisecond)
			require.NoError(t, run2.Shutdown(context.Background()))
			require.NoError(t, run1.Shutdown(context.Background()))

			_, indexed1 := hecSnapshot(first)
			reqs2, indexed2 := hecSnapshot(second)
			assert.ElementsMatch(t, []int{0, 3}, seqs(t, indexed1))
			assert.Equal(t, []int{2}, seqs(t, indexed2), "after the restart only the event that was never taken is sent")
			assert.Equal(t, 1, len(reqs2), "requests after the restart")
			dls := readDeadLetters(t, dlDir)
			require.Len(t, dls, 1, "the refused event is dead-lettered once")
			assert.Equal(t, deadletter.RefusedPerEvent, dls[0].info.Reason)
			assert.Equal(t, eventIDs(numberedLogs(4, restartPad))[1], dls[0].info.EventID)
			skipped := run2.logs.FilterMessageSnippet("settled before the last stop").All()
			if assert.Len(t, skipped, 1) {
				assert.EqualValues(t, 3, skipped[0].ContextMap()["events"], "settled: two indexed, one refused")
			}
			// The batch is done: nothing is left to skip.
			assert.False(t, onDisk.Has(delivery.SettledIndexKey))
		})
	}
}

// restartPad makes an event fill more than half of a 1 KiB request.
const restartPad = 600

// jsonNumber is n as the HEC stand-in decodes numbers.
func jsonNumber(n int) any {
	return json.Number(strconv.Itoa(n))
}

// TestGoResendIsCountedAsAnAttempt: a receiver closes a reused connection
// after reading a request. Go's transport sends the request again on a new
// connection by itself (it carries an Idempotency-Key); that second send is
// an attempt of its own in the dead letter.
func TestGoResendIsCountedAsAnAttempt(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		switch n {
		case 0:
			w.WriteHeader(http.StatusOK)
		case 1:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.(*net.TCPConn).SetLinger(0)
				_ = conn.Close()
			}
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
	cfg.RetryConfig.Enabled = false
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(1, 0)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(1, 1)), "kept as a dead letter")

	require.Len(t, s.Wait(t, 3), 3, "the second push's request was sent twice")
	dls := readDeadLetters(t, cfg.DeadLetter.Directory)
	require.Len(t, dls, 1)
	assert.Contains(t, dls[0].info.Detail, "after 2 attempts")
}

// TestShutdownWaitsOneTimeoutInAll: five batches are queued in memory and
// the receiver never answers. The shutdown cuts the request in flight when
// its time is over and sends none of the other batches: every event is a
// shutdown dead letter, and the receiver saw one request, not one per
// batch.
func TestShutdownWaitsOneTimeoutInAll(t *testing.T) {
	hang := make(chan struct{})
	s := testsink.NewRecorder(t, func(_ http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	defer close(hang)
	cfg := withDeadLetters(t, testCfg(s.URL))
	cfg.QueueConfig.Get().NumConsumers = 1
	cfg.QueueConfig.Get().Batch = configoptional.None[exporterhelper.BatchConfig]()
	cfg.ClientConfig.Timeout = 2 * time.Second
	var clk fakeClock
	run := startClocked(t, cfg, &clk)
	var want []string
	for i := range 5 {
		ld := numberedLogs(1, i)
		want = append(want, eventIDs(ld)...)
		require.NoError(t, run.ConsumeLogs(context.Background(), ld))
	}
	// In flight (waitRequests waits for answers).
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 30*time.Second, time.Millisecond)

	require.NoError(t, run.Shutdown(context.Background()))

	assert.Equal(t, 1, len(s.Requests()), "batches are not sent once the shutdown's time is over")
	assert.Contains(t, clk.asked(), cfg.ClientConfig.Timeout, "the shutdown waits one timeout")
	var got []string
	for _, dl := range readDeadLetters(t, cfg.DeadLetter.Directory) {
		assert.Equal(t, deadletter.Shutdown, dl.info.Reason)
		got = append(got, dl.info.EventID)
	}
	assert.ElementsMatch(t, want, got, "every queued event is a shutdown dead letter")
}
