package builtin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func elasticFor(t testing.TB, cfg ElasticConfig, endpoint string) *elasticEncoder {
	t.Helper()
	enc, err := newElastic(cfg, endpoint)
	require.NoError(t, err)
	return enc
}

func TestElasticSeedDocument(t *testing.T) {
	ev := serviceEvent(t, seedData...)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(elasticFor(t, ElasticConfig{}, "https://es.example.com:9200/sentyr/_doc").AppendDocument(nil, &ev), &doc))
	assert.Equal(t, map[string]any{
		"@timestamp": "2025-10-29T12:00:00Z",
		"event":      map[string]any{"kind": "alert", "category": []any{"security"}, "type": []any{"file_shared_externally"}, "severity": 2.0},
		"observer":   map[string]any{"name": "sentyr", "type": "security_scanner"},
		"message":    "Sentyr event: file_shared_externally",
		"sentyr":     map[string]any{"file_id": "abc123", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com"},
	}, doc)
}

func TestElasticSeverityAndDataKey(t *testing.T) {
	enc := elasticFor(t, ElasticConfig{DataKey: "dlp"}, "https://es.example.com/sentyr/_doc")
	for sev, want := range map[string]float64{formats.SeverityInfo: 1, formats.SeverityWarning: 2, formats.SeverityError: 3, formats.SeverityCritical: 4, "bogus": 1} {
		ev := serviceEvent(t, "k", "v")
		ev.Severity = sev
		ev.Source = "acme"
		var doc struct {
			Event    struct{ Severity float64 }
			Message  string
			Observer struct{ Name string }
			DLP      map[string]any `json:"dlp"`
		}
		require.NoError(t, json.Unmarshal(enc.AppendDocument(nil, &ev), &doc))
		assert.InDelta(t, want, doc.Event.Severity, 0, sev)
		assert.Equal(t, "Acme event: file_shared_externally", doc.Message)
		assert.Equal(t, "acme", doc.Observer.Name)
		assert.Equal(t, map[string]any{"k": "v"}, doc.DLP)
	}
}

func TestElasticDocEndpointSendsOneDocumentPerRequest(t *testing.T) {
	enc := elasticFor(t, ElasticConfig{APIKey: "ZW5jb2RlZA=="}, "https://es.example.com/sentyr/_doc")
	assert.Equal(t, "application/json", enc.ContentType())
	h := http.Header{}
	enc.SetHeaders(h)
	assert.Equal(t, "ApiKey ZW5jb2RlZA==", h.Get("Authorization"))
	batch, err := enc.Encode([]formats.Event{serviceEvent(t, "n", 0), serviceEvent(t, "n", 1)})
	require.NoError(t, err)
	assert.True(t, batch.Concurrent)
	require.Len(t, batch.Requests, 2)
	for i, r := range batch.Requests {
		assert.Equal(t, []int{i}, r.Events)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &doc))
		assert.EqualValues(t, i, doc["sentyr"].(map[string]any)["n"])
	}
	assert.Nil(t, enc.ReadResponse(&batch.Requests[0], 201, []byte(`{"result":"created"}`)), "the status decides for _doc")
}

func TestElasticBulkBody(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cfg      ElasticConfig
		endpoint string
		action   map[string]any
	}{
		{"index setting", ElasticConfig{Index: "sentyr-events"}, "https://es.example.com/_bulk",
			map[string]any{"_index": "sentyr-events"}},
		// The path's index is every action's default: not written again.
		{"index in path, pipeline", ElasticConfig{Pipeline: "geoip"}, "https://es.example.com/logs-sentyr/_bulk/",
			map[string]any{"pipeline": "geoip"}},
		{"index in path and the same in the settings", ElasticConfig{Index: "logs-sentyr"}, "https://es.example.com/logs-sentyr/_bulk",
			map[string]any{}},
		{"index in path, another in the settings", ElasticConfig{Index: "other", Pipeline: "geoip"}, "https://es.example.com/logs-sentyr/_bulk",
			map[string]any{"_index": "other", "pipeline": "geoip"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enc := elasticFor(t, tt.cfg, tt.endpoint)
			assert.Equal(t, "application/x-ndjson", enc.ContentType())
			events := []formats.Event{serviceEvent(t, "n", 0), serviceEvent(t, "n", 1), serviceEvent(t, "n", 2)}
			for i := range events {
				events[i].ID = string(rune('a'+i)) + "\"id"
			}
			batch, err := enc.Encode(events)
			require.NoError(t, err)
			require.Len(t, batch.Requests, 1)
			body := batch.Requests[0].Body
			require.True(t, bytes.HasSuffix(body, []byte("\n")), "a bulk body ends in a newline")
			lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
			require.Len(t, lines, 2*len(events), "an action line before every document")
			for i := range events {
				var action map[string]map[string]any
				require.NoError(t, json.Unmarshal(lines[2*i], &action))
				want := map[string]any{"_id": events[i].ID}
				for k, v := range tt.action {
					want[k] = v
				}
				assert.Equal(t, map[string]map[string]any{"create": want}, action)
				var doc map[string]any
				require.NoError(t, json.Unmarshal(lines[2*i+1], &doc))
				assert.EqualValues(t, i, doc["sentyr"].(map[string]any)["n"])
			}
			assert.Equal(t, []int{0, 1, 2}, batch.Requests[0].Events)
		})
	}
}

func TestElasticReadsBulkItems(t *testing.T) {
	enc := elasticFor(t, ElasticConfig{Index: "x"}, "https://es.example.com/_bulk")
	req := &Request{Events: []int{0, 1, 2, 3, 4}}
	D, R, X := Delivered, Retry, Drop
	item := func(status int, errType string) string {
		if errType == "" {
			return `{"create":{"_index":"x","_id":"i","status":` + strconv.Itoa(status) + `,"result":"created"}}`
		}
		return `{"create":{"_index":"x","_id":"i","status":` + strconv.Itoa(status) + `,"error":{"type":"` + errType + `","reason":"because ` + errType + `"}}}`
	}
	items := func(parts ...string) string {
		return `{"took":3,"errors":true,"items":[` + strings.Join(parts, ",") + `]}`
	}
	for _, tt := range []struct {
		name   string
		status int
		body   string
		want   []Outcome
	}{
		{"no errors", 200, `{"took":3,"errors":false,"items":[]}`, nil},
		{"not 2xx: the status decides", 429, `{"error":"too many"}`, nil},
		{"mixed", 200, items(item(201, ""), item(429, "es_rejected_execution_exception"), item(400, "mapper_parsing_exception"),
			item(409, "version_conflict_engine_exception"), item(503, "unavailable_shards_exception")), []Outcome{D, R, X, D, R}},
		{"unreadable", 200, `<html>`, []Outcome{R, R, R, R, R}},
		{"item count differs", 200, items(item(201, "")), []Outcome{R, R, R, R, R}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := enc.ReadResponse(req, tt.status, []byte(tt.body))
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			require.Len(t, got, len(tt.want))
			for i, r := range got {
				assert.Equal(t, tt.want[i], r.Outcome, "item %d", i)
			}
			if tt.name == "mixed" {
				assert.Equal(t, "Elasticsearch item status 400, mapper_parsing_exception: because mapper_parsing_exception", got[2].Reason)
				assert.Contains(t, got[1].Reason, "es_rejected_execution_exception")
			}
		})
	}
}

func TestElasticCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cfg      ElasticConfig
		endpoint string
		want     string
	}{
		{"doc", ElasticConfig{}, "https://es.example.com:9200/sentyr/_doc", ""},
		{"bulk with index", ElasticConfig{Index: "sentyr"}, "https://es.example.com:9200/_bulk", ""},
		{"bulk with index in path", ElasticConfig{}, "https://es.example.com:9200/sentyr/_bulk", ""},
		{"bulk without index", ElasticConfig{}, "https://es.example.com:9200/_bulk", "elastic::index: required with a /_bulk endpoint"},
		{"neither doc nor bulk", ElasticConfig{}, "https://es.example.com:9200/sentyr", "must end in /<index>/_doc"},
		{"doc without index", ElasticConfig{}, "https://es.example.com:9200/_doc", "a /_doc endpoint must name the index"},
		{"doc with another index", ElasticConfig{Index: "other"}, "https://es.example.com/sentyr/_doc", `elastic::index: "other" differs from the index "sentyr"`},
		{"doc with pipeline", ElasticConfig{Pipeline: "p"}, "https://es.example.com/sentyr/_doc", "add ?pipeline=<name> to the endpoint"},
		{"dotted data key", ElasticConfig{DataKey: "a.b"}, "https://es.example.com/sentyr/_doc", "elastic::data_key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.check(tt.endpoint)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// With the index in the path, an action names an index only for an event
// routed to another one, and keeps the pipeline either way.
func TestElasticBulkRoutedEventNamesItsIndexWhereThePathNamesOne(t *testing.T) {
	enc := elasticFor(t, ElasticConfig{Pipeline: "geoip"}, "https://es.example.com/logs-sentyr/_bulk")
	routed := serviceEvent(t, "n", 1)
	withAttribute(&routed, attrElasticIndex, "other")
	events := []formats.Event{serviceEvent(t, "n", 0), routed}
	events[0].ID, events[1].ID = "a", "b"
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	lines := bytes.Split(batch.Requests[0].Body, []byte("\n"))
	assert.Equal(t, `{"create":{"pipeline":"geoip","_id":"a"}}`, string(lines[0]))
	assert.Equal(t, `{"create":{"_index":"other","pipeline":"geoip","_id":"b"}}`, string(lines[2]))
}
