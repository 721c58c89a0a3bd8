package webhookexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink/essink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// routedLogs is a batch of four events over two resources: the first
// resource names index "res-index" for its events, its first record
// overrides it with "rec-a" and its second with "rec-b"; the second
// resource names none, so its event falls back to the settings. kind is
// the attribute that names the index.
func routedLogs(t *testing.T, attr string) plog.Logs {
	ld := seedLogs(t, seedExample, seedExample, seedExample)
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr(attr, "res-index")
	lrs := rl.ScopeLogs().At(0).LogRecords()
	lrs.At(0).Attributes().PutStr(attr, "rec-a")
	lrs.At(1).Attributes().PutStr(attr, "rec-b")
	lrs.At(0).Attributes().PutStr("com.splunk.sourcetype", "sentyr:alert")
	lrs.At(0).Attributes().PutStr("com.splunk.source", "scanner")
	lrs.At(0).Attributes().PutStr("host.name", "scanner-1.example.com")
	seedLogs(t, seedExample).ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	return ld
}

// A batch mixing three indexes (and a fallback) arrives in one request,
// each event under its own index, without the routing attributes in its
// data.
func TestHECRoutesEachEventByItsAttributes(t *testing.T) {
	s := hecsink.New(t, hecTestToken, false)
	cfg := hecCfg(s, hecTestToken)
	cfg.SplunkHEC.Index = "main"
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), routedLogs(t, "com.splunk.index")))

	requests, indexed := hecSnapshot(s)
	require.Len(t, requests, 1)
	require.Len(t, indexed, 4)
	dec := json.NewDecoder(bytes.NewReader(requests[0].body))
	var objs []map[string]any
	for dec.More() {
		var obj map[string]any
		require.NoError(t, dec.Decode(&obj))
		objs = append(objs, obj)
	}
	require.Len(t, objs, 4)
	for i, want := range []string{"rec-a", "rec-b", "res-index", "main"} {
		assert.Equal(t, want, objs[i]["index"], "event %d", i)
		for _, k := range []string{"com.splunk.index", "com.splunk.sourcetype", "com.splunk.source", "host.name"} {
			assert.NotContains(t, objs[i]["event"], k, "event %d", i)
		}
	}
	assert.Equal(t, "sentyr:alert", objs[0]["sourcetype"])
	assert.Equal(t, "scanner", objs[0]["source"])
	assert.Equal(t, "scanner-1.example.com", objs[0]["host"])
	// The others keep the defaults.
	assert.Equal(t, "sentyr:file_shared_externally", objs[1]["sourcetype"])
	assert.Equal(t, "sentyr", objs[1]["source"])
	assert.Equal(t, "sentyr", objs[1]["host"])
}

func TestElasticBulkRoutesEachEventByItsAttribute(t *testing.T) {
	s := essink.New(t)
	cfg := esCfg(s, "/_bulk")
	cfg.Elastic.Index = "sentyr-events"
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), routedLogs(t, "elasticsearch.index")))

	bulks := s.Bulks()
	require.Len(t, bulks, 1, "one request")
	require.Len(t, bulks[0], 4)
	for i, want := range []string{"rec-a", "rec-b", "res-index", "sentyr-events"} {
		a := bulks[0][i]
		assert.Equal(t, want, a.Index, "event %d", i)
		assert.NotContains(t, a.Source["sentyr"], "elasticsearch.index", "event %d", i)
	}
}
