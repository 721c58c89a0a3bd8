package builtin

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestSentinelRowLayout(t *testing.T) {
	ev := serviceEvent(t, seedData...)
	got := string(newSentinel().AppendRow(nil, &ev))
	assert.Equal(t, `{"TimeGenerated":"2025-10-29T12:00:00Z","EventId":"0123456789abcdef0123456789abcdef",`+
		`"EventType":"file_shared_externally","Severity":"warning","Source":"sentyr",`+
		`"Data":{"file_id":"abc123","file_name":"sensitive.pdf","owner":"user@example.com","shared_with":"external@partner.com"}}`, got)
	// The row's members are SentinelColumns, in their order.
	var row map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(got), &row))
	require.Len(t, row, len(SentinelColumns))
	at := 0
	for _, c := range SentinelColumns {
		i := strings.Index(got, `"`+c.Name+`":`)
		require.Greater(t, i, at-1, c.Name)
		at = i
	}
}

func TestSentinelEndpointCheck(t *testing.T) {
	good := "https://dce-1.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents?api-version=2023-01-01"
	require.NoError(t, checkSentinelEndpoint(good))
	for _, tt := range []struct{ endpoint, want string }{
		{"https://dce-1.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents", "api-version"},
		{"https://dce-1.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/my-rule/streams/Custom-SentyrEvents?api-version=2023-01-01", "immutable id"},
		{"https://dce-1.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef?api-version=2023-01-01", "/streams/"},
		{"https://workspace.ods.opinsights.azure.com/api/logs?api-version=2016-04-01", "/dataCollectionRules/"},
	} {
		err := checkSentinelEndpoint(tt.endpoint)
		require.Error(t, err, tt.endpoint)
		assert.Contains(t, err.Error(), tt.want)
		assert.Contains(t, err.Error(), "api-version="+sentinelAPIVersion, "the error shows a right URL")
	}
}

func TestKeyGUID(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	assert.Equal(t, "01234567-89ab-8def-8123-456789abcdef", keyGUID(key))
	assert.Equal(t, keyGUID(key), keyGUID(key), "the same key gives the same GUID")
	assert.NotEqual(t, keyGUID(key), keyGUID("1123456789abcdef0123456789abcdef"))
	for _, other := range []string{"not hex", strings.Repeat("ab", 40), "0123456789abcdef0123456789abcdeg"} {
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, keyGUID(other))
	}
}

// A batch larger than 1 MB goes out in arrays of at most 1 MB, every event
// once, in order.
func TestSentinelSplitsWithinOneMB(t *testing.T) {
	events := make([]formats.Event, 3000)
	for i := range events {
		events[i] = serviceEvent(t, "seq", int64(i), "pad", strings.Repeat("p", 900))
	}
	batch, err := newSentinel().Encode(events)
	require.NoError(t, err)
	require.Greater(t, len(batch.Requests), 2)
	next := 0
	for _, req := range batch.Requests {
		assert.LessOrEqual(t, len(req.Body), sentinelMaxRequestBytes)
		var rows []struct {
			Data struct{ Seq int } `json:"Data"`
		}
		require.NoError(t, json.Unmarshal(req.Body, &rows))
		require.Len(t, rows, len(req.Events))
		for i, r := range rows {
			assert.Equal(t, next, r.Data.Seq)
			assert.Equal(t, next, req.Events[i])
			next++
		}
	}
	assert.Equal(t, len(events), next)
}

// Values over 64 KB are cut with a marker, the row stays valid JSON, and
// the fields that fit are kept whole.
func TestSentinelCutsFieldsOver64KB(t *testing.T) {
	ev := serviceEvent(t, "small", "kept", "big", strings.Repeat("é\"", 60_000), "list", []any{strings.Repeat("x", 70_000)})
	ev.Type = strings.Repeat("t", 100_000)
	row := newSentinel().AppendRow(nil, &ev)
	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(row, &got))
	for k, v := range got {
		assert.LessOrEqual(t, len(v), sentinelMaxFieldBytes, k)
	}
	var typ string
	require.NoError(t, json.Unmarshal(got["EventType"], &typ))
	assert.True(t, strings.HasSuffix(typ, cutMarker))
	var data map[string]any
	require.NoError(t, json.Unmarshal(got["Data"], &data))
	assert.Equal(t, "kept", data["small"])
	big := data["big"].(string)
	assert.True(t, strings.HasSuffix(big, cutMarker))
	assert.True(t, utf8.ValidString(big))
	assert.NotContains(t, data, "list", "a list that does not fit is left out")
	assert.Equal(t, "2 of 3 fields cut or left out to fit Sentinel's 64 KB per field", data["_truncated"])
}

func TestAppendStringWithin(t *testing.T) {
	for _, s := range []string{"plain", strings.Repeat("a", 500), strings.Repeat("\"\\\n\x01é\u2028\xff", 100)} {
		for _, room := range []int{10, 64, 100, 333} {
			out, cut := appendStringWithin(nil, s, room)
			require.True(t, json.Valid(out), "%q", out)
			full := formats.AppendString(nil, s)
			if len(full) <= room {
				assert.False(t, cut)
				assert.Equal(t, full, out)
				continue
			}
			assert.True(t, cut)
			assert.LessOrEqual(t, len(out), room)
			assert.Greater(t, len(out), room-7, "as much as fits is kept")
		}
	}
}

func TestAppendMembersWithinKeepsSmallData(t *testing.T) {
	v := pcommon.NewValueStr("v")
	fields := []formats.Field{{Key: "a", Value: v}, {Key: "b", Value: v}}
	assert.Equal(t, `"a":"v","b":"v"`, string(appendMembersWithin(nil, fields, false, 100, "x", nil)))
}
