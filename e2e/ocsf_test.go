//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// ocsfFormats are the formats that carry the ocsf document, with their
// golden body for the guide's example event (formats' TestOCSFGoldens
// checks those against the OCSF schema).
var ocsfFormats = []string{"json", "splunk_hec", "elastic", "datadog_logs"}

// eventIDs are the event ids in a body: a golden's stands in for the
// distribution's, a digest of the record.
var eventIDs = regexp.MustCompile(`"[0-9a-f]{32}"`)

// TestOCSFThroughEachTransport runs the distribution with one exporter per
// format, each with document: ocsf and sending to its service's strict
// stand-in, posts the guide's example event once, and checks that each
// service takes the Detection Finding of the format's golden body.
func TestOCSFThroughEachTransport(t *testing.T) {
	otlpAddr := testsink.HeldAddr(t)
	exporters := map[string]any{}
	var names []string
	sinks := map[string]*testsink.Sink{}
	for _, name := range ocsfFormats {
		sink := testsink.NewFormat(t, name)
		settings := sink.Settings()
		settings["document"] = "ocsf"
		exporters["webhook/"+name] = settings
		names = append(names, "webhook/"+name)
		sinks[name] = sink
	}
	conf, err := yaml.Marshal(map[string]any{
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": otlpAddr}}}},
		"exporters": exporters,
		"service": map[string]any{
			"telemetry": map[string]any{"metrics": map[string]any{"level": "none"}},
			"pipelines": map[string]any{"logs": map[string]any{"receivers": []string{"otlp"}, "exporters": names}},
		},
	})
	require.NoError(t, err)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, conf, 0o600))

	col := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, col)
	status, err := client.post(otlpLogs(`{"timeUnixNano": "1761739200000000000", "eventName": "file_shared_externally",
	  "severityNumber": 13, "severityText": "WARN", "body": ` + seedBody + `}`))
	require.NoError(t, err)
	require.Equal(t, 200, status)

	for _, name := range ocsfFormats {
		t.Run(name, func(t *testing.T) {
			taken := waitTaken(t, col, sinks[name])
			require.Len(t, taken, 1, "%v", sinks[name].Requests())
			golden, err := os.ReadFile(filepath.Join(repoRoot(t), "formats", "builtin", "testdata", "golden", "ocsf", name+".json"))
			require.NoError(t, err)
			assert.Equal(t, eventIDs.ReplaceAllString(string(golden), `"<id>"`), eventIDs.ReplaceAllString(string(taken[0].Body), `"<id>"`))
		})
	}
}

// waitTaken waits until the stand-in took a request, while the collector
// runs, and returns what it took.
func waitTaken(t *testing.T, col *collector, sink *testsink.Sink) []testsink.Request {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for {
		if taken := sink.Taken(); len(taken) > 0 {
			return taken
		}
		col.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("nothing taken within %s: %v", deliverTimeout, sink.Requests())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestValidateRefusesADocumentTheFormatCannotCarry: the distribution's
// `validate` fails, naming document and what to write, for a format whose
// payload is its own.
func TestValidateRefusesADocumentTheFormatCannotCarry(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(`
receivers: {otlp: {protocols: {http: {}}}}
exporters:
  webhook: {endpoint: "https://api.datadoghq.com/api/v1/events", format: datadog, document: ocsf, datadog: {api_key: x}}
service: {pipelines: {logs: {receivers: [otlp], exporters: [webhook]}}}
`), 0o600))
	out, err := exec.Command(distribution(t), "validate", "--config="+config).CombinedOutput()
	require.Error(t, err, "%s", out)
	assert.Contains(t, string(out), "document: format datadog writes a payload of its own and cannot carry the ocsf document; "+
		"use format json, splunk_hec, datadog_logs, elastic, secops, or remove document")
}
