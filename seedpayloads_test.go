package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
	"github.com/sentyr/webhookexporter/internal/testsink/essink"
)

// TestSeedExampleGivesSeedServicePayloads sends the guide's example event
// through the factory-built exporter with default settings and compares
// each body, parsed, with formats/builtin/testdata/golden: the guide's documented payloads.
//
// The golden files differ from the guide's text in two places, on purpose
// (formats/builtin/testdata/golden/README.md): the guide's time/date_happened 1730217600 is
// 2024-10-29T16:00:00Z, not its event's 2025-10-29T12:00:00Z, so the files
// hold that timestamp's epoch, 1761739200, and the test asserts it is the
// timestamp's epoch; and the guide's Datadog text lists two of the four data
// fields, evidently abbreviated, so the file holds all four.
func TestSeedExampleGivesSeedServicePayloads(t *testing.T) {
	for _, tt := range []struct {
		format, path, golden string
		epoch                func(map[string]any) any
		header, headerValue  string
	}{
		{"splunk_hec", "/services/collector/event", "splunk_hec.json",
			func(p map[string]any) any { return p["time"] }, "Authorization", "Splunk " + hecTestToken},
		{"datadog", "/api/v1/events", "datadog.json",
			func(p map[string]any) any { return p["date_happened"] }, "DD-API-KEY", ddsink.Key},
		{"elastic", "/sentyr/_doc", "elastic.json", nil, "Authorization", "ApiKey " + essink.Key},
	} {
		t.Run(tt.format, func(t *testing.T) {
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) })
			cfg := testCfg(s.URL + tt.path)
			cfg.Format = tt.format
			cfg.SplunkHEC.Token = hecTestToken
			cfg.Datadog.APIKey = ddsink.Key
			cfg.Elastic.APIKey = essink.Key
			exp := startExporter(t, cfg)

			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

			got := s.Wait(t, 1)[0]
			assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
			assert.Equal(t, tt.headerValue, got.Header.Get(tt.header))
			wantRaw, err := os.ReadFile(filepath.Join("formats", "builtin", "testdata", "golden", tt.golden))
			require.NoError(t, err)
			var want, payload map[string]any
			require.NoError(t, json.Unmarshal(wantRaw, &want))
			require.NoError(t, json.Unmarshal(got.Body, &payload), "%s", got.Body)

			if tt.format == "datadog" {
				// The text is JSON inside a string, compared parsed (the
				// record's body is a map, whose order is not the guide's;
				// formats tests check the layout).
				assert.JSONEq(t, want["text"].(string), payload["text"].(string))
				delete(want, "text")
				delete(payload, "text")
			}
			assert.Equal(t, want, payload)
			if tt.epoch != nil {
				// The guide's 1730217600 is not its event's time; this is.
				assert.InDelta(t, float64(seedTime.Unix()), tt.epoch(payload), 0)
				assert.Equal(t, int64(1761739200), seedTime.Unix())
			}
		})
	}
}
