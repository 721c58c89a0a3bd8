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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// The depth from which the exporter sends maps as JSON text
// (maxNestedLevels in the exporter).
const keptLevels = 32

// TestDeepRecordsSurviveFileStorageAndARestart posts records nested 40 and
// 10,000 maps deep while the endpoint is down, kills the collector, and
// restarts it on the same file_storage directory with the endpoint up:
// both arrive, valid JSON, with all their content. Before, the queue
// stored them and dropped them when it read them back (pdata's protobuf
// decoder refuses that depth), and the second arrived nested beyond what
// encoding/json reads.
func TestDeepRecordsSurviveFileStorageAndARestart(t *testing.T) {
	queueDir := filepath.Join(t.TempDir(), "queue")
	require.NoError(t, os.Mkdir(queueDir, 0o700))
	otlpAddr, endpointAddr := testsink.HeldAddr(t), testsink.HeldAddr(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, crashConfig, queueDir, otlpAddr, endpointAddr), 0o600))

	depths := []int{40, 10_000}
	first := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, first)
	for _, depth := range depths {
		status, err := client.post(deepOTLP(t, depth))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "the OTLP receiver did not accept depth %d", depth)
	}
	// The queue read the records back from disk and tried to send them.
	first.waitLog(t, retryLogLine)
	first.kill(t)

	bodies := make(chan []byte, 10)
	ln, err := net.Listen("tcp", endpointAddr)
	require.NoError(t, err, "the endpoint's port was taken while the collector was down")
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		bodies <- body
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	second := startCollector(t, config, t.TempDir())
	got := map[int]bool{}
	deadline := time.After(deliverTimeout)
	for len(got) < len(depths) {
		select {
		case body := <-bodies:
			var ev struct {
				Data map[string]any `json:"data"`
			}
			require.NoError(t, json.Unmarshal(body, &ev), "valid JSON")
			depth, err := strconv.Atoi(fmt.Sprint(ev.Data["depth"]))
			require.NoError(t, err, "%.200s", body)
			var v any = ev.Data["deep"]
			maps := 0
			for {
				m, isMap := v.(map[string]any)
				if !isMap {
					break
				}
				maps++
				v = m["k"]
			}
			assert.Equal(t, keptLevels, maps, "depth %d: maps kept as maps", depth)
			rest := depth - keptLevels
			assert.Equal(t, strings.Repeat(`{"k":`, rest)+`"v"`+strings.Repeat("}", rest), v, "depth %d: the rest as its JSON text", depth)
			got[depth] = true
		case <-deadline:
			t.Fatalf("delivered after the restart: %v of depths %v", got, depths)
		}
	}
	// Killed, not stopped: the collector listens for SIGTERM only after it
	// logs that it is ready, so a SIGTERM here may end it before it does;
	// the clean shutdown is TestEndToEndOTLP's to check.
	second.kill(t)
}

// deepOTLP is an OTLP/JSON request of one record whose attribute "deep"
// is depth maps, one inside the other ("deep" being the first of them).
func deepOTLP(t *testing.T, depth int) string {
	t.Helper()
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	lr.SetEventName("deep")
	lr.Attributes().PutInt("depth", int64(depth))
	m := lr.Attributes().PutEmptyMap("deep")
	for range depth - 1 {
		m = m.PutEmptyMap("k")
	}
	m.PutStr("k", "v")
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return string(body)
}
