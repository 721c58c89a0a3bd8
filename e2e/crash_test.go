//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/faultsink"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

const (
	crashIDKey   = "crash_id"
	crashEvents  = 200
	crashPerPost = 10
	// Logged by exporterhelper when a send failed and will be retried.
	retryLogLine = "Exporting failed. Will retry the request after interval."
	// Logged by the persistent queue at start for requests that consumers
	// held when the process ended.
	requeuedLogLine = "Moved items for dispatching back to queue"
)

// crashConfig is a collector that takes OTLP/HTTP and delivers to an
// endpoint through a queue kept on disk.
const crashConfig = `
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
    endpoint: http://%[3]s/events
    timeout: 2s
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
    sending_queue:
      storage: file_storage/queue
      num_consumers: 4
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

// TestCrashWithPersistentQueueLosesNothing accepts events while the
// endpoint refuses connections, kills the collector with SIGKILL in the
// middle of its retries, brings the endpoint up and restarts the collector
// on the same storage directory: every event the OTLP receiver
// acknowledged must arrive.
func TestCrashWithPersistentQueueLosesNothing(t *testing.T) {
	t.Parallel()
	queueDir := filepath.Join(t.TempDir(), "queue")
	require.NoError(t, os.Mkdir(queueDir, 0o700))
	otlpAddr, endpointAddr := testsink.HeldAddr(t), testsink.HeldAddr(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, crashConfig, queueDir, otlpAddr, endpointAddr), 0o600))

	// The endpoint is down: nothing listens on endpointAddr.
	first := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, first)
	var ids []string
	for post := range crashEvents / crashPerPost {
		batch := make([]string, crashPerPost)
		for i := range batch {
			batch[i] = fmt.Sprintf("crash-%03d-%02d", post, i)
		}
		// A 200 means the exporter's queue took the events, on disk.
		status, err := client.post(crashOTLP(t, batch))
		require.NoError(t, err)
		require.Equal(t, 200, status, "the OTLP receiver did not accept the events")
		ids = append(ids, batch...)
	}
	// Let the consumers take requests out of the queue and fail on them,
	// so that the crash also hits requests in the middle of a retry.
	first.waitLog(t, retryLogLine)
	first.kill(t)

	sink, err := faultsink.NewOn(endpointAddr, faultsink.JSONIDs(crashIDKey), []faultsink.Fault{faultsink.OK}, 0)
	require.NoError(t, err, "the endpoint's port was taken while the collector was down")
	t.Cleanup(sink.Close)

	second := startCollector(t, config, t.TempDir())
	missing := sink.WaitAcked(ids, deliverTimeout)
	require.Empty(t, missing, "%d of %d acknowledged events never arrived after the restart", len(missing), len(ids))
	// The requests the consumers held when the process died went back to
	// the queue instead of dying with the process.
	second.waitLog(t, requeuedLogLine)
	// Killed, not stopped: the collector listens for SIGTERM only after it
	// logs that it is ready, which may come after the deliveries.
	second.kill(t)
}

// crashOTLP is an OTLP/JSON request with one record per id.
func crashOTLP(t *testing.T, ids []string) string {
	t.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range ids {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.SetEventName("crash_test")
		lr.Body().SetStr("event accepted before a crash")
		lr.Attributes().PutStr(crashIDKey, id)
	}
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return string(body)
}

// kill ends the collector with SIGKILL: no shutdown, nothing flushed.
func (c *collector) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.exited
}

// waitLog waits until the collector has logged line.
func (c *collector) waitLog(t *testing.T, line string) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for !strings.Contains(c.output.String(), line) {
		c.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("the collector did not log %q within %s:\n%s", line, startTimeout, c.output.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
