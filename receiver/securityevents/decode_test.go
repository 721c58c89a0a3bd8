package securityevents

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// records lists the decoded records in order, with their resources.
func records(t *testing.T, body string) ([]plog.LogRecord, []pcommon.Map) {
	t.Helper()
	logs, err := decodeEvents([]byte(body), testNow)
	require.NoError(t, err)
	var lrs []plog.LogRecord
	var res []pcommon.Map
	for _, rl := range logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			assert.Equal(t, "github.com/sentyr/webhookexporter/receiver/securityevents", sl.Scope().Name())
			for _, lr := range sl.LogRecords().All() {
				lrs = append(lrs, lr)
				res = append(res, rl.Resource().Attributes())
			}
		}
	}
	return lrs, res
}

const guideEvent = `{"timestamp": "2025-10-29T12:00:00Z", "source": "sentyr", "event_type": "file_shared_externally",
 "severity": "warning", "data": {"file_id": "abc123", "file_name": "sensitive.pdf",
 "owner": "user@example.com", "shared_with": "external@partner.com"}}`

// TestDecodeGuideEvent: each field of the guide's payload lands where the
// webhook exporter's mapping reads it back.
func TestDecodeGuideEvent(t *testing.T) {
	lrs, res := records(t, guideEvent)
	require.Len(t, lrs, 1)
	lr := lrs[0]
	assert.Equal(t, "file_shared_externally", lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, "warning", lr.SeverityText())
	assert.Equal(t, time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC), lr.Timestamp().AsTime())
	assert.Equal(t, testNow, lr.ObservedTimestamp().AsTime())
	assert.Equal(t, map[string]any{"file_id": "abc123", "file_name": "sensitive.pdf",
		"owner": "user@example.com", "shared_with": "external@partner.com"}, lr.Body().Map().AsRaw())
	assert.Equal(t, 0, lr.Attributes().Len(), "nothing joins the event's data")
	assert.Equal(t, map[string]any{AttrSource: "sentyr"}, res[0].AsRaw())
}

// TestDecodeShapes: one object, an array and NDJSON give the same records;
// the guide's send_batch names (type) and send_event's (event_data) are
// taken; what is left out takes the exporter's defaults.
func TestDecodeShapes(t *testing.T) {
	a := `{"type": "file_shared_externally", "data": {"file_id": "abc123"}, "severity": "warning"}`
	b := `{"event_type": "pii_detected", "event_data": {"pii_types": ["ssn", "email"]}, "severity": "critical"}`
	c := `{"event_type": "login"}`
	for name, body := range map[string]string{
		"array":  "[" + a + ",\n" + b + ", " + c + "]",
		"ndjson": a + "\n" + b + "\n" + c + "\n",
		"spaced": " \n" + a + "  " + b + "\r\n" + c,
	} {
		t.Run(name, func(t *testing.T) {
			lrs, res := records(t, body)
			require.Len(t, lrs, 3)
			assert.Equal(t, []string{"file_shared_externally", "pii_detected", "login"},
				[]string{lrs[0].EventName(), lrs[1].EventName(), lrs[2].EventName()})
			assert.Equal(t, []plog.SeverityNumber{plog.SeverityNumberWarn, plog.SeverityNumberFatal, plog.SeverityNumberInfo},
				[]plog.SeverityNumber{lrs[0].SeverityNumber(), lrs[1].SeverityNumber(), lrs[2].SeverityNumber()})
			assert.Equal(t, map[string]any{"pii_types": []any{"ssn", "email"}}, lrs[1].Body().Map().AsRaw())
			assert.Equal(t, pcommon.ValueTypeEmpty, lrs[2].Body().Type(), "no data: the exporter writes {}")
			assert.Zero(t, lrs[2].Timestamp(), "no timestamp: the exporter takes the observed time")
			assert.Equal(t, testNow, lrs[2].ObservedTimestamp().AsTime())
			assert.Equal(t, 0, res[0].Len(), "no source: no attribute")
		})
	}
	lrs, _ := records(t, "[]")
	assert.Empty(t, lrs)
}

// TestDecodeValues: data keeps its order, types and duplicates as Python
// reads them (first place, last value).
func TestDecodeValues(t *testing.T) {
	lrs, _ := records(t, `{"event_type": "x", "data": {"z": 1, "a": 1.5, "big": 1e300, "huge": 123456789012345678901,
		"t": true, "n": null, "s": "é\u00e9", "l": [1, [2, {"k": "v"}]], "z": 2}}`)
	m := lrs[0].Body().Map()
	var keys []string
	for k := range m.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"z", "a", "big", "huge", "t", "n", "s", "l"}, keys)
	z, _ := m.Get("z")
	assert.Equal(t, int64(2), z.Int())
	a, _ := m.Get("a")
	assert.Equal(t, 1.5, a.Double())
	huge, _ := m.Get("huge")
	assert.Equal(t, pcommon.ValueTypeDouble, huge.Type())
	n, _ := m.Get("n")
	assert.Equal(t, pcommon.ValueTypeEmpty, n.Type())
	l, _ := m.Get("l")
	assert.Equal(t, []any{int64(1), []any{int64(2), map[string]any{"k": "v"}}}, l.AsRaw())
}

// TestDecodeSources: consecutive events of one source share a resource,
// and the order of events is kept across sources.
func TestDecodeSources(t *testing.T) {
	body := `{"event_type": "1", "source": "a"}
{"event_type": "2", "source": "a"}
{"event_type": "3", "source": "b"}
{"event_type": "4"}
{"event_type": "5", "source": "a"}`
	logs, err := decodeEvents([]byte(body), testNow)
	require.NoError(t, err)
	assert.Equal(t, 4, logs.ResourceLogs().Len())
	lrs, res := records(t, body)
	var order, sources []string
	for i, lr := range lrs {
		order = append(order, lr.EventName())
		s := ""
		if v, ok := res[i].Get(AttrSource); ok {
			s = v.Str()
		}
		sources = append(sources, s)
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, order)
	assert.Equal(t, []string{"a", "a", "b", "", "a"}, sources)
}

// nested is a data object that nests levels deep in all, itself level 1.
func nested(levels int) string {
	return strings.Repeat(`{"a": [`, levels/2) + strings.Repeat(`{"b": `, levels%2) + `1` +
		strings.Repeat(`}`, levels%2) + strings.Repeat(`]}`, levels/2)
}

// TestDecodeRefuses: every invalid event is refused with its number and
// the field at fault; the request holds nothing accepted.
func TestDecodeRefuses(t *testing.T) {
	ok := `{"event_type": "ok"}`
	for _, tt := range []struct{ name, body, want string }{
		{"severity", ok + ok + `{"event_type": "x", "severity": "WARN"}`, "event 3: severity: must be one of info, warning, error or critical"},
		{"severity not a string", `[` + ok + `, {"event_type": "x", "severity": {"a": [1]}}]`, "event 2: severity: must be a non-empty string, not an object"},
		{"unknown field", `{"event_type": "x", "foo": 1}`, `event 1: "foo": not a field of a security event`},
		{"long unknown field", `{"` + strings.Repeat("k", 1000) + `": 1}`, `event 1: "` + strings.Repeat("k", 64) + `"…: not a field`},
		{"no event_type", `{"severity": "info"}`, "event 1: event_type: required"},
		{"empty event_type", `{"event_type": ""}`, "event 1: event_type: must not be empty"},
		{"event_type a number", ok + `{"type": 3}`, "event 2: type: must be a non-empty string, not a number"},
		{"twice", `{"type": "a", "event_type": "b"}`, "event 1: event_type: given twice (as type and event_type)"},
		{"data twice", `{"event_type": "a", "data": {}, "event_data": {}}`, "event 1: event_data: given twice"},
		{"timestamp", `{"event_type": "a", "timestamp": "2025-10-29 12:00"}`, "event 1: timestamp: must be RFC 3339 with a time zone"},
		{"timestamp without zone", `{"event_type": "a", "timestamp": "2025-10-29T12:00:00"}`, "event 1: timestamp: must be RFC 3339"},
		{"timestamp before 1970", `{"event_type": "a", "timestamp": "1969-12-31T23:59:59Z"}`, "event 1: timestamp: must be after 1970"},
		{"data an array", `{"event_type": "a", "data": [1, 2]}`, "event 1: data: must be a JSON object, not an array"},
		{"event_data a string", `{"event_type": "a", "event_data": "x"}`, "event 1: event_data: must be a JSON object, not a string"},
		{"too deep", `{"event_type": "a", "data": ` + nested(maxNestedLevels+1) + `}`, "event 1: data: nests deeper than 32 levels"},
		{"hostile depth", `{"event_type": "a", "data": {"x": ` + strings.Repeat("[", 1<<20), "event 1: data: nests deeper than 32 levels"},
		{"not an object", `[` + ok + `, 42]`, "event 2: an event must be a JSON object, not a number"},
		{"syntax", ok + "\n" + `{"event_type": "a",}`, "event 2: invalid JSON at byte"},
		{"cut short", ok + `{"event_type": "a", "data": {"x": `, "event 2: data: invalid JSON: the body ends inside a value"},
		{"after the array", `[` + ok + `] {}`, "after the array: the body goes on"},
		{"array not closed", `[` + ok, "after event 1: invalid JSON"},
		{"empty", " \n", "the body is empty"},
		{"a number", "42", "the body is not JSON objects"},
		{"a source number", `{"event_type": "a", "source": 1}`, "event 1: source: must be a non-empty string, not a number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeEvents([]byte(tt.body), testNow)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Less(t, len(err.Error()), 400, "the message has a bound")
		})
	}
	// The deepest data the exporter sends as it is.
	lrs, _ := records(t, `{"event_type": "a", "data": `+nested(maxNestedLevels)+`}`)
	require.Len(t, lrs, 1)
}
