package webhookexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
	"github.com/sentyr/webhookexporter/internal/testsink/essink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// withBodyKeys sets key to an attacker's value in the body of every record
// of ld: event content under a routing attribute's name.
func withBodyKeys(ld plog.Logs, keys ...string) plog.Logs {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				for _, k := range keys {
					lr.Body().Map().PutStr(k, "attacker")
				}
			}
		}
	}
	return ld
}

// Through the mapping and a HEC receiver: a body that names an index,
// sourcetype, source and host routes nothing; each event goes where its
// record's attributes, else its resource's, else the settings say, and
// the body's keys stay in its event as content.
func TestHECBodyKeysDoNotRoute(t *testing.T) {
	s := hecsink.New(t, hecTestToken, false)
	cfg := hecCfg(s, hecTestToken)
	cfg.SplunkHEC.Index = "main"
	exp := startExporter(t, cfg)
	keys := []string{"com.splunk.index", "com.splunk.sourcetype", "com.splunk.source", "host.name"}
	require.NoError(t, exp.ConsumeLogs(context.Background(), withBodyKeys(routedLogs(t, "com.splunk.index"), keys...)))

	requests, _ := hecSnapshot(s)
	require.Len(t, requests, 1)
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
		for _, k := range keys {
			assert.Equal(t, "attacker", objs[i]["event"].(map[string]any)[k], "event %d keeps its content", i)
		}
	}
	assert.Equal(t, "sentyr:alert", objs[0]["sourcetype"])
	assert.Equal(t, "scanner", objs[0]["source"])
	assert.Equal(t, "scanner-1.example.com", objs[0]["host"])
	assert.Equal(t, "sentyr:file_shared_externally", objs[1]["sourcetype"])
	assert.Equal(t, "sentyr", objs[1]["source"])
	assert.Equal(t, "sentyr", objs[1]["host"])
}

func TestElasticBulkBodyKeyDoesNotRoute(t *testing.T) {
	s := essink.New(t)
	cfg := esCfg(s, "/_bulk")
	cfg.Elastic.Index = "sentyr-events"
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), withBodyKeys(routedLogs(t, "elasticsearch.index"), "elasticsearch.index")))

	bulks := s.Bulks()
	require.Len(t, bulks, 1, "one request")
	require.Len(t, bulks[0], 4)
	for i, want := range []string{"rec-a", "rec-b", "res-index", "sentyr-events"} {
		a := bulks[0][i]
		assert.Equal(t, want, a.Index, "event %d", i)
		assert.Equal(t, "attacker", a.Source["sentyr"].(map[string]any)["elasticsearch.index"], "event %d keeps its content", i)
	}
}

func TestDatadogLogsBodyKeysDoNotTag(t *testing.T) {
	s := ddsink.NewLogs(t)
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.DatadogLogs.TagAttributes = []string{"team", "cloud.region"}
	exp := startExporter(t, cfg)
	ld := withBodyKeys(seedLogs(t, seedExample, seedExample), "team", "cloud.region", "host.name")
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr("cloud.region", "eu-west-1")
	rl.Resource().Attributes().PutStr("host.name", "scanner-7")
	rl.ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("team", "red")
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	accepted, _, _, _ := s.Seen()
	require.Len(t, accepted, 1)
	e := accepted[0].Entries
	assert.Equal(t, "event_type:file_shared_externally,severity:warning,source:sentyr,team:red,cloud.region:eu-west-1", e[0]["ddtags"])
	assert.Equal(t, "event_type:file_shared_externally,severity:warning,source:sentyr,cloud.region:eu-west-1", e[1]["ddtags"])
	assert.Equal(t, "scanner-7", e[0]["hostname"])
	assert.Equal(t, "scanner-7", e[1]["hostname"])
}
