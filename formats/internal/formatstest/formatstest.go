// Package formatstest holds what the tests of formats/builtin and
// formats/template share: the guide's custom template example, hostile
// strings and fuzzed events.
package formatstest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// GuideTemplate is the guide's "Custom Template (Jinja2)", unchanged.
const GuideTemplate = `
{
  "alert": {
    "type": "{{ event_type }}",
    "level": "{{ severity }}",
    "time": "{{ timestamp }}",
    "details": {
      "file": "{{ event_data.file_name }}",
      "owner": "{{ event_data.owner }}",
      "recipient": "{{ event_data.shared_with }}"
    }
  }
}
`

// GuidePayload is the payload the guide documents for that template,
// shared with the exporter's tests, for a test in a package of formats/.
func GuidePayload(t testing.TB) string {
	t.Helper()
	// From the test's package directory, formats/<package>: the source's
	// own path is no guide, as -trimpath leaves it relative.
	b, err := os.ReadFile(filepath.Join("..", "builtin", "testdata", "golden", "custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// GuideData is the data of the guide's example event.
var GuideData = map[string]any{
	"file_id":     "abc123",
	"file_name":   "sensitive.pdf",
	"owner":       "user@example.com",
	"shared_with": "external@partner.com",
}

// GuideEvent is the guide's example event with data in place of its four
// fields.
func GuideEvent(t testing.TB, data map[string]any) formats.Event {
	t.Helper()
	m := pcommon.NewMap()
	if err := m.FromRaw(data); err != nil {
		t.Fatal(err)
	}
	ev := formats.Event{
		ID:        "0123456789abcdef",
		Type:      "file_shared_externally",
		Severity:  formats.SeverityWarning,
		Timestamp: time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC),
		Source:    "sentyr",
		Body:      pcommon.NewValueEmpty(),
		Resource:  pcommon.NewMap(),
	}
	for k, v := range m.All() {
		ev.Data = append(ev.Data, formats.Field{Key: k, Value: v})
	}
	return ev
}

// HostileStrings are event contents that try to leave their JSON string.
var HostileStrings = []string{
	`x", "admin": true, "x": "`,
	`x", "admin": true, "y": "`,
	`"quoted"`,
	`back\slash\`,
	`\", "admin": true, "z": \"`,
	"new\nline\r\nand\ttab",
	"</script><script>alert(1)</script>",
	"control \x00\x01\x08\x0b\x0c\x1b\x1f\x7f",
	"invalid \xff\xfe UTF-8 \xc3",
	"line\u2028separators\u2029",
	"{{ event_type }} {% raw %}",
	`'single' & <angle>`,
	"emoji 🔒 ünïcödé",
}

// FuzzEvents builds up to 8 events from fuzzer bytes, every field of them
// fuzzed: encoders must cope with anything the mapping could hand them.
func FuzzEvents(s *fuzzdata.Source) []formats.Event {
	n := int(s.Byte()%8) + 1
	events := make([]formats.Event, n)
	for i := range events {
		ev := &events[i]
		ev.ID = s.String()
		ev.Type = s.String()
		ev.Severity = s.String()
		ev.Timestamp = time.Unix(0, int64(s.Uint64())).UTC()
		ev.Source = s.String()
		ev.Body = pcommon.NewValueEmpty()
		s.Value(ev.Body, 0)
		ev.Resource = pcommon.NewMap()
		s.Map(ev.Resource, 0)
		data := pcommon.NewMap()
		s.Map(data, 0)
		for k, v := range data.All() {
			ev.Data = append(ev.Data, formats.Field{Key: k, Value: v})
		}
	}
	return events
}
