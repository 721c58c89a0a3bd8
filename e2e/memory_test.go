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

// Issue 23's target: no OTLP request of about 4 MB, nor a sequence of
// them, takes the distribution's peak RSS past twice its peak under a
// steady load. The steady load is measured here, on the same machine and
// build: steadyRequests requests of a thousand events each, the batch size
// of make load. Before issue 23 the huge-then-many sequence killed the
// collector (out of memory) and the many tiny records took it to hundreds
// of megabytes.
const (
	steadyRequests  = 50
	steadyBatch     = 1000
	hugeBody        = 3_900_000
	tinyRecordCount = 130_000
	peakOverSteady  = 2
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

// steadyLogs is n records shaped as the guide's example event.
func steadyLogs(n, seq int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range n {
		lr := lrs.AppendEmpty()
		lr.SetEventName("file_shared_externally")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.Attributes().PutStr("severity", "warning")
		m := lr.Body().SetEmptyMap()
		m.PutStr("file_id", fmt.Sprintf("f-%d-%d", seq, i))
		m.PutStr("file_name", "sensitive.pdf")
		m.PutStr("owner", "user@example.com")
		m.PutStr("shared_with", "external@partner.com")
	}
	return ld
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
	otlpAddr := freeAddr(t)
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

// waitDeadLetterLines waits until the dead-letter directory holds n lines.
func (r *memoryRun) waitDeadLetterLines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for {
		r.col.running(t)
		lines := 0
		files, err := filepath.Glob(filepath.Join(r.deadDir, "*.deadletter.jsonl"))
		require.NoError(t, err)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			lines += bytes.Count(b, []byte{'\n'})
		}
		if lines >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d dead letters after %s", lines, n, deliverTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPeakMemoryFollowsTheRequest runs the distribution once per case and
// reads its peak resident set (VmHWM) from /proc: a steady load first, for
// the bound, then issue 23's requests, each within about 4 MB of OTLP.
func TestPeakMemoryFollowsTheRequest(t *testing.T) {
	steady := func() float64 {
		r := startMemoryRun(t, http.StatusOK)
		for seq := range steadyRequests {
			r.post(t, protoLogs(t, steadyLogs(steadyBatch, seq)))
			r.sink.waitEvents(t, r.col, int64((seq+1)*steadyBatch))
		}
		return r.peakMiB(t)
	}()
	bound := peakOverSteady * steady
	t.Logf("steady load: peak RSS %.1f MiB; bound %.1f MiB", steady, bound)

	huge, tiny := protoLogs(t, hugeLogs()), protoLogs(t, tinyLogs(tinyRecordCount))
	require.Less(t, len(huge), 4_500_000)
	require.Less(t, len(tiny), 4_500_000)
	for _, tt := range []struct {
		name string
		run  func(t *testing.T) *memoryRun
	}{
		{"a huge record, then many tiny records", func(t *testing.T) *memoryRun {
			r := startMemoryRun(t, http.StatusOK)
			r.post(t, huge)
			r.sink.waitEvents(t, r.col, 1)
			r.post(t, tiny)
			r.sink.waitEvents(t, r.col, 1+tinyRecordCount)
			return r
		}},
		{"many tiny records, delivered", func(t *testing.T) *memoryRun {
			r := startMemoryRun(t, http.StatusOK)
			r.post(t, tiny)
			r.sink.waitEvents(t, r.col, tinyRecordCount)
			return r
		}},
		{"many tiny records, refused and dead-lettered", func(t *testing.T) *memoryRun {
			r := startMemoryRun(t, http.StatusBadRequest)
			r.post(t, tiny)
			r.waitDeadLetterLines(t, tinyRecordCount)
			return r
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.run(t)
			peak := r.peakMiB(t)
			t.Logf("peak RSS %.1f MiB (%.2f of the steady load's)", peak, peak/steady)
			assert.LessOrEqual(t, peak, bound, "peak RSS past %d times the steady load's", peakOverSteady)
			require.NoError(t, r.col.stop(t))
		})
	}
}
