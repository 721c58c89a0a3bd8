//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// twoExportersConfig feeds one OTLP receiver to two webhook exporters
// whose receiver refuses everything, with the collector's metrics on a
// Prometheus endpoint.
const twoExportersConfig = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[1]s
exporters:
  webhook/siem:
    endpoint: %[2]s/siem
    retry_on_failure: {enabled: false}
    sending_queue: {enabled: false}
  webhook/archive:
    endpoint: %[2]s/archive
    retry_on_failure: {enabled: false}
    sending_queue: {enabled: false}
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[3]s
  pipelines:
    logs/siem:
      receivers: [otlp]
      exporters: [webhook/siem]
    logs/archive:
      receivers: [otlp]
      exporters: [webhook/archive]
`

// TestTelemetryCountsEachExporter: with two webhook exporters in one
// collector, Prometheus shows each one's dropped events as a series of its
// own, under the exporter's id, as exporterhelper's metrics are.
func TestTelemetryCountsEachExporter(t *testing.T) {
	refusing := testsink.NewRecorder(t, testsink.Status(func(*http.Request, int) int { return http.StatusBadRequest }))
	otlpAddr, metricsAddr := testsink.HeldAddr(t), testsink.HeldAddr(t)
	_, metricsPort, _ := strings.Cut(metricsAddr, ":")
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, twoExportersConfig, otlpAddr, refusing.URL, metricsPort), 0o600))
	col := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, col)

	_, err := client.post(dlOTLP(series("tel-", 0, 7)))
	require.NoError(t, err)

	want := map[string]int{"webhook/siem": 7, "webhook/archive": 7}
	var got map[string]int
	deadline := time.Now().Add(deliverTimeout)
	for {
		got = scrapeByExporter(t, metricsAddr, "otelcol_exporter_webhook_dropped_log_records", "refused")
		if fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
			break
		}
		col.running(t)
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, want, got, "one series per exporter")
}

// scrapeByExporter reads a counter's series of one reason by their
// exporter label; a series without one counts under "".
func scrapeByExporter(t *testing.T, addr, name, reason string) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	exporter := regexp.MustCompile(`[{,]exporter="([^"]*)"`)
	out := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s, _, _ := strings.Cut(line, "{")
		if (s != name && s != name+"_total") || !strings.Contains(line, `reason="`+reason+`"`) {
			continue
		}
		id := ""
		if m := exporter.FindStringSubmatch(line); m != nil {
			id = m[1]
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		require.NoError(t, err)
		out[id] += int(v)
	}
	return out
}
