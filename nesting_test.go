package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/memstorage"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// deepBody is one record whose body nests depth maps, each at "k", the
// innermost holding "k": "v"; nestedText is such a value as JSON.
func deepBody(depth int) plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
	m := lr.Body().SetEmptyMap()
	for range depth - 1 {
		m = m.PutEmptyMap("k")
	}
	m.PutStr("k", "v")
	return ld
}

func nestedText(depth int) string {
	return strings.Repeat(`{"k":`, depth) + `"v"` + strings.Repeat("}", depth)
}

// deepOf says whether ld's body still nests deeper than a queue reads back.
func deepOf(ld plog.Logs) bool {
	v := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body()
	for range mapping.MaxNestedLevels {
		if v.Type() != pcommon.ValueTypeMap {
			return false
		}
		v, _ = v.Map().Get("k")
	}
	return v.Type() == pcommon.ValueTypeMap
}

// The batch a pipeline shares is not changed: the cut is made on a copy.
func TestFlattenLeavesTheGivenBatchAlone(t *testing.T) {
	s := testsink.NewRecorder(t, ok)
	exp := startExporter(t, testCfg(s.URL))
	ld := deepBody(40)
	ld.MarkReadOnly()
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	s.Wait(t, 1)
	assert.True(t, deepOf(ld), "the given batch keeps its depth")
	assert.EqualValues(t, 1, metricTotal(t, exp.telemetry, mapping.FlattenedRecordsMetric))
	assert.Equal(t, 1, exp.logs.FilterMessageSnippet("nested deeper than a queue can store").Len())
}

// Records nested 40 and 10,000 maps deep go through a queue kept in
// storage, across a restart, and arrive as valid JSON with all their
// content: below the limit as JSON text. Before, the queue stored them
// and dropped them when it read them back.
func TestDeepRecordsSurviveAPersistentQueueAndARestart(t *testing.T) {
	for _, depth := range []int{40, 10_000} {
		t.Run(strconv.Itoa(depth), func(t *testing.T) {
			store := memstorage.New()
			host := &storageHost{ext: map[component.ID]component.Component{storageID: store}}

			// First run: the receiver is down, the records stay queued.
			down := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusServiceUnavailable) })
			first, tel := startQueueExporter(t, down.URL, host)
			require.NoError(t, first.ConsumeLogs(context.Background(), deepBody(depth)))
			down.Wait(t, 1) // read back from storage and tried
			require.NoError(t, first.Shutdown(context.Background()))
			require.NoError(t, tel.Shutdown(context.Background()))

			// Second run: the queue is read from storage again.
			up := testsink.NewRecorder(t, ok)
			second, tel2 := startQueueExporter(t, up.URL, host)
			body := up.Wait(t, 1)[0].Body
			require.NoError(t, second.Shutdown(context.Background()))
			require.NoError(t, tel2.Shutdown(context.Background()))

			var ev struct {
				Data map[string]any `json:"data"`
			}
			require.NoError(t, json.Unmarshal(body, &ev), "valid JSON")
			// data is the body map, the first level.
			var v any = ev.Data
			maps := 0
			for {
				m, isMap := v.(map[string]any)
				if !isMap {
					break
				}
				maps++
				v = m["k"]
			}
			assert.Equal(t, mapping.MaxNestedLevels, maps, "maps kept as maps")
			assert.Equal(t, nestedText(depth-mapping.MaxNestedLevels), v, "the rest as its JSON text")
		})
	}
}

var storageID = component.MustNewID("memory_storage")

func startQueueExporter(t *testing.T, endpoint string, host component.Host) (exporter.Logs, *componenttest.Telemetry) {
	t.Helper()
	cfg := testCfg(endpoint)
	cfg.RetryConfig.MaxElapsedTime = 0
	queue := cfg.QueueConfig.Get()
	queue.StorageID = &storageID
	tel := componenttest.NewTelemetry()
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	return exp, tel
}

// storageHost is a host with a storage extension.
type storageHost struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h *storageHost) GetExtensions() map[component.ID]component.Component { return h.ext }
