package builtin

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
)

// arrayLimits are the limits of the services that take JSON arrays of
// objects (the Logs Ingestion API, the Logs intake): the body, an entry,
// the entries of a body, a field; 0 for none.
var arrayLimits = map[string]struct{ maxBody, maxEntry, maxEntries, maxField int }{
	"sentinel":     {sentinelMaxRequestBytes, sentinelMaxRequestBytes, 0, sentinelMaxFieldBytes},
	"datadog_logs": {datadogLogsMaxRequestBytes, datadogLogsMaxEntryBytes, datadogLogsMaxEntries, 0},
}

// The services that take JSON arrays of objects take them within their
// limits: whatever the events hold, every body is one, and no row or entry
// is over the service's limit. Every format of the table whose service
// takes arrays is fuzzed, with each document it carries, its tag
// attributes named by the fuzzer.
func FuzzSentinelAndDatadogLogsEncoders(f *testing.F) {
	f.Add("team", []byte("seed"))
	f.Fuzz(func(t *testing.T, attr string, data []byte) {
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		for _, b := range Builtins() {
			if b.Service.Body != BodyArray {
				continue
			}
			name := b.Name
			tt, ok := arrayLimits[name]
			if !ok {
				t.Fatalf("%s takes arrays: state its service's limits in arrayLimits", name)
			}
			for _, doc := range append([]string{""}, b.Documents...) {
				settings := fuzzSettings(t, b, attr)
				settings.Document = doc
				enc, err := b.New(settings)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				batch, err := enc.Encode(events)
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
		}
	})
}

// fuzzSettings are b's table settings with its tag attributes, where it
// has them, named attr.
func fuzzSettings(t *testing.T, b Builtin, attr string) *Settings {
	conf := map[string]any{}
	for key, v := range b.Service.Settings {
		if section, ok := v.(map[string]any); ok {
			section = maps.Clone(section)
			if _, ok := section["tag_attributes"]; ok {
				section["tag_attributes"] = []any{attr}
			}
			v = section
		}
		conf[key] = v
	}
	s, err := settingsOf(b, conf)
	if err != nil {
		t.Fatalf("%s: %v", b.Name, err)
	}
	return s
}
