package builtin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/raceflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestDatadogLogsEntryLayout(t *testing.T) {
	ev := serviceEvent(t, append([]any{"user.name", "alice"}, seedData...)...)
	ev.Resource = pcommon.NewMap()
	ev.Resource.PutStr(attrHostName, "scanner-1")
	enc := newDatadogLogs(DatadogLogsConfig{Tags: []string{"env:prod"}, TagAttributes: []string{"user.name", "missing"}}, "sentyr")
	assert.Equal(t, `{"ddsource":"sentyr","ddtags":"event_type:file_shared_externally,severity:warning,source:sentyr,env:prod,user.name:alice",`+
		`"hostname":"scanner-1","service":"sentyr","status":"warn","timestamp":1761739200000,"message":"Sentyr event: file_shared_externally",`+
		`"event_id":"0123456789abcdef0123456789abcdef","event_type":"file_shared_externally","severity":"warning",`+
		`"user.name":"alice","file_id":"abc123","file_name":"sensitive.pdf","owner":"user@example.com","shared_with":"external@partner.com"}`,
		string(enc.AppendEntry(nil, &ev)))
}

func TestDatadogLogsStatus(t *testing.T) {
	for sev, want := range map[string]string{formats.SeverityInfo: "info", formats.SeverityWarning: "warn", formats.SeverityError: "error", formats.SeverityCritical: "critical"} {
		assert.Equal(t, want, datadogLogStatus(sev))
	}
}

// Data cannot override the entry's own members, and a comma in a value
// cannot start another tag.
func TestDatadogLogsHostileValues(t *testing.T) {
	ev := serviceEvent(t, "status", "ok", "message", "forged", "team", "red,admin")
	ev.Type = "login," + strings.Repeat("x", 500)
	enc := newDatadogLogs(DatadogLogsConfig{TagAttributes: []string{"team"}}, "sentyr")
	var got map[string]any
	require.NoError(t, json.Unmarshal(enc.AppendEntry(nil, &ev), &got))
	assert.Equal(t, "warn", got["status"])
	assert.Equal(t, "ok", got["data.status"])
	assert.Equal(t, "forged", got["data.message"])
	tags := strings.Split(got["ddtags"].(string), ",")
	require.Len(t, tags, 4)
	assert.Equal(t, "team:red_admin", tags[3])
	assert.True(t, strings.HasPrefix(tags[0], "event_type:login_x"))
	assert.LessOrEqual(t, len([]rune(tags[0])), datadogMaxTagBytes)
}

func TestDatadogLogsSplitsWithinLimits(t *testing.T) {
	raceflag.SkipSingleGoroutine(t)
	for _, tt := range []struct {
		name string
		n    int
		pad  int
	}{
		{"entries", 2500, 10},         // the 1,000 entries bind
		{"bytes", 1200, 9_000},        // the 5 MB bind
		{"big entries", 8, 2_000_000}, // every entry cut to 1 MB
	} {
		t.Run(tt.name, func(t *testing.T) {
			events := make([]formats.Event, tt.n)
			for i := range events {
				events[i] = serviceEvent(t, "seq", int64(i), "pad", strings.Repeat("p", tt.pad))
			}
			batch, err := newDatadogLogs(DatadogLogsConfig{}, "sentyr").Encode(events)
			require.NoError(t, err)
			next := 0
			for _, req := range batch.Requests {
				assert.LessOrEqual(t, len(req.Body), datadogLogsMaxRequestBytes)
				var entries []json.RawMessage
				require.NoError(t, json.Unmarshal(req.Body, &entries))
				require.LessOrEqual(t, len(entries), datadogLogsMaxEntries)
				for i, e := range entries {
					assert.LessOrEqual(t, len(e), datadogLogsMaxEntryBytes)
					var entry struct{ Seq int }
					require.NoError(t, json.Unmarshal(e, &entry))
					assert.Equal(t, next, entry.Seq)
					assert.Equal(t, next, req.Events[i])
					next++
				}
			}
			assert.Equal(t, tt.n, next)
		})
	}
}

func TestDatadogLogsConfigCheck(t *testing.T) {
	require.NoError(t, (&DatadogLogsConfig{Tags: []string{"env:prod"}, TagAttributes: []string{"user.name"}}).check())
	err := (&DatadogLogsConfig{Tags: []string{"env:prod,team:red"}}).check()
	require.ErrorContains(t, err, "datadog_logs::tags[0]")
	err = (&DatadogLogsConfig{TagAttributes: []string{" "}}).check()
	require.ErrorContains(t, err, "datadog_logs::tag_attributes[0]")
}
