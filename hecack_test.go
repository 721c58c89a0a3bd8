package webhookexporter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/hecack"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// Splunk HEC's indexer acknowledgement through the whole exporter, against
// the strict stand-in (hecsink). The poller's clock is moved by the test,
// one poll interval each time the poller waits while requests wait for
// acknowledgement; the retries' clock fires at once. No test waits on
// real time: hecsink.HangGuard only fails a test that would hang.

// ackRun is a started exporter with acknowledgement.
type ackRun struct {
	exporter.Logs
	pusher *delivery.Pusher
	clk    *hecsink.Clock
	logs   *observer.ObservedLogs
	tel    *componenttest.Telemetry
	// polls counts the moves of clk by drive.
	polls atomic.Int64
}

// ackCfg is splunk_hec to endpoint with acknowledgement as ack says, the
// sending queue off (a push returns when its events are settled) and
// retries without end.
func ackCfg(t *testing.T, endpoint string, ack builtin.HECAckConfig) *Config {
	cfg := withoutQueue(testCfg(endpoint))
	cfg.Format = "splunk_hec"
	cfg.SplunkHEC.Token = hecTestToken
	cfg.SplunkHEC.MaxRequestBytes = 8 << 10
	cfg.SplunkHEC.Ack = ack
	cfg.RetryConfig.MaxElapsedTime = 0
	require.NoError(t, cfg.Validate())
	return cfg
}

// startAck starts cfg's exporter; retryWait, if set, is called on each
// wait of the retries (which then fires at once).
func startAck(t *testing.T, cfg *Config, retryWait func()) *ackRun {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	tel := componenttest.NewTelemetry()
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	run := &ackRun{clk: hecsink.NewClock(seedTime), logs: logs, tel: tel}
	exp, err := createLogsWith(context.Background(), set, cfg, func(p *delivery.Pusher) {
		// The retries read the poller's time, which only the test moves.
		p.Clock = delivery.Clock{Now: run.clk.Now, After: func(time.Duration) <-chan time.Time {
			if retryWait != nil {
				retryWait()
			}
			ch := make(chan time.Time, 1)
			ch <- run.clk.Now()
			return ch
		}}
		p.AckClock = hecack.Clock{Now: run.clk.Now, After: run.clk.After}
		run.pusher = p
	})
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, exp.Shutdown(context.Background()))
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	run.Logs = exp
	return run
}

// drive moves the poller's clock one interval each time it waits while
// requests wait for acknowledgement, calling between(n) before the n-th
// move (from 1), until the returned stop is called.
func (r *ackRun) drive(t *testing.T, interval time.Duration, between func(n int64)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-r.clk.Idle():
			}
			for r.pusher.AckPending() == 0 {
				select {
				case <-done:
					return
				default:
					runtime.Gosched()
				}
			}
			n := r.polls.Add(1)
			if between != nil {
				between(n)
			}
			r.clk.Advance(interval)
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// ackLogs is n records, each its own event (a body of its own).
func ackLogs(first, n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := first; i < first+n; i++ {
		lr := lrs.AppendEmpty()
		lr.SetEventName("file_shared_externally")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
		lr.Body().SetEmptyMap().PutStr("file_id", fmt.Sprintf("file-%06d", i))
	}
	return ld
}

// linesWith are the messages of the lines logged that contain text, with
// their error or reason.
func linesWith(logs *observer.ObservedLogs, text string) []string {
	var out []string
	for _, e := range logs.All() {
		line := e.Message
		for _, key := range []string{"error", "reason"} {
			if v, ok := e.ContextMap()[key].(string); ok {
				line += ": " + v
			}
		}
		if strings.Contains(line, text) {
			out = append(out, line)
		}
	}
	return out
}

// consumeAsync pushes ld and returns where the push's error arrives.
func consumeAsync(exp exporter.Logs, ld plog.Logs) <-chan error {
	done := make(chan error, 1)
	go func() { done <- exp.ConsumeLogs(context.Background(), ld) }()
	return done
}

func waitPush(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(hecsink.HangGuard):
		t.Fatal("the push never returned")
		return nil
	}
}

// The acceptance: 10,000 events through a stand-in that
// acknowledges late, loses 1% of the requests it answered with code 0,
// and forgets the channel once. Every event is indexed, by id, at least
// once; one indexed twice is one whose acknowledgement the forgotten
// channel took with it, and nothing else.
func TestHECAckTenThousandEvents(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	sink := hecsink.New(t, hecTestToken, true)
	sink.SetPolicy(hecsink.Policy{QueriesBeforeIndex: 2, Lose: func(n int) bool { return n%100 == 99 }})
	ack := builtin.HECAckConfig{Enabled: true}
	run := startAck(t, ackCfg(t, sink.Endpoint(), ack), nil)
	stop := run.drive(t, builtin.DefaultHECAckPollInterval, func(n int64) {
		if n == 2 {
			sink.Forget(true)
		}
	})
	const total, perPush = 10_000, 1_000
	for first := 0; first < total; first += perPush {
		require.NoError(t, waitPush(t, consumeAsync(run, ackLogs(first, perPush))))
	}
	stop()

	indexed, sent, forgotten := sink.Indexed(), sink.Sent(), sink.Forgotten()
	require.Len(t, indexed, total, "every event indexed")
	twice, resent, lostResent := 0, 0, 0
	for id, n := range indexed {
		require.GreaterOrEqual(t, n, 1)
		if n > 1 {
			twice++
			assert.Positive(t, forgotten[id], "event %s indexed %d times, its acknowledgement was not lost", id, n)
		}
		if sent[id] > 1 {
			resent++
			if forgotten[id] == 0 {
				lostResent++
			}
		}
	}
	assert.Positive(t, lostResent, "the requests the stand-in lost were sent again")
	assert.Positive(t, len(forgotten), "the channel was forgotten while requests waited on it")
	for _, why := range sink.Refused() {
		// The acker learns that Splunk forgot the channel from a query
		// refused, as Splunk refuses it; or, when a send started the
		// channel again first, from the wait's timeout.
		assert.Regexp(t, `^400 code (11: an ack query of an unknown channel|6: ackId \d+ was never given)`, why)
	}
	t.Logf("events %d, indexed twice %d (acknowledgement lost with the channel: %d), sent again %d (of them lost by the stand-in: %d), events sent %d, ack queries %d, polls %d",
		total, twice, len(forgotten), resent, lostResent, countSum(sent), len(sink.Queries()), run.polls.Load())
}

func countSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// A push returns only once Splunk acknowledged its events: until then,
// nothing of it is settled, so a persistent queue still holds the batch.
func TestHECAckPushWaitsForAcknowledgement(t *testing.T) {
	sink := hecsink.New(t, hecTestToken, true)
	sink.SetPolicy(hecsink.Policy{QueriesBeforeIndex: 3})
	run := startAck(t, ackCfg(t, sink.Endpoint(), builtin.HECAckConfig{Enabled: true}), nil)
	const n = 100
	var returned atomic.Bool
	var early atomic.Int64 // events indexed when the push had returned before the fourth query
	run.drive(t, builtin.DefaultHECAckPollInterval, func(poll int64) {
		if poll <= 4 && returned.Load() {
			early.Store(int64(len(sink.Indexed())))
		}
	})
	ld := ackLogs(0, n)
	err := run.ConsumeLogs(context.Background(), ld)
	returned.Store(true)
	require.NoError(t, err)
	assert.Zero(t, early.Load(), "the push returned before its events were acknowledged")
	assert.GreaterOrEqual(t, run.polls.Load(), int64(4), "the fourth query acknowledges")
	assert.Len(t, sink.Indexed(), n, "when the push returns, every event is indexed")
	for id, c := range sink.Sent() {
		assert.Equal(t, 1, c, "event %s sent once", id)
	}
	queries := sink.Queries()
	require.NotEmpty(t, queries)
	for _, q := range queries {
		assert.Equal(t, http.StatusOK, q.Status)
	}
}

// A stand-in that never acknowledges: each event is sent max_resends+1
// times with the same id, then dead-lettered as ack_timeout and counted,
// even with a max_elapsed_time shorter than the waits.
func TestHECAckNeverAcknowledged(t *testing.T) {
	sink := hecsink.New(t, hecTestToken, true)
	sink.SetPolicy(hecsink.Policy{Never: true})
	ack := builtin.HECAckConfig{Enabled: true, MaxResends: 2, Timeout: 3 * builtin.DefaultHECAckPollInterval}
	cfg := ackCfg(t, sink.Endpoint(), ack)
	// Shorter than the waits for acknowledgement (three timeouts), which
	// it does not count. The test's clock moves a poll interval at a time,
	// and may move once more while a wait ends: the budget leaves room
	// for that, as a real clock needs none.
	cfg.RetryConfig.MaxElapsedTime = 6 * builtin.DefaultHECAckPollInterval
	dir := t.TempDir()
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: dir, MaxSizeMiB: 1}
	run := startAck(t, cfg, nil)
	run.drive(t, builtin.DefaultHECAckPollInterval, nil)
	const n = 20
	ld := ackLogs(0, n)
	require.NoError(t, waitPush(t, consumeAsync(run, ld)), "every event is kept as a dead letter")

	sent := sink.Sent()
	require.Len(t, sent, n)
	for id, c := range sent {
		assert.Equal(t, ack.MaxResends+1, c, "event %s", id)
	}
	assert.Empty(t, sink.Indexed())
	requireDeadLetters(t, readDeadLetters(t, dir), ld, deadletter.AckTimeout)
	assert.Equal(t, int64(n), metricByReason(t, run.tel, metricDropped)[deadletter.AckTimeout])
	lines := linesWith(run.logs, "Splunk never acknowledged an event sent 3 times")
	require.NotEmpty(t, lines)
	assert.Contains(t, lines[0], "kept as a dead letter")
}

// frontOf answers the first event request with status and HEC code, and
// hands everything else to sink.
func frontOf(t *testing.T, sink *hecsink.Sink, status, code int) *httptest.Server {
	var answered atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == hecsink.EventPath && answered.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"text":"HEC code %d","code":%d}`, code, code)
			return
		}
		sink.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front
}

// Codes 10, 11, 14, 24 and 25 each say in one line what the user sees,
// and end as Splunk means them.
func TestHECAckCodes(t *testing.T) {
	tests := []struct {
		name      string
		tokenAck  bool // the token requires acknowledgement
		ack       bool // splunk_hec::ack::enabled
		status    int  // of the first answer, 0: the stand-in's own
		code      int
		line      string
		delivered bool
	}{
		{name: "10 channel missing", tokenAck: true, ack: false,
			line: "indexer acknowledgement is on for the token and splunk_hec::ack::enabled is false"},
		{name: "11 invalid channel", tokenAck: true, ack: true, status: 400, code: 11,
			line: "Splunk forgot the exporter's acknowledgement channel", delivered: true},
		{name: "14 ack disabled", tokenAck: false, ack: true, status: 400, code: 14,
			line: "Splunk answered code 14 (ACK is disabled): the token has indexer acknowledgement off; the exporter sends without acknowledgement from now on", delivered: true},
		{name: "0 without ackId", tokenAck: false, ack: true,
			line: "Splunk answered code 0 without an ackId: the token has indexer acknowledgement off; the exporter sends without acknowledgement from now on", delivered: true},
		{name: "24 queue at capacity", tokenAck: true, ack: true, status: 503, code: 24,
			line: "Splunk is at capacity: sent again after a back-off, as after a 503", delivered: true},
		{name: "25 ack at capacity", tokenAck: true, ack: true, status: 503, code: 25,
			line: "Splunk is at capacity: sent again after a back-off, as after a 503", delivered: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := hecsink.New(t, hecTestToken, tt.tokenAck)
			endpoint := sink.Endpoint()
			if tt.status != 0 {
				endpoint = frontOf(t, sink, tt.status, tt.code).URL + hecsink.EventPath
			}
			cfg := ackCfg(t, endpoint, builtin.HECAckConfig{Enabled: tt.ack})
			cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: t.TempDir(), MaxSizeMiB: 1}
			run := startAck(t, cfg, nil)
			run.drive(t, builtin.DefaultHECAckPollInterval, nil)
			const n = 5
			require.NoError(t, waitPush(t, consumeAsync(run, ackLogs(0, n))))
			lines := linesWith(run.logs, tt.line)
			require.NotEmpty(t, lines, "the line the user sees")
			t.Log(lines[0])
			if tt.code == 24 || tt.code == 25 {
				m, err := run.tel.GetMetric("otelcol_exporter_webhook_hec_at_capacity")
				require.NoError(t, err, "the answer at capacity is counted")
				points := m.Data.(metricdata.Sum[int64]).DataPoints
				require.Len(t, points, 1)
				code, _ := points[0].Attributes.Value("code")
				assert.Equal(t, int64(tt.code), code.AsInt64())
				assert.Equal(t, int64(1), points[0].Value)
			}
			if tt.delivered {
				assert.Len(t, sink.Indexed(), n)
			} else {
				assert.Empty(t, sink.Indexed())
				assert.Equal(t, int64(n), metricByReason(t, run.tel, metricDropped)[deadletter.Refused])
			}
		})
	}
}

// A 503 from the health check holds the attempt: nothing is sent into a
// full server, and the events go once it is healthy again.
func TestHECAckHealth503(t *testing.T) {
	sink := hecsink.New(t, hecTestToken, true)
	sink.SetHealth(http.StatusServiceUnavailable)
	var run *ackRun
	var sentWhileUnhealthy atomic.Int64
	var waits atomic.Int64
	run = startAck(t, ackCfg(t, sink.Endpoint(), builtin.HECAckConfig{Enabled: true}), func() {
		if waits.Add(1) == 1 {
			sentWhileUnhealthy.Store(int64(countSum(sink.Sent())))
			sink.SetHealth(http.StatusOK)
			// The health check's answer is kept for one interval.
			run.clk.Advance(builtin.DefaultHECAckPollInterval)
		}
	})
	run.drive(t, builtin.DefaultHECAckPollInterval, nil)
	const n = 5
	require.NoError(t, waitPush(t, consumeAsync(run, ackLogs(0, n))))
	assert.Zero(t, sentWhileUnhealthy.Load(), "nothing sent while the health check answered 503")
	assert.Len(t, sink.Indexed(), n)
	lines := linesWith(run.logs, "Splunk HEC's health check answered 503 Service Unavailable")
	require.Len(t, lines, 1)
	t.Log(lines[0])
	assert.NotEmpty(t, linesWith(run.logs, "the events wait, as after a 503"), "the retry's line says why")
}
