//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// memoryConfig receives OTLP/HTTP and exports with format json, with the
// default in-memory sending queue, and dead letters on.
const memoryConfig = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[1]s
exporters:
  webhook:
    endpoint: %[2]s/events
    format: json
    retry_on_failure:
      enabled: false
    dead_letter:
      enabled: true
      directory: %[3]s
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook]
`

// Issue 23's target: no OTLP request of at most maxRequestBytes, nor a
// sequence of them, takes the distribution's peak RSS past twice its peak
// under the steady load of make load. peakRSSBoundMiB is twice the steady
// peak that make load measured for json over OTLP/HTTP, see bench/README.md
// ("Memory bounds"), where the same requests are measured before issue 23.
const (
	peakRSSBoundMiB = 274
	hugeBody        = 3_900_000
	tinyRecordCount = 130_000
	maxRequestBytes = 4_500_000
)

// countingSink counts the json-format events it receives (each has one
// "event_type" member) without keeping the bodies, and answers status.
type countingSink struct {
	*httptest.Server
	events atomic.Int64
}

func newCountingSink(t *testing.T, status int) *countingSink {
	s := &countingSink{}
	member := []byte(`"event_type":`)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		if status == http.StatusOK {
			s.events.Add(int64(bytes.Count(body, member)))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// waitEvents waits until the sink holds n events.
func (s *countingSink) waitEvents(t *testing.T, col *collector, n int64) {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for s.events.Load() < n {
		col.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("the sink got %d of %d events in %s", s.events.Load(), n, deliverTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// protoLogs is ld as an OTLP/HTTP protobuf body.
func protoLogs(t *testing.T, ld plog.Logs) []byte {
	t.Helper()
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return b
}

func hugeLogs() plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	lr.Body().SetStr(strings.Repeat("x", hugeBody))
	return ld
}

func tinyLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(n)
	now := pcommon.NewTimestampFromTime(time.Now())
	for range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetObservedTimestamp(now)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
	return ld
}

// memoryRun is one distribution sending to a counting sink.
type memoryRun struct {
	col     *collector
	sink    *countingSink
	client  *http.Client
	url     string
	deadDir string
}

func startMemoryRun(t *testing.T, status int) *memoryRun {
	t.Helper()
	r := &memoryRun{sink: newCountingSink(t, status), deadDir: filepath.Join(t.TempDir(), "deadletter")}
	otlpAddr := testsink.HeldAddr(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, memoryConfig, otlpAddr, r.sink.URL, r.deadDir), 0o600))
	r.col = startCollector(t, config, t.TempDir())
	ready := newOTLPClient(t, otlpAddr)
	ready.waitReady(t, r.col)
	r.client, r.url = ready.http, ready.url
	return r
}

// post sends one OTLP/HTTP protobuf request, which the receiver must take.
func (r *memoryRun) post(t *testing.T, body []byte) {
	t.Helper()
	resp, err := r.client.Post(r.url, "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// peakMiB is the collector's peak resident set so far.
func (r *memoryRun) peakMiB(t *testing.T) float64 {
	return float64(procStatusKiB(t, r.col, "VmHWM")) / 1024
}

// deadLetters counts the lines of the dead-letter files, and those among
// them that give reason.
func (r *memoryRun) deadLetters(t *testing.T, reason string) (lines, withReason int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(r.deadDir, "*.deadletter.jsonl"))
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		lines += bytes.Count(b, []byte{'\n'})
		withReason += bytes.Count(b, []byte(`"reason":"`+reason+`"`))
	}
	return lines, withReason
}

// waitDeadLetters waits until the dead-letter files hold n lines.
func (r *memoryRun) waitDeadLetters(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for {
		r.col.running(t)
		lines, _ := r.deadLetters(t, "")
		if lines >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d dead letters after %s", lines, n, deliverTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPeakMemoryFollowsTheRequest runs the distribution once per case with
// issue 23's requests, each under maxRequestBytes of OTLP, and reads its
// peak resident set (VmHWM) from /proc once every event is delivered or
// dead-lettered. After a clean shutdown every event is accounted for once:
// at the receiver, or as a dead letter giving the refusal.
func TestPeakMemoryFollowsTheRequest(t *testing.T) {
	t.Parallel()
	type request struct {
		body   []byte
		events int
	}
	huge := request{protoLogs(t, hugeLogs()), 1}
	tiny := request{protoLogs(t, tinyLogs(tinyRecordCount)), tinyRecordCount}
	require.Less(t, len(huge.body), maxRequestBytes)
	require.Less(t, len(tiny.body), maxRequestBytes)
	for _, tt := range []struct {
		name     string
		status   int
		requests []request
	}{
		{"a huge record, then many tiny records", http.StatusOK, []request{huge, tiny}},
		{"many tiny records, delivered", http.StatusOK, []request{tiny}},
		{"many tiny records, refused and dead-lettered", http.StatusBadRequest, []request{tiny}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := startMemoryRun(t, tt.status)
			// One request at a time, each settled before the next: a
			// sequence, not requests at once.
			sent := 0
			for _, req := range tt.requests {
				r.post(t, req.body)
				sent += req.events
				if tt.status == http.StatusOK {
					r.sink.waitEvents(t, r.col, int64(sent))
				} else {
					r.waitDeadLetters(t, sent)
				}
			}
			peak := r.peakMiB(t)
			t.Logf("peak RSS %.1f MiB (bound %d MiB)", peak, peakRSSBoundMiB)
			assert.LessOrEqual(t, peak, float64(peakRSSBoundMiB), "peak RSS past twice the steady load's")
			require.NoError(t, r.col.stop(t))

			delivered, refused := sent, 0
			if tt.status != http.StatusOK {
				delivered, refused = 0, sent
			}
			assert.Equal(t, int64(delivered), r.sink.events.Load(), "events at the receiver")
			lines, withReason := r.deadLetters(t, "refused")
			assert.Equal(t, refused, lines, "dead letters")
			assert.Equal(t, refused, withReason, "dead letters giving the refusal")
		})
	}
}
