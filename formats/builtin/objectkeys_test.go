package builtin

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsontest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// repeatedKeyMap is {"x": 1, "x": 2, "y": [{"z": "a", "z": "b"}]} as
// pdata holds it when read from the wire: pcommon.Map checks nothing there.
func repeatedKeyMap(t testing.TB) pcommon.Value {
	t.Helper()
	const otlp = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[
		{"key":"x","value":{"intValue":"1"}},
		{"key":"x","value":{"intValue":"2"}},
		{"key":"y","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[
			{"key":"z","value":{"stringValue":"a"}},
			{"key":"z","value":{"stringValue":"b"}}]}}]}}}]}}}]}]}]}`
	ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs([]byte(otlp))
	require.NoError(t, err)
	body := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body()
	require.Equal(t, 3, body.Map().Len(), "the key is there twice")
	return body
}

// repeatedKeyEvent has data keys that repeat once written: invalid UTF-8
// that becomes U+FFFD, a map holding a key twice, and HEC's renamed
// event_type next to a data.event_type.
func repeatedKeyEvent(t testing.TB) formats.Event {
	ev := serviceEvent(t, "a\xff", "first", "a\xfe", "second", "a\uFFFD", "third",
		"event_type", "first-type", "data.event_type", "second-type")
	m := repeatedKeyMap(t)
	ev.Data = append(ev.Data, formats.Field{Key: "m", Value: m}, formats.Field{Key: "m", Value: pcommon.NewValueStr("again")})
	ev.Body = m
	return ev
}

// Every format, with every document it carries, writes each key of an
// object once; where a format's data is found in its body, the first
// value is the one kept.
func TestObjectKeysAreUniqueFirstValueWins(t *testing.T) {
	encoders := builtinEncoders(map[string]Encoder{
		// The variants whose bodies are one object holding the data.
		"elastic": mustElastic("https://es.example.com/sentyr/_doc"),
		"custom":  mustCustom(CustomConfig{Template: `{"data": {{ event_data | tojson }}}`}),
	})
	for name, enc := range encoders {
		t.Run(name, func(t *testing.T) {
			batch, err := enc.Encode([]formats.Event{repeatedKeyEvent(t)})
			require.NoError(t, err)
			require.Empty(t, batch.Rejected)
			require.NotEmpty(t, batch.Requests)
			for _, r := range batch.Requests {
				jsontest.AssertUniqueKeys(t, r.Body)
			}
			body := batch.Requests[0].Body
			var doc map[string]any
			var data map[string]any
			switch name {
			case "json", "custom":
				require.NoError(t, json.Unmarshal(body, &doc))
				data = doc["data"].(map[string]any)
			case "elastic":
				require.NoError(t, json.Unmarshal(body, &doc))
				data = doc[defaultElasticDataKey].(map[string]any)
			case "splunk_hec":
				require.NoError(t, json.Unmarshal(body, &doc))
				data = doc["event"].(map[string]any)
				assert.Equal(t, "first-type", data["data.event_type"], "renamed event_type is first")
			case "datadog":
				require.NoError(t, json.Unmarshal(body, &doc))
				text := []byte(doc["text"].(string))
				jsontest.AssertUniqueKeys(t, text)
				require.NoError(t, json.Unmarshal(text, &data))
			case "body":
				require.NoError(t, json.Unmarshal(body, &doc))
				assert.Equal(t, map[string]any{"x": 1.0, "y": []any{map[string]any{"z": "a"}}}, doc)
				return
			default:
				return // keys unique; where its data lies is the format's own test's
			}
			assert.Equal(t, "first", data["a\uFFFD"])
			assert.Equal(t, map[string]any{"x": 1.0, "y": []any{map[string]any{"z": "a"}}}, data["m"])
			if name != "splunk_hec" {
				assert.Equal(t, "first-type", data["event_type"])
				assert.Equal(t, "second-type", data["data.event_type"])
			}
		})
	}
}

// Elasticsearch's _bulk documents leave out the routing attribute and keep
// each key once, the first value, as its _doc documents do.
func TestElasticBulkDocumentKeysAreUnique(t *testing.T) {
	enc, err := newElastic(ElasticConfig{Index: "sentyr"}, "https://es.example.com/_bulk")
	require.NoError(t, err)
	ev := repeatedKeyEvent(t)
	withAttribute(&ev, attrElasticIndex, "other")
	batch, err := enc.Encode([]formats.Event{ev})
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSuffix(batch.Requests[0].Body, []byte{'\n'}), []byte{'\n'})
	require.Len(t, lines, 2)
	assert.Contains(t, string(lines[0]), `"_index":"other"`)
	jsontest.AssertUniqueKeys(t, lines[1])
	var doc map[string]any
	require.NoError(t, json.Unmarshal(lines[1], &doc))
	data := doc[defaultElasticDataKey].(map[string]any)
	assert.Equal(t, "first", data["a\uFFFD"])
	assert.Equal(t, map[string]any{"x": 1.0, "y": []any{map[string]any{"z": "a"}}}, data["m"])
	assert.NotContains(t, data, attrElasticIndex)
}

// The custom format's templates that gonja renders see the same keys.
func TestTemplateDataKeysFirstValueWins(t *testing.T) {
	for _, tpl := range []string{
		`{{ event_data | tojson }}`,
		`{% set d = event_data %}{{ d | tojson }}`,
		`{"m": {{ event_data.m | tojson }}, "t": {{ event_data["event_type"] | tojson }}}`,
	} {
		enc, err := newCustom(CustomConfig{Template: tpl})
		require.NoError(t, err)
		batch, err := enc.Encode([]formats.Event{repeatedKeyEvent(t)})
		require.NoError(t, err)
		require.Empty(t, batch.Rejected, tpl)
		body := batch.Requests[0].Body
		jsontest.AssertUniqueKeys(t, body)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc), tpl)
		assert.Equal(t, map[string]any{"x": 1.0, "y": []any{map[string]any{"z": "a"}}}, doc["m"], tpl)
		if v, ok := doc["a\uFFFD"]; ok {
			assert.Equal(t, "first", v, tpl)
		}
		if v, ok := doc["t"]; ok {
			assert.Equal(t, "first-type", v, tpl)
		}
	}
	ev := repeatedKeyEvent(t)
	m := ev.DataMap()
	assert.Equal(t, "first", m["a\uFFFD"])
	assert.Equal(t, map[string]any{"x": int64(1), "y": []any{map[string]any{"z": "a"}}}, m["m"])
}
