package builtin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// datadogPayload is what the Events API reads of a body.
type datadogPayload struct {
	Title          string          `json:"title"`
	Text           string          `json:"text"`
	AlertType      string          `json:"alert_type"`
	SourceTypeName string          `json:"source_type_name"`
	Tags           []string        `json:"tags"`
	DateHappened   json.RawMessage `json:"date_happened"`
}

func encodeDatadog(t testing.TB, cfg DatadogConfig, events ...formats.Event) []datadogPayload {
	t.Helper()
	batch, err := newDatadog(cfg).Encode(events)
	require.NoError(t, err)
	require.Len(t, batch.Requests, len(events), "one event per request")
	out := make([]datadogPayload, len(events))
	for i, r := range batch.Requests {
		require.Equal(t, []int{i}, r.Events)
		require.NoError(t, json.Unmarshal(r.Body, &out[i]), "%s", r.Body)
	}
	return out
}

func TestDatadogSeedPayload(t *testing.T) {
	got := encodeDatadog(t, DatadogConfig{}, serviceEvent(t, seedData...))[0]

	assert.Equal(t, "Sentyr: file_shared_externally", got.Title)
	assert.Equal(t, "warning", got.AlertType)
	assert.Equal(t, "sentyr", got.SourceTypeName)
	assert.Equal(t, []string{"event_type:file_shared_externally", "severity:warning", "source:sentyr"}, got.Tags)
	assert.Equal(t, "1761739200", string(got.DateHappened), "epoch seconds as an integer")
	// The guide's text, with all four fields rather than its abbreviated two.
	assert.Equal(t, "{\n  \"file_id\": \"abc123\",\n  \"file_name\": \"sensitive.pdf\",\n  \"owner\": \"user@example.com\",\n  \"shared_with\": \"external@partner.com\"\n}", got.Text)
}

func TestDatadogAlertTypesTagsAndTitle(t *testing.T) {
	cfg := DatadogConfig{Tags: []string{"env:prod", "team:sec"}}
	for _, tt := range []struct{ severity, alert string }{
		{formats.SeverityInfo, "info"}, {formats.SeverityWarning, "warning"}, {formats.SeverityError, "error"}, {formats.SeverityCritical, "error"}, {"bogus", "info"},
	} {
		ev := serviceEvent(t, "k", "v")
		ev.Severity = tt.severity
		got := encodeDatadog(t, cfg, ev)[0]
		assert.Equal(t, tt.alert, got.AlertType, "severity %s", tt.severity)
		assert.Equal(t, []string{"event_type:file_shared_externally", "severity:" + tt.severity, "source:sentyr", "env:prod", "team:sec"}, got.Tags)
	}

	ev := serviceEvent(t)
	ev.Source = "acme-DLP"
	ev.Type = strings.Repeat("t", 300)
	got := encodeDatadog(t, cfg, ev)[0]
	assert.True(t, strings.HasPrefix(got.Title, "Acme-DLP: ttt"), "the source capitalised, the rest as it is: %s", got.Title)
	assert.Equal(t, datadogMaxTitleChars, utf8.RuneCountInString(got.Title), "titles are cut to Datadog's 100 characters")
	assert.Equal(t, "{}", got.Text, "no data: an empty object")
}

func TestDatadogTextIsIndentedLikePython(t *testing.T) {
	// Nested maps hold one key each: a Go map's order is random.
	ev := serviceEvent(t, "a", map[string]any{"b": []any{1, 2.5, true, nil}}, "e", map[string]any{}, "c", []any{}, "s", "é\"\n")
	got := encodeDatadog(t, DatadogConfig{}, ev)[0]
	// json.dumps(data, indent=2, ensure_ascii=False) in Python.
	want := "{\n  \"a\": {\n    \"b\": [\n      1,\n      2.5,\n      true,\n      null\n    ]\n  },\n  \"e\": {},\n  \"c\": [],\n  \"s\": \"é\\\"\\n\"\n}"
	assert.Equal(t, want, got.Text)
}

func TestDatadogTextStaysWithinTheLimit(t *testing.T) {
	manyFields := make([]any, 0, 600)
	for i := range 300 {
		manyFields = append(manyFields, fmt.Sprintf("field_%03d", i), strings.Repeat("v", 20))
	}
	bigList := make([]any, 2000)
	for i := range bigList {
		bigList[i] = i
	}
	for _, tt := range []struct {
		name      string
		ev        formats.Event
		keep      []string // keys that must stay, in full or cut
		cutPrefix string   // a cut string starts so and ends in "…"
	}{
		{"one long string", serviceEvent(t, "file_id", "abc123", "message", strings.Repeat("m", 10000), "owner", "user@example.com"),
			[]string{"file_id", "message", "owner"}, "mmmm"},
		{"many fields", serviceEvent(t, manyFields...), []string{"field_000", "field_050"}, ""},
		{"long list", serviceEvent(t, "file_id", "abc123", "ids", bigList, "owner", "user@example.com"), []string{"file_id", "owner"}, ""},
		{"multi-byte runes", serviceEvent(t, "file_id", "abc123", "message", strings.Repeat("é", 10000)), []string{"file_id", "message"}, "éééé"},
		{"escapes", serviceEvent(t, "file_id", "abc123", "message", strings.Repeat("\x01", 10000)), []string{"file_id", "message"}, "\x01\x01"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeDatadog(t, DatadogConfig{}, tt.ev)[0]
			assert.LessOrEqual(t, utf8.RuneCountInString(got.Text), datadogMaxTextChars)
			var text map[string]any
			require.NoError(t, json.Unmarshal([]byte(got.Text), &text), "the cut text is still JSON: %s", got.Text)
			for _, k := range tt.keep {
				assert.Contains(t, text, k)
			}
			assert.Contains(t, text["_truncated"], "to fit Datadog's 4000 characters")
			if tt.cutPrefix != "" {
				msg, _ := text["message"].(string)
				assert.True(t, strings.HasPrefix(msg, tt.cutPrefix) && strings.HasSuffix(msg, "…"), "cut string: %.40q", msg)
				assert.Greater(t, utf8.RuneCountInString(got.Text), datadogMaxTextChars-datadogTruncationReserve-200, "a cut string uses the room there is")
			}
			assert.True(t, strings.HasPrefix(got.Text, "{\n  \""), "indented as the full text")
		})
	}
}

func TestDatadogHeadersAndBatch(t *testing.T) {
	enc := newDatadog(DatadogConfig{APIKey: "0123456789abcdef0123456789abcdef"})
	h := http.Header{}
	enc.SetHeaders(h)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", h.Get("DD-API-KEY"))
	batch, err := enc.Encode([]formats.Event{serviceEvent(t, "n", 0), serviceEvent(t, "n", 1), serviceEvent(t, "n", 2)})
	require.NoError(t, err)
	assert.True(t, batch.Concurrent, "single-event requests may run in parallel")
	for i, r := range batch.Requests {
		var p datadogPayload
		require.NoError(t, json.Unmarshal(r.Body, &p))
		assert.Contains(t, p.Text, fmt.Sprintf(`"n": %d`, i))
	}
}

func TestDatadogCheck(t *testing.T) {
	for _, tt := range []struct {
		cfg  DatadogConfig
		want string
	}{
		{DatadogConfig{}, ""},
		{DatadogConfig{Site: "datadoghq.eu", Tags: []string{"env:prod"}}, ""},
		{DatadogConfig{Site: "https://api.datadoghq.eu"}, `datadog::site: "https://api.datadoghq.eu" is not a site name; write the site's domain only`},
		{DatadogConfig{Site: "api.datadoghq.com"}, "datadog::site"},
		{DatadogConfig{Tags: []string{"env:prod", " "}}, "datadog::tags[1]: empty tag"},
	} {
		err := tt.cfg.check()
		if tt.want == "" {
			assert.NoError(t, err)
			continue
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
}
