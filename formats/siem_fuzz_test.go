package formats

import (
	"encoding/json"
	"testing"

	"github.com/sentyr/webhookexporter/internal/fuzzdata"
)

// The Logs Ingestion API and the Logs intake take JSON arrays of objects
// within their limits: whatever the events hold, every body is one, and no
// row or entry is over the service's limit.
func FuzzSentinelAndDatadogLogsEncoders(f *testing.F) {
	f.Add("team", []byte("seed"))
	f.Fuzz(func(t *testing.T, attr string, data []byte) {
		events := fuzzEvents(fuzzdata.New(data))
		for name, tt := range map[string]struct {
			enc                  Encoder
			maxBody, maxEntry    int
			maxEntries, maxField int
		}{
			"sentinel":     {newSentinel(), sentinelMaxRequestBytes, sentinelMaxRequestBytes, 0, sentinelMaxFieldBytes},
			"datadog_logs": {newDatadogLogs(DatadogLogsConfig{TagAttributes: []string{attr}}, "fuzz"), datadogLogsMaxRequestBytes, datadogLogsMaxEntryBytes, datadogLogsMaxEntries, 0},
		} {
			batch, err := tt.enc.Encode(events)
			if err != nil {
				t.Fatalf("%s: Encode: %v", name, err)
			}
			checkBatch(t, batch, len(events), oneValue)
			for _, r := range batch.Requests {
				if len(r.Body) > tt.maxBody {
					t.Fatalf("%s: a body of %d bytes", name, len(r.Body))
				}
				var entries []map[string]json.RawMessage
				if err := json.Unmarshal(r.Body, &entries); err != nil {
					t.Fatalf("%s: not an array of objects: %v", name, err)
				}
				if tt.maxEntries > 0 && len(entries) > tt.maxEntries {
					t.Fatalf("%s: %d entries", name, len(entries))
				}
				for _, e := range entries {
					size := 2
					for k, v := range e {
						size += len(k) + len(v)
						if tt.maxField > 0 && len(v) > tt.maxField {
							t.Fatalf("%s: field %q of %d bytes", name, k, len(v))
						}
					}
					if size > tt.maxEntry {
						t.Fatalf("%s: an entry of about %d bytes", name, size)
					}
				}
			}
			batch.Release()
		}
	})
}
