package webhookexporter

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

var eventIDForm = regexp.MustCompile(`^[0-9a-f]{32}$`)

// FuzzMapping feeds fuzzed records (any body, any attributes, any times and
// severities, invalid UTF-8, NaN) through the mapping and the JSON encoder:
// no panic, one event per record, stable ids, a known severity and a valid
// payload that carries each event's severity and timestamp.
func FuzzMapping(f *testing.F) {
	now := time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)
	m := mapping.Mapper{Source: "fuzz", ResourceAttributes: []string{"service.name", "host.name"}, Now: func() time.Time { return now }}
	enc := builtinEncoder(f, "json", &builtin.Settings{Sections: builtin.Sections{JSON: builtin.JSONConfig{Batch: "ndjson", IncludeID: true}}})
	f.Fuzz(func(t *testing.T, data []byte) {
		ld := fuzzdata.New(data).Logs()
		events := m.Events(ld, nil)
		if len(events) != ld.LogRecordCount() {
			t.Fatalf("%d events from %d records", len(events), ld.LogRecordCount())
		}
		again := m.Events(ld, nil)
		for i := range events {
			ev := &events[i]
			if !eventIDForm.MatchString(ev.ID) {
				t.Fatalf("event id %q is not 32 hex digits", ev.ID)
			}
			if ev.ID != again[i].ID {
				t.Fatalf("event %d: id changed from %s to %s for the same record", i, ev.ID, again[i].ID)
			}
			switch ev.Severity {
			case formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical:
			default:
				t.Fatalf("severity %q is none of the four", ev.Severity)
			}
			if ev.Type == "" || ev.Source != "fuzz" {
				t.Fatalf("event type %q, source %q", ev.Type, ev.Source)
			}
			keys := make(map[string]bool, len(ev.Data))
			for _, f := range ev.Data {
				if keys[f.Key] {
					t.Fatalf("data key %q twice", f.Key)
				}
				keys[f.Key] = true
			}
		}
		batch, err := enc.Encode(events)
		if err != nil {
			t.Fatal(err)
		}
		lines := splitLines(batch.Requests[0].Body)
		if len(lines) != len(events) {
			t.Fatalf("%d lines for %d events", len(lines), len(events))
		}
		for i, line := range lines {
			var got struct {
				ID        string    `json:"id"`
				Severity  string    `json:"severity"`
				Timestamp time.Time `json:"timestamp"`
			}
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatalf("line %d: %v: %q", i, err, line)
			}
			if got.ID != events[i].ID || got.Severity != events[i].Severity || !got.Timestamp.Equal(events[i].Timestamp) {
				t.Fatalf("line %d: id %s severity %s time %s, want %s %s %s", i,
					got.ID, got.Severity, got.Timestamp, events[i].ID, events[i].Severity, events[i].Timestamp)
			}
		}
	})
}

func splitLines(body []byte) [][]byte {
	var out [][]byte
	for len(body) > 0 {
		i := 0
		for i < len(body) && body[i] != '\n' {
			i++
		}
		out = append(out, body[:i])
		if i < len(body) {
			i++
		}
		body = body[i:]
	}
	return out
}
