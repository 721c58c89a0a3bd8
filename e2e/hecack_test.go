//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

const hecAckToken = "11111111-2222-3333-4444-555555555555"

// hecAckCrashConfig is a collector that delivers to Splunk HEC with
// indexer acknowledgement through a queue kept on disk.
const hecAckCrashConfig = `
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
    endpoint: %[3]s
    format: splunk_hec
    splunk_hec:
      token: ` + hecAckToken + `
      ack:
        enabled: true
        poll_interval: 1s
        timeout: 1h
    retry_on_failure:
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

// TestHECAckCrashWithPendingAcks sends events that Splunk takes (code 0
// with an ackId) and does not acknowledge, kills the collector with
// SIGKILL while their acknowledgement is pending, and restarts it on the
// same queue directory, Splunk now indexing: every event is indexed, and
// once, as nothing of it was indexed before the crash.
func TestHECAckCrashWithPendingAcks(t *testing.T) {
	t.Parallel()
	sink := hecsink.New(t, hecAckToken, true)
	sink.SetPolicy(hecsink.Policy{Never: true})
	queueDir := filepath.Join(t.TempDir(), "queue")
	require.NoError(t, os.Mkdir(queueDir, 0o700))
	otlpAddr := testsink.HeldAddr(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, hecAckCrashConfig, queueDir, otlpAddr, sink.Endpoint()), 0o600))

	first := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, first)
	var ids []string
	for post := range crashEvents / crashPerPost {
		batch := make([]string, crashPerPost)
		for i := range batch {
			batch[i] = fmt.Sprintf("hecack-%03d-%02d", post, i)
		}
		status, err := client.post(crashOTLP(t, batch))
		require.NoError(t, err)
		require.Equal(t, 200, status, "the OTLP receiver did not accept the events")
		ids = append(ids, batch...)
	}
	// The events are in the queue on disk; the consumers' batches were
	// taken by Splunk and asked about: their acknowledgements are pending,
	// and the consumers wait for them.
	waitFor(t, first, "events sent and their acks asked", func() bool {
		return len(sink.Sent()) > 0 && len(sink.Queries()) > 0
	})
	first.kill(t)
	require.Empty(t, sink.Indexed(), "nothing indexed before the crash")
	pending := sink.Sent()

	sink.SetPolicy(hecsink.Policy{})
	second := startCollector(t, config, t.TempDir())
	waitFor(t, second, "every event indexed after the restart", func() bool { return len(sink.Indexed()) == len(ids) })
	for id, n := range sink.Indexed() {
		require.Equal(t, 1, n, "event %s indexed once", id)
	}
	sent := sink.Sent()
	for id, n := range pending {
		require.Equal(t, n+1, sent[id], "event %s, pending at the crash, sent again with its id", id)
	}
	t.Logf("%d events: %d pending acknowledgement at the SIGKILL, sent again after the restart; every event indexed once",
		len(ids), len(pending))
	second.kill(t)
}
