package securityevents

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter/exportertest"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

func compact(t *testing.T, doc []byte) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, doc), "%s", doc)
	return b.String()
}

// jsonExporter is the webhook exporter with format json and its defaults,
// sending to url at once (no queue, no retries).
func jsonExporter(t *testing.T, url string) consumer.Logs {
	t.Helper()
	f := webhookexporter.NewFactory()
	cfg := f.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":         url,
		"format":           "json",
		"sending_queue":    map[string]any{"enabled": false},
		"retry_on_failure": map[string]any{"enabled": false},
	}).Unmarshal(cfg))
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return exp
}

// guideEvents are the guide's three send_batch events (examples/events.jsonl)
// as the guide's generic JSON payload writes them, at the guide's time,
// then two that try the edges: a fraction of a second, every JSON type,
// nesting, escapes and a source other than the exporter's default.
func guideEvents(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../examples/events.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev struct {
			Type     string          `json:"type"`
			Severity string          `json:"severity"`
			Data     json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		out = append(out, `{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","event_type":"`+ev.Type+
			`","severity":"`+ev.Severity+`","data":`+compact(t, ev.Data)+`}`)
	}
	require.NoError(t, sc.Err())
	require.Len(t, out, 3, "the guide's three batch events")
	return out
}

var edgeEvents = []string{
	`{"timestamp":"2025-10-29T12:00:00.000125Z","source":"sentyr","event_type":"pii_detected","severity":"error",` +
		`"data":{"z":1,"a":-2.5,"t":true,"f":false,"n":null,"s":"é \"q\" \u2028 <>&","l":[1,[2,{"k":[]}]],"o":{}}}`,
	`{"timestamp":"2025-10-29T12:00:01Z","source":"sentyr","event_type":"login","severity":"info","data":{}}`,
}

// TestRoundTrip: the guide's events, posted to the receiver, come out of
// the webhook exporter's json format as the same events, member for
// member and in the same order, whether posted one by one, as an array or
// as NDJSON.
func TestRoundTrip(t *testing.T) {
	// The deepest data the receiver takes comes out as it went in, not
	// cut by the exporter's bound.
	deepest := `{"timestamp":"2025-10-29T12:00:02Z","source":"sentyr","event_type":"deep","severity":"info","data":` +
		compact(t, []byte(nested(maxNestedLevels))) + `}`
	events := append(append(guideEvents(t), edgeEvents...), deepest)
	for _, shape := range []string{"one by one", "array", "ndjson"} {
		t.Run(shape, func(t *testing.T) {
			srv := testsink.NewFormat(t, "json")
			s := startReceiver(t, testConfig(), jsonExporter(t, srv.Endpoint()))
			var bodies []string
			switch shape {
			case "one by one":
				bodies = events
			case "array":
				bodies = []string{"[" + strings.Join(events, ",\n") + "]"}
			case "ndjson":
				bodies = []string{strings.Join(events, "\n") + "\n"}
			}
			for _, b := range bodies {
				status, answer := post(t, s.url, []byte(b), nil)
				require.Equal(t, http.StatusOK, status, answer)
			}
			assert.Equal(t, events, srv.CompactEvents(t))
		})
	}
}

// TestRoundTripAliases: the guide's other spellings (type, event_data, no
// timestamp, no severity) come out as the guide's payload.
func TestRoundTripAliases(t *testing.T) {
	srv := testsink.NewFormat(t, "json")
	s := startReceiver(t, testConfig(), jsonExporter(t, srv.Endpoint()))
	status, answer := post(t, s.url, []byte(`{"type":"pii_detected","event_data":{"file_id":"ghi789"},"timestamp":"2025-10-29T14:00:00+02:00"}`), nil)
	require.Equal(t, http.StatusOK, status, answer)
	assert.Equal(t, []string{`{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","event_type":"pii_detected","severity":"info","data":{"file_id":"ghi789"}}`},
		srv.CompactEvents(t))
}
