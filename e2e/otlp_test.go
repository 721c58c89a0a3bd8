//go:build e2e

package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// seedBody is the example event's data as an OTLP/JSON map body.
const seedBody = `{"kvlistValue": {"values": [
  {"key": "file_id", "value": {"stringValue": "abc123"}},
  {"key": "file_name", "value": {"stringValue": "sensitive.pdf"}},
  {"key": "owner", "value": {"stringValue": "user@example.com"}},
  {"key": "shared_with", "value": {"stringValue": "external@partner.com"}}
]}}`

// otlpLogs wraps one OTLP/JSON log record in a request body. The resource
// carries service.name, which must not reach the payload: no
// resource_attributes are configured.
func otlpLogs(record string) string {
	return `{"resourceLogs": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "e2e-sender"}}]},
  "scopeLogs": [{"scope": {"name": "e2e"}, "logRecords": [` + record + `]}]
}]}`
}

// otlpClient posts OTLP/HTTP JSON to a collector.
type otlpClient struct {
	http *http.Client
	url  string
}

func newOTLPClient(t *testing.T, addr string) *otlpClient {
	t.Helper()
	c := &otlpClient{http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}, url: "http://" + addr + "/v1/logs"}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

func (c *otlpClient) post(body string) (int, error) {
	resp, err := c.http.Post(c.url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// waitReady posts an empty OTLP request until the receiver answers 200, so
// that no log record is sent (or lost) before the pipeline runs.
func (c *otlpClient) waitReady(t *testing.T, col *collector) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		col.running(t)
		status, err := c.post(`{"resourceLogs": []}`)
		if err == nil && status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector's OTLP receiver at %s is not ready after %s: status %d, %v", c.url, startTimeout, status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEndToEndOTLP runs the distribution with a config that receives
// OTLP/HTTP and exports with webhook (format json) to a local server, posts
// the guide's example event in the forms DESIGN.md's mapping reads, and
// checks that the guide's payload arrives, field for field, each time.
func TestEndToEndOTLP(t *testing.T) {
	srv := newSink(t)
	otlpAddr := testsink.HeldAddr(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: `+otlpAddr+`
exporters:
  webhook:
    endpoint: `+srv.URL+`/security/events
    format: json
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook]
`), 0o600))

	col := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, col)

	tests := []struct {
		name   string
		record string
	}{
		{
			name: "EventName and SeverityNumber WARN",
			record: `{"timeUnixNano": "1761739200000000000", "eventName": "file_shared_externally",
			          "severityNumber": 13, "severityText": "WARN", "body": ` + seedBody + `}`,
		},
		{
			name: "event.name and severity attributes",
			record: `{"timeUnixNano": "1761739200000000000", "body": ` + seedBody + `, "attributes": [
			            {"key": "event.name", "value": {"stringValue": "file_shared_externally"}},
			            {"key": "severity", "value": {"stringValue": "warning"}}]}`,
		},
	}
	// The guide's "Generic JSON" payload of its example event.
	golden, err := os.ReadFile(filepath.Join(repoRoot(t), "formats", "builtin", "testdata", "golden", "json.json"))
	require.NoError(t, err)
	want := parse(t, string(golden))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := client.post(otlpLogs(tt.record))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status)

			got := srv.next(t, col)
			assert.Equal(t, http.MethodPost, got.Method)
			assert.Equal(t, "/security/events", got.Path)
			assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
			assert.NotEmpty(t, got.Header.Get("Idempotency-Key"), "the event's stable id")
			assert.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "otelcol-webhook/"), "User-Agent %q", got.Header.Get("User-Agent"))
			assert.Equal(t, want, parse(t, string(got.Body)), "payload %s", got.Body)
		})
	}

	require.NoError(t, col.stop(t), "the collector exits cleanly on SIGTERM")
}

// postSeedUntil posts the guide's example event over OTLP/HTTP to the
// collector at otlpAddr once it is ready, and waits until arrived says it
// arrived; why says what the receiver saw when it does not in time.
func postSeedUntil(t *testing.T, col *collector, otlpAddr string, arrived func() bool, why func() string) {
	t.Helper()
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, col)
	status, err := client.post(otlpLogs(`{"timeUnixNano": "1761739200000000000", "eventName": "file_shared_externally",
	  "severityNumber": 13, "body": ` + seedBody + `}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	deadline := time.Now().Add(deliverTimeout)
	for !arrived() {
		col.running(t)
		require.True(t, time.Now().Before(deadline), "nothing arrived after %s; %s", deliverTimeout, why())
		time.Sleep(50 * time.Millisecond)
	}
}
