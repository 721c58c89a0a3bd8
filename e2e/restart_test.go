//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
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

// hecReceiver answers as Splunk's HEC does to one event per request: while
// refusing, code 6 (invalid data) for restart-1 and 503 code 9 (busy) for
// restart-2, code 0 for the others; then code 0 for everything.
type hecReceiver struct {
	mu       sync.Mutex
	refusing bool
	indexed  map[string]int // event -> times indexed
	tries    map[string]int // event -> requests
}

func (h *hecReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Header.Get("Authorization") != "Splunk "+restartToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var obj struct {
		Event map[string]any `json:"event"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&obj); err != nil || dec.More() {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`)
		return
	}
	id, _ := obj.Event[restartIDKey].(string)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tries[id]++
	w.Header().Set("Content-Type", "application/json")
	switch {
	case h.refusing && id == "restart-1":
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`)
	case h.refusing && id == "restart-2":
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"text":"Server is busy","code":9}`)
	default:
		h.indexed[id]++
		_, _ = io.WriteString(w, `{"text":"Success","code":0}`)
	}
}

func (h *hecReceiver) counts() (indexed, tries map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	indexed, tries = map[string]int{}, map[string]int{}
	for k, v := range h.indexed {
		indexed[k] = v
	}
	for k, v := range h.tries {
		tries[k] = v
	}
	return indexed, tries
}

// TestRestartDeliversOrDeadLettersEachEventOnce: of 4 events the receiver
// indexes two, refuses one and is busy for the fourth; the collector is
// stopped (SIGTERM) or killed (SIGKILL) while that one waits for a retry,
// and restarted on the same storage against a receiver that takes
// everything. Each event is indexed or dead-lettered exactly once.
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
			otlpAddr := freeAddr(t)
			hec := &hecReceiver{refusing: true, indexed: map[string]int{}, tries: map[string]int{}}
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
			// The busy event was tried again: the first attempt is over.
			deadline := time.Now().Add(deliverTimeout)
			for _, tries := hec.counts(); tries["restart-2"] < 2; _, tries = hec.counts() {
				first.running(t)
				require.False(t, time.Now().After(deadline), "the busy event was not retried")
				time.Sleep(20 * time.Millisecond)
			}
			if kill {
				first.kill(t)
			} else {
				require.NoError(t, first.stop(t))
			}

			hec.mu.Lock()
			hec.refusing = false
			hec.mu.Unlock()
			second := startCollector(t, config, t.TempDir())
			deadline = time.Now().Add(deliverTimeout)
			for indexed, _ := hec.counts(); indexed["restart-2"] == 0; indexed, _ = hec.counts() {
				second.running(t)
				require.False(t, time.Now().After(deadline), "the busy event never arrived after the restart")
				time.Sleep(20 * time.Millisecond)
			}
			// Finishes the batch in flight, so a resend would show.
			require.NoError(t, second.stop(t))

			indexed, tries := hec.counts()
			assert.Equal(t, map[string]int{"restart-0": 1, "restart-2": 1, "restart-3": 1}, indexed, "indexed once each; tries: %v", tries)
			assert.Equal(t, 1, tries["restart-1"], "the refused event is not sent again")
			assert.Equal(t, map[string]int{"restart-1": 1}, restartDeadLetters(t, dlDir), "dead-lettered once")
		})
	}
}

// restartOTLP is 4 records, restart-0 to restart-3, each large enough to
// need a 1 KiB HEC request of its own.
func restartOTLP(t *testing.T) string {
	t.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range 4 {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.SetEventName("restart_test")
		lr.Body().SetStr(strings.Repeat("x", 600))
		lr.Attributes().PutStr(restartIDKey, fmt.Sprintf("restart-%d", i))
	}
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return string(body)
}

// restartDeadLetters counts the dead letters in dir by event.
func restartDeadLetters(t *testing.T, dir string) map[string]int {
	t.Helper()
	out := map[string]int{}
	files, err := filepath.Glob(filepath.Join(dir, "*.deadletter.jsonl"))
	require.NoError(t, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			for i := range 4 {
				if id := fmt.Sprintf("restart-%d", i); strings.Contains(line, `"`+id+`"`) {
					out[id]++
				}
			}
		}
	}
	return out
}
