package mapping

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/xxh3"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/bench"
)

var testNow = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

// mapOne maps a single record built by fill.
func mapOne(t *testing.T, m Mapper, fill func(lr plog.LogRecord, res pcommon.Map)) formats.Event {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	fill(lr, rl.Resource().Attributes())
	events := m.Events(ld, nil)
	require.Len(t, events, 1)
	return events[0]
}

func dataOf(ev formats.Event) map[string]any {
	return ev.DataMap()
}

func TestMapping(t *testing.T) {
	base := Mapper{Source: "sentyr", Now: func() time.Time { return testNow }}
	ts := pcommon.NewTimestampFromTime(testNow)
	for _, tt := range []struct {
		name     string
		Mapper   *Mapper
		fill     func(lr plog.LogRecord, res pcommon.Map)
		wantType string
		wantSev  string
		wantTime time.Time
		wantData map[string]any
	}{
		{
			name: "event name wins over attributes",
			fill: func(lr plog.LogRecord, _ pcommon.Map) {
				lr.SetEventName("login_failed")
				lr.Attributes().PutStr("event.name", "other")
				lr.Attributes().PutStr("event_type", "third")
			},
			wantType: "login_failed", wantSev: "info",
			wantData: map[string]any{"event.name": "other", "event_type": "third"},
		},
		{
			name: "event.name attribute, used up",
			fill: func(lr plog.LogRecord, _ pcommon.Map) {
				lr.Attributes().PutStr("event.name", "pii_detected")
				lr.Attributes().PutStr("event_type", "ignored")
			},
			wantType: "pii_detected", wantSev: "info",
			wantData: map[string]any{"event_type": "ignored"},
		},
		{
			name:     "event_type attribute",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) { lr.Attributes().PutStr("event_type", "malware") },
			wantType: "malware", wantSev: "info", wantData: map[string]any{},
		},
		{
			name:     "no type at all",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) {},
			wantType: "log", wantSev: "info", wantData: map[string]any{},
		},
		{
			name: "severity attribute wins over the number, any case",
			fill: func(lr plog.LogRecord, _ pcommon.Map) {
				lr.SetSeverityNumber(plog.SeverityNumberInfo)
				lr.Attributes().PutStr("severity", "CRITICAL")
			},
			wantType: "log", wantSev: "critical", wantData: map[string]any{},
		},
		{
			name: "severity attribute in lower case",
			fill: func(lr plog.LogRecord, _ pcommon.Map) {
				lr.SetSeverityNumber(plog.SeverityNumberError)
				lr.Attributes().PutStr("severity", "warning")
			},
			wantType: "log", wantSev: "warning", wantData: map[string]any{},
		},
		{
			name:     "severity attribute in mixed case",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) { lr.Attributes().PutStr("severity", "Error") },
			wantType: "log", wantSev: "error", wantData: map[string]any{},
		},
		{
			name: "unknown severity attribute stays in data",
			fill: func(lr plog.LogRecord, _ pcommon.Map) {
				lr.SetSeverityNumber(plog.SeverityNumberError2)
				lr.Attributes().PutStr("severity", "high")
			},
			wantType: "log", wantSev: "error", wantData: map[string]any{"severity": "high"},
		},
		{
			name: "map body fields, then attributes; body wins a clash",
			fill: func(lr plog.LogRecord, _ pcommon.Map) {
				lr.Body().SetEmptyMap().PutStr("file_id", "abc123")
				lr.Body().Map().PutInt("size", 42)
				lr.Attributes().PutStr("file_id", "from-attribute")
				lr.Attributes().PutStr("owner", "user@example.com")
			},
			wantType: "log", wantSev: "info",
			wantData: map[string]any{"file_id": "abc123", "size": int64(42), "owner": "user@example.com"},
		},
		{
			name:     "string body under message",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) { lr.Body().SetStr("user bob logged in") },
			wantType: "log", wantSev: "info",
			wantData: map[string]any{"message": "user bob logged in"},
		},
		{
			name:     "timestamp first",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) { lr.SetTimestamp(ts); lr.SetObservedTimestamp(ts + 5) },
			wantType: "log", wantSev: "info", wantTime: testNow, wantData: map[string]any{},
		},
		{
			name:     "observed timestamp when no timestamp",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) { lr.SetObservedTimestamp(ts) },
			wantType: "log", wantSev: "info", wantTime: testNow, wantData: map[string]any{},
		},
		{
			name:     "now when no time at all",
			fill:     func(lr plog.LogRecord, _ pcommon.Map) {},
			wantType: "log", wantSev: "info", wantTime: testNow, wantData: map[string]any{},
		},
		{
			name:   "configured resource attributes join the data",
			Mapper: &Mapper{Source: "acme", ResourceAttributes: []string{"service.name", "host.name", "absent"}, Now: base.Now},
			fill: func(lr plog.LogRecord, res pcommon.Map) {
				res.PutStr("service.name", "dlp")
				res.PutStr("host.name", "scanner-1")
				res.PutStr("k8s.pod.name", "not-listed")
				lr.Attributes().PutStr("host.name", "record-wins")
			},
			wantType: "log", wantSev: "info",
			wantData: map[string]any{"service.name": "dlp", "host.name": "record-wins"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := base
			if tt.Mapper != nil {
				m = *tt.Mapper
			}
			ev := mapOne(t, m, tt.fill)
			assert.Equal(t, tt.wantType, ev.Type)
			assert.Equal(t, tt.wantSev, ev.Severity)
			assert.Equal(t, m.Source, ev.Source)
			if !tt.wantTime.IsZero() {
				assert.True(t, tt.wantTime.Equal(ev.Timestamp), "timestamp %s", ev.Timestamp)
			}
			assert.Equal(t, tt.wantData, dataOf(ev))
		})
	}
}

func TestSeverityNumberBands(t *testing.T) {
	m := Mapper{Now: time.Now}
	for n := plog.SeverityNumberUnspecified; n <= plog.SeverityNumberFatal4; n++ {
		want := "info"
		switch {
		case n >= 21:
			want = "critical"
		case n >= 17:
			want = "error"
		case n >= 13:
			want = "warning"
		}
		ev := mapOne(t, m, func(lr plog.LogRecord, _ pcommon.Map) { lr.SetSeverityNumber(n) })
		assert.Equal(t, want, ev.Severity, "SeverityNumber %d", n)
	}
}

func TestEventIDIsStableAndDistinct(t *testing.T) {
	m := Mapper{Source: "sentyr", Now: time.Now}
	fill := func(user string) func(plog.LogRecord, pcommon.Map) {
		return func(lr plog.LogRecord, res pcommon.Map) {
			res.PutStr("host.name", "a")
			lr.SetTimestamp(pcommon.NewTimestampFromTime(testNow))
			lr.Attributes().PutStr("user", user)
		}
	}
	first := mapOne(t, m, fill("bob"))
	again := mapOne(t, m, fill("bob"))
	other := mapOne(t, m, fill("alice"))

	assert.Regexp(t, "^[0-9a-f]{32}$", first.ID)
	assert.Equal(t, first.ID, again.ID, "the same record has the same id on every retry")
	assert.NotEqual(t, first.ID, other.ID)
}

func TestManyDuplicateKeysKeepTheFirst(t *testing.T) {
	m := Mapper{Now: time.Now}
	ev := mapOne(t, m, func(lr plog.LogRecord, _ pcommon.Map) {
		body := lr.Body().SetEmptyMap()
		for i := range 100 {
			body.PutInt(string(rune('a'+i%26))+string(rune('0'+i/26)), int64(i))
			lr.Attributes().PutStr(string(rune('a'+i%26))+string(rune('0'+i/26)), "attr")
		}
		lr.Attributes().PutStr("extra", "kept")
	})
	data := dataOf(ev)
	assert.Len(t, ev.Data, 101, "no key twice")
	assert.Equal(t, int64(0), data["a0"])
	assert.Equal(t, "kept", data["extra"])
}

// An encoder that reads no id gets events without them; the id computed
// later, where the exporter names the event, is the one the mapping would
// have given.
func TestLazyIDsAreTheIDsTheMappingWouldGive(t *testing.T) {
	ld := bench.Logs(25)
	eager := Mapper{Source: "sentyr", Now: time.Now}
	want := eager.Events(ld, nil)

	lazy := Mapper{Source: "sentyr", Now: time.Now, LazyIDs: true}
	var a Arrays
	lazy.MapInto(ld, &a, nil)
	require.Len(t, a.Events, len(want))
	for i := range want {
		assert.Empty(t, a.Events[i].ID, "event %d", i)
		assert.Equal(t, want[i].ID, a.ID(i), "event %d", i)
		assert.Equal(t, want[i].ID, a.Events[i].ID, "event %d keeps its id once computed", i)
	}
}

// Mapping hands its events on in chunks, each as soon as it is mapped and
// with its id: every event once, in order, as the whole batch maps them.
func TestMappingHandsOnEveryEventOnceInChunks(t *testing.T) {
	ld := bench.Logs(3*mappedChunk + 7)
	// A second resource and scope, so that chunks cross them.
	bench.Logs(mappedChunk / 2).ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	m := Mapper{Source: "sentyr", Now: time.Now}
	want := m.Events(ld, nil)

	var a Arrays
	var got []formats.Event
	var sizes []int
	m.MapInto(ld, &a, func(events []formats.Event) {
		sizes = append(sizes, len(events))
		for _, ev := range events {
			require.NotEmpty(t, ev.ID, "an event is handed on with its id")
		}
		got = append(got, events...)
	})
	assert.Equal(t, []int{mappedChunk, mappedChunk, mappedChunk, 7 + mappedChunk/2}, sizes)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].ID, got[i].ID, "event %d", i)
		assert.Equal(t, want[i].Type, got[i].Type, "event %d", i)
		assert.Equal(t, len(want[i].Data), len(got[i].Data), "event %d", i)
	}
}

// writeID's table writes the digest as encoding/hex does: 32 lower-case
// hex digits, the id's documented form.
func TestWriteIDIsTheDigestInHex(t *testing.T) {
	for i := range 300 {
		d := xxh3.Hash128([]byte(strings.Repeat("x", i)))
		b := d.Bytes()
		var id strings.Builder
		writeID(&id, d)
		assert.Equal(t, hex.EncodeToString(b[:]), id.String())
	}
}
