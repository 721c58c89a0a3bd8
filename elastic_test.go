package webhookexporter

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/internal/testsink/essink"
)

func esCfg(s *essink.Sink, path string) *Config {
	cfg := withoutQueue(testCfg(s.URL + path))
	cfg.Format = "elastic"
	cfg.Elastic.APIKey = configopaque.String(essink.Key)
	return cfg
}

func TestElasticBulkRetriesOnlyFailedItemsAndDropsRefusedOnes(t *testing.T) {
	s := essink.New(t)
	s.Script(map[int]int{2: 429, 7: 429, 4: 400})
	cfg := esCfg(s, "/_bulk")
	cfg.Elastic.Index = "sentyr-events"
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(10, 0)))

	bulks := s.Bulks()
	require.Len(t, bulks, 2, "the batch, then the items that got 429")
	require.Len(t, bulks[0], 10)
	require.Len(t, bulks[1], 2, "exactly items 2 and 7 are sent again")
	assert.Equal(t, []string{bulks[0][2].ID, bulks[0][7].ID}, []string{bulks[1][0].ID, bulks[1][1].ID}, "with the same _id")
	for _, a := range bulks[0] {
		assert.Equal(t, "create", a.Op)
		assert.Equal(t, "sentyr-events", a.Index)
		assert.Len(t, a.ID, 32, "_id is the event id")
	}
	stored := s.StoredSeqs(t)
	slices.Sort(stored)
	assert.Equal(t, countTo(10, 4), stored, "each event once, item 4 never")

	drops := exp.logs.FilterMessageSnippet("refused an event")
	require.Equal(t, 1, drops.Len(), "one log line for item 4")
	fields := drops.All()[0].ContextMap()
	assert.Equal(t, "Elasticsearch item status 400, mapper_parsing_exception: failed to parse field [sentyr.seq] of type [date]", fields["reason"])
	assert.Equal(t, bulks[0][4].ID, fields["event_id"])
}

func TestElasticBulkConflictMeansDelivered(t *testing.T) {
	s := essink.New(t)
	exp := startExporter(t, esCfg(s, "/sentyr/_bulk"))
	ld := numberedLogs(5, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	// The same events again, as after an answer lost on the way back.
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	assert.Equal(t, countTo(5), s.StoredSeqs(t), "stored once")
	assert.Zero(t, exp.logs.FilterMessageSnippet("refused").Len(), "409 is delivered, not refused")
	assert.Equal(t, int64(10), sentRecords(t, exp))
}

func TestElasticDocEndpointSendsOneDocumentPerRequest(t *testing.T) {
	s := essink.New(t)
	exp := startExporter(t, esCfg(s, "/sentyr/_doc"))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(6, 0)))

	stored := s.StoredSeqs(t)
	slices.Sort(stored)
	assert.Equal(t, countTo(6), stored)
	assert.Equal(t, 6, s.DocRequests())
}

// TestElasticDocResendIsAConflictNotASecondDocument sends the same
// events twice to a /_doc endpoint, as a restart would: each is one
// document, created under its event id, and the 409 of the second time
// counts as delivered.
func TestElasticDocResendIsAConflictNotASecondDocument(t *testing.T) {
	s := essink.New(t)
	exp := startExporter(t, esCfg(s, "/sentyr/_doc?refresh=false"))
	ld := numberedLogs(4, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	stored := s.StoredSeqs(t)
	slices.Sort(stored)
	assert.Equal(t, countTo(4), stored, "one document per event")
	ids := eventIDs(ld)
	docs := s.Docs()
	for _, id := range ids {
		assert.Contains(t, docs, "sentyr/"+id, "the document's _id is the event id")
	}
	assert.Equal(t, 8, s.DocRequests(), "both times sent")
	assert.Zero(t, exp.logs.FilterMessageSnippet("refused").Len(), "409 is delivered, not refused")
	assert.Equal(t, int64(8), sentRecords(t, exp))
}

func TestElasticWithoutCredentialsIsRefused(t *testing.T) {
	s := essink.New(t)
	cfg := esCfg(s, "/sentyr/_bulk")
	cfg.Elastic.APIKey = ""
	exp := startExporter(t, cfg)

	err := exp.ConsumeLogs(context.Background(), numberedLogs(2, 0))

	require.Error(t, err)
	assert.Empty(t, s.StoredSeqs(t))
	assert.Equal(t, 1, exp.logs.FilterMessageSnippet("refused the events").Len(), "401 is one log line for the request")
}

// TestServiceFormatSettingsAreValidated checks that the collector's
// validation reaches each service format's settings and names the field.
func TestServiceFormatSettingsAreValidated(t *testing.T) {
	for _, tt := range []struct {
		name string
		conf map[string]any
		want string
	}{
		{"bulk without index", map[string]any{"endpoint": "https://es.example.com:9200/_bulk", "format": "elastic"},
			"elastic::index: required with a /_bulk endpoint"},
		{"elastic endpoint without _doc or _bulk", map[string]any{"endpoint": "https://es.example.com:9200/sentyr", "format": "elastic"},
			"must end in /<index>/_doc"},
		{"pipeline with _doc", map[string]any{"endpoint": "https://es.example.com/sentyr/_doc", "format": "elastic", "elastic": map[string]any{"pipeline": "p"}},
			"add ?pipeline=<name> to the endpoint"},
		{"tiny HEC requests", map[string]any{"endpoint": "https://splunk.example.com:8088/services/collector/event", "format": "splunk_hec",
			"splunk_hec": map[string]any{"max_request_bytes": 10}}, "splunk_hec::max_request_bytes: 10 is too small"},
		{"Datadog site with scheme", map[string]any{"endpoint": "https://api.datadoghq.eu/api/v1/events", "format": "datadog",
			"datadog": map[string]any{"site": "https://datadoghq.eu"}}, "datadog::site"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(tt.conf).Unmarshal(cfg))
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
