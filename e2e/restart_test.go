//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

const (
	restartIDKey = "restart_id"
	restartToken = "11111111-2222-3333-4444-555555555555"
)

// restartConfig is the collector: Splunk HEC, one event per
// request, a queue kept by file_storage, retries without end, dead letters.
const restartConfig = `
extensions:
  file_storage/queue:
    directory: %[1]s
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[2]s
exporters:
  webhook:
    endpoint: http://%[3]s/services/collector/event
    format: splunk_hec
    timeout: 2s
    splunk_hec:
      token: ` + restartToken + `
      max_request_bytes: 1024
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
    sending_queue:
      storage: file_storage/queue
      num_consumers: 1
    dead_letter:
      enabled: true
      directory: %[4]s
service:
  extensions: [file_storage/queue]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook]
`

// Events of the restart test: restartEvents records, each too large to
// share a 1 KiB HEC request with another. While the receiver refuses,
// every fourth (i%4 == 1) is invalid (code 6) and the next one (i%4 == 2)
// meets a busy server (503, code 9); the others are indexed.
const restartEvents = 12

func restartID(i int) string { return fmt.Sprintf("restart-%02d", i) }

func restartInvalid(i int) bool { return i%4 == 1 }

func restartBusy(i int) bool { return i%4 == 2 }

// hecReceiver answers as Splunk's HEC does to one event per request:
// 403 code 4 for a wrong token, 400 code 6 for an invalid event, 503 code
// 9 while busy, 200 code 0 when it indexes the event.
type hecReceiver struct {
	mu       sync.Mutex
	refusing bool
	byID     map[string]int
	indexed  map[string]int // event -> times indexed
	tries    map[string]int // event -> requests
	// multi counts requests holding more than one event, which the test's
	// max_request_bytes rules out and this receiver does not answer as
	// HEC would (it indexes events up to an invalid one).
	multi int
}

func newHECReceiver() *hecReceiver {
	h := &hecReceiver{refusing: true, byID: map[string]int{}, indexed: map[string]int{}, tries: map[string]int{}}
	for i := range restartEvents {
		h.byID[restartID(i)] = i
	}
	return h
}

func (h *hecReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if r.Header.Get("Authorization") != "Splunk "+restartToken {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"text":"Invalid token","code":4}`)
		return
	}
	var obj struct {
		Event map[string]any `json:"event"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj.Event == nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`)
		return
	}
	id, _ := obj.Event[restartIDKey].(string)
	i, known := h.byID[id]
	h.mu.Lock()
	defer h.mu.Unlock()
	if dec.More() {
		h.multi++
	}
	h.tries[id]++
	switch {
	case !known || (h.refusing && restartInvalid(i)):
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`)
	case h.refusing && restartBusy(i):
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"text":"Server is busy","code":9}`)
	default:
		h.indexed[id]++
		_, _ = io.WriteString(w, `{"text":"Success","code":0}`)
	}
}

// counts copies what the receiver saw.
func (h *hecReceiver) counts() (indexed, tries map[string]int, multi int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.indexed), maps.Clone(h.tries), h.multi
}

// waitFor polls cond until it holds, failing if col exits first or the
// bound passes (a bound only for a broken run, not a measure).
func waitFor(t *testing.T, col *collector, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for !cond() {
		col.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, deliverTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartDeliversOrDeadLettersEachEventOnce: of the events, the
// receiver indexes some, refuses some (dead-lettered) and is busy for the
// rest; the collector is stopped (SIGTERM) or killed (SIGKILL) while the
// busy ones wait for a retry, and restarted on the same storage against a
// receiver that takes everything. Each event is indexed or dead-lettered
// exactly once, counted by event id.
//
// It stops its second collector as soon as that one says it is ready, so
// it runs alone, before the parallel tests: otelcol's Run starts listening
// for SIGTERM only after the "ready" line, and a SIGTERM that comes first
// kills the process. The other tests stop a collector long after that.
func TestRestartDeliversOrDeadLettersEachEventOnce(t *testing.T) {
	for _, kill := range []bool{false, true} {
		name := "SIGTERM"
		if kill {
			name = "SIGKILL"
		}
		t.Run(name, func(t *testing.T) {
			queueDir := filepath.Join(t.TempDir(), "queue")
			dlDir := filepath.Join(t.TempDir(), "deadletter")
			require.NoError(t, os.Mkdir(queueDir, 0o700))
			otlpAddr := testsink.HeldAddr(t)
			hec := newHECReceiver()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			srv := &http.Server{Handler: hec, ReadHeaderTimeout: 10 * time.Second}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { _ = srv.Close() })
			config := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, restartConfig, queueDir, otlpAddr, ln.Addr().String(), dlDir), 0o600))

			first := startCollector(t, config, t.TempDir())
			client := newOTLPClient(t, otlpAddr)
			client.waitReady(t, first)
			status, err := client.post(restartOTLP(t))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status)
			// A busy event was tried again: the first attempt is over and
			// what it settled is recorded.
			waitFor(t, first, "a retry of the busy events", func() bool {
				_, tries, _ := hec.counts()
				return tries[restartID(2)] >= 2
			})
			if kill {
				first.kill(t)
			} else {
				require.NoError(t, first.stop(t))
			}

			hec.mu.Lock()
			hec.refusing = false
			hec.mu.Unlock()
			second := startCollector(t, config, t.TempDir())
			waitFor(t, second, "delivery of the busy events after the restart", func() bool {
				indexed, _, _ := hec.counts()
				for i := range restartEvents {
					if restartBusy(i) && indexed[restartID(i)] == 0 {
						return false
					}
				}
				return true
			})
			// A SIGTERM before the collector is ready is not heard; once
			// heard, the batch in flight finishes, so a resend would show.
			second.waitLog(t, readyLogLine)
			require.NoError(t, second.stop(t))

			indexed, tries, multi := hec.counts()
			require.Zero(t, multi, "one event per request")
			dead := restartDeadLetters(t, dlDir)
			for i := range restartEvents {
				id := restartID(i)
				if restartInvalid(i) {
					assert.Equal(t, 1, dead[id], "%s dead-lettered once", id)
					assert.Zero(t, indexed[id], "%s indexed", id)
					assert.Equal(t, 1, tries[id], "%s, refused, sent again", id)
				} else {
					assert.Equal(t, 1, indexed[id], "%s indexed once (tries: %d)", id, tries[id])
					assert.Zero(t, dead[id], "%s dead-lettered", id)
				}
				if !restartBusy(i) {
					assert.Equal(t, 1, tries[id], "%s, settled before the stop, sent again", id)
				}
			}
		})
	}
}

// readyLogLine is logged by the collector once its pipelines run.
const readyLogLine = "Everything is ready"

// restartOTLP is restartEvents records, each large enough to need a 1 KiB
// HEC request of its own.
func restartOTLP(t *testing.T) string {
	t.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range restartEvents {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.SetEventName("restart_test")
		lr.Body().SetStr(strings.Repeat("x", 600))
		lr.Attributes().PutStr(restartIDKey, restartID(i))
	}
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return string(body)
}

// restartDeadLetters counts the dead letters in dir by event id.
func restartDeadLetters(t *testing.T, dir string) map[string]int {
	t.Helper()
	out := map[string]int{}
	files, err := filepath.Glob(filepath.Join(dir, "*.deadletter.jsonl"))
	require.NoError(t, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		for line := range strings.Lines(string(b)) {
			for i := range restartEvents {
				if id := restartID(i); strings.Contains(line, `"`+id+`"`) {
					out[id]++
				}
			}
		}
	}
	return out
}
