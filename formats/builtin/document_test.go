package builtin

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every format of the table carries each document it lists, and refuses
// any other at load with what to write instead: one added to the table
// is checked the day it exists.
func TestEveryFormatCarriesItsDocumentsOrRefusesThem(t *testing.T) {
	for _, b := range Builtins() {
		for _, doc := range documentNames {
			t.Run(b.Name+"/"+doc, func(t *testing.T) {
				s, err := tableSettings(b)
				require.NoError(t, err)
				s.Document = doc
				err = b.Check(s)
				if doc == DocumentGuide || slices.Contains(b.Documents, doc) {
					require.NoError(t, err)
					enc, err := b.New(s)
					require.NoError(t, err)
					if doc != DocumentGuide {
						assert.False(t, enc.Wire().WithoutIDs, "a document carries the event's id")
					}
					return
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), "document: format "+b.Name+" ")
				assert.Contains(t, err.Error(), "use format json, splunk_hec, datadog_logs, elastic, secops, or remove document")
			})
		}
	}
}

func TestUnknownDocumentIsRefused(t *testing.T) {
	b, ok := LookupBuiltin("json")
	require.True(t, ok)
	s, err := tableSettings(b)
	require.NoError(t, err)
	s.Document = "ecs"
	require.EqualError(t, b.Check(s), `document: unknown document "ecs"; write guide (the default) or ocsf`)
}

// encodeOCSF encodes events with the table's format name carrying the
// ocsf document, its section set as conf says.
func encodeOCSF(t *testing.T, name string, conf map[string]any, events ...formats.Event) []byte {
	t.Helper()
	b, ok := LookupBuiltin(name)
	require.True(t, ok)
	s, err := settingsOf(b, conf)
	require.NoError(t, err)
	s.Document = DocumentOCSF
	require.NoError(t, b.Check(s))
	enc, err := b.New(s)
	require.NoError(t, err)
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	require.Len(t, batch.Requests, 1)
	return batch.Requests[0].Body
}

// HEC says the event is an OCSF Detection Finding, unless the settings
// or the event's attributes name another sourcetype; the attributes that
// route it are not in the document.
func TestHECSourcetypeOfOCSF(t *testing.T) {
	var got struct {
		Sourcetype string         `json:"sourcetype"`
		Event      map[string]any `json:"event"`
	}
	body := encodeOCSF(t, "splunk_hec", nil, serviceEvent(t, "file_name", "q3.xlsx"))
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, "ocsf:detection_finding", got.Sourcetype)

	body = encodeOCSF(t, "splunk_hec", map[string]any{"splunk_hec": map[string]any{"sourcetype": "mine"}}, serviceEvent(t))
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, "mine", got.Sourcetype)

	body = encodeOCSF(t, "splunk_hec", nil, serviceEvent(t, "com.splunk.sourcetype", "routed", "com.splunk.index", "sec", "file_name", "q3.xlsx"))
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, "routed", got.Sourcetype)
	assert.Equal(t, map[string]any{"file_name": "q3.xlsx"}, got.Event["unmapped"])
}

// A record attribute under an OCSF name whose value is not of the
// schema's type stays in unmapped, and so does a body member of that
// name: content is never moved.
func TestOCSFMapsOnlyValuesOfTheSchemasTypes(t *testing.T) {
	ev := serviceEvent(t, "src_endpoint.ip", "not-an-ip", "dst_endpoint.port", "443", "user.name", int64(5), "src_endpoint.port", int64(22),
		"file.path", "/tmp/x")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(encodeOCSF(t, "elastic", nil, ev)[len(`{"create":{"_id":"0123456789abcdef0123456789abcdef"}}`)+1:], &doc))
	assert.NotContains(t, doc, "evidences")
	assert.Equal(t, map[string]any{"src_endpoint.ip": "not-an-ip", "dst_endpoint.port": "443", "user.name": float64(5), "src_endpoint.port": float64(22),
		"file.path": "/tmp/x"}, doc["unmapped"], "a port alone is no endpoint, a path alone no file")

	content := guideExampleEvent(t)
	content.Body.Map().PutStr("user.name", "from-the-body")
	v, _ := content.Body.Map().Get("user.name")
	content.Data = append(content.Data, formats.Field{Key: "user.name", Value: v})
	content.Attributes.PutStr("user.name", "alice")
	require.NoError(t, json.Unmarshal(encodeOCSF(t, "json", nil, content), &doc))
	assert.Equal(t, "from-the-body", doc["unmapped"].(map[string]any)["user.name"])
	assert.Equal(t, "alice", doc["evidences"].([]any)[0].(map[string]any)["user"].(map[string]any)["name"])
}

// A Datadog entry carrying the document stays within the intake's 1 MB
// per log however large the event, and is still a Detection Finding.
func TestDatadogLogsOCSFEntryWithinTheIntakesLimit(t *testing.T) {
	ev := serviceEvent(t, "pad", strings.Repeat("p", 3_000_000), "user.name", strings.Repeat("u", 200_000))
	ev.Type = strings.Repeat("t", 200_000)
	ev.Source = strings.Repeat("s", 200_000)
	body := encodeOCSF(t, "datadog_logs", nil, ev)
	var entries []json.RawMessage
	require.NoError(t, json.Unmarshal(body, &entries))
	require.Len(t, entries, 1)
	assert.LessOrEqual(t, len(entries[0]), datadogLogsMaxEntryBytes)
	docs := ocsfEnvelopes["datadog_logs"](t, body)
	requireOCSFValid(t, loadOCSFSchema(t), "datadog_logs", docs)
	assert.Contains(t, docs[0]["unmapped"].(map[string]any)["_truncated"], "Datadog's 1 MB per log")
}

// A setting of the guide's document is refused with another document:
// it would be ignored.
func TestGuideSettingsAreRefusedWithAnotherDocument(t *testing.T) {
	for name, conf := range map[string]map[string]any{
		"json::include_id":  {"json": map[string]any{"include_id": true}},
		"elastic::data_key": {"elastic": map[string]any{"data_key": "sentyr", "api_key": "k"}},
	} {
		format, _, _ := strings.Cut(name, "::")
		b, ok := LookupBuiltin(format)
		require.True(t, ok)
		s, err := settingsOf(b, conf)
		require.NoError(t, err)
		require.NoError(t, b.Check(s), name)
		s.Document = DocumentOCSF
		err = b.Check(s)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name+": shapes the guide's document, not the ocsf one")
	}
}

// A registered Go formatter writes its own payload: another document than
// the guide's is refused for it too.
func TestRegisteredFormatterRefusesAnotherDocument(t *testing.T) {
	require.NoError(t, CheckRegistered("mine", &Settings{}))
	err := CheckRegistered("mine", &Settings{Sections: Sections{Document: DocumentOCSF}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "document: format mine writes a payload of its own and cannot carry the ocsf document")
}
