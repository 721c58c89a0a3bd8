//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/faultsink"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// soakConfig delivers OTLP/HTTP to a misbehaving endpoint and serves the
// collector's own metrics on a Prometheus endpoint.
const soakConfig = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[1]s
exporters:
  webhook:
    endpoint: %[2]s/events
    # Far above the sink's slow and late answers (100ms) even on a loaded
    # machine: an answer the sink finished but the client gave up on counts
    # there as acknowledged, and its events are sent again.
    timeout: 5s
    retry_on_failure:
      initial_interval: 10ms
      max_interval: 200ms
      max_elapsed_time: 0
    sending_queue:
      queue_size: 200
      num_consumers: 4
      block_on_overflow: true
      batch:
        flush_timeout: 50ms
        sizer: items
        min_size: 50
        max_size: 200
service:
  telemetry:
    logs:
      level: info
      # Every retry line is counted.
      sampling:
        enabled: false
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[3]s
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook]
`

// TestSoakDistribution is the long soak on the real distribution: events
// stream over OTLP/HTTP for SOAK_DURATION (make soak) while the endpoint
// injects every fault in turn. It needs minutes, so go test skips it; the
// in-process soak of the root package runs in make test.
func TestSoakDistribution(t *testing.T) {
	v := os.Getenv("SOAK_DURATION")
	if v == "" {
		t.Skip("set SOAK_DURATION (make soak) to run the distribution soak")
	}
	duration, err := time.ParseDuration(v)
	require.NoError(t, err, "SOAK_DURATION: write a Go duration such as 3m")

	sink := faultsink.New(faultsink.JSONIDs("soak_id"), faultsink.Script, 100*time.Millisecond)
	t.Cleanup(sink.Close)
	otlpAddr, metricsAddr := testsink.HeldAddr(t), testsink.HeldAddr(t)
	_, metricsPort, _ := strings.Cut(metricsAddr, ":")
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, soakConfig, otlpAddr, sink.URL, metricsPort), 0o600))
	col := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, col)

	var sent []string
	var peakRSS int64
	deadline := time.Now().Add(duration)
	for seq := 0; time.Now().Before(deadline); seq++ {
		ids := make([]string, 1+seq%17)
		for i := range ids {
			ids[i] = fmt.Sprintf("dist-%d-%d", seq, i)
		}
		status, err := client.post(soakOTLP(ids))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "the queue blocks when full, so the receiver must accept every batch")
		sent = append(sent, ids...)
		if seq%100 == 0 {
			peakRSS = max(peakRSS, procStatusKiB(t, col, "VmRSS"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	missing := sink.WaitAcked(sent, 5*time.Minute)
	require.Empty(t, missing, "%d of %d accepted events never acknowledged", len(missing), len(sent))

	st := sink.Stats()
	require.Empty(t, st.Bad)
	duplicates := 0
	for id, n := range st.Acked {
		require.Equal(t, 1, n, "event %s acknowledged %d times", id, n)
	}
	for _, n := range st.Unacked {
		duplicates += n
	}
	// VmHWM is the process's peak resident set.
	peakRSS = max(peakRSS, procStatusKiB(t, col, "VmHWM"))
	// The count is taken when a push returns, just after the receiver
	// has finished its answer.
	var sentMetric float64
	require.Eventually(t, func() bool {
		sentMetric = scrapeCounter(t, metricsAddr, "otelcol_exporter_sent_log_records")
		return sentMetric == float64(len(sent))
	}, time.Minute, 50*time.Millisecond, "otelcol_exporter_sent_log_records never reached the events sent")
	failedMetric := scrapeCounter(t, metricsAddr, "otelcol_exporter_send_failed_log_records")
	retries := strings.Count(col.output.String(), retryLogLine)
	unacked := st.Unacknowledged()

	assert.Zero(t, failedMetric, "otelcol_exporter_send_failed_log_records")
	assert.LessOrEqual(t, retries, unacked)
	assert.GreaterOrEqual(t, retries+st.ByFault[faultsink.Reset.String()], unacked)
	t.Logf("SOAK distribution: %s streaming; events sent %d, received %d distinct, duplicates %d; "+
		"requests %d (unacknowledged %d, by fault %v); exporter retries %d; sent_log_records %.0f, send_failed %.0f; peak RSS %.1f MiB",
		duration, len(sent), len(st.Acked), duplicates, st.Requests, unacked, st.ByFault, retries,
		sentMetric, failedMetric, float64(peakRSS)/1024)
	require.NoError(t, col.stop(t))
}

// soakOTLP is an OTLP/JSON request with one record per id.
func soakOTLP(ids []string) string {
	var b strings.Builder
	b.WriteString(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[`)
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"timeUnixNano":"%s","eventName":"soak","body":{"stringValue":"event under fault injection"},`+
			`"attributes":[{"key":"soak_id","value":{"stringValue":%q}}]}`, now, id)
	}
	b.WriteString(`]}]}]}`)
	return b.String()
}

// procStatusKiB reads a size field of /proc/<pid>/status, in KiB.
func procStatusKiB(t *testing.T, c *collector, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kib
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, c.cmd.Process.Pid)
	return 0
}

// scrapeCounter sums a counter over its series on the collector's
// Prometheus endpoint, with or without the _total suffix.
func scrapeCounter(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	var total float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		series, _, _ := strings.Cut(line, " ")
		series, _, _ = strings.Cut(series, "{")
		if series != name && series != name+"_total" {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		require.NoError(t, err, line)
		total += v
	}
	require.NoError(t, sc.Err())
	return total
}
