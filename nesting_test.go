package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/bench"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// nestedMaps fills v with depth maps, one inside the other, the innermost
// holding "k": "v".
func nestedMaps(v pcommon.Value, depth int) {
	m := v.SetEmptyMap()
	for range depth - 1 {
		m = m.PutEmptyMap("k")
	}
	m.PutStr("k", "v")
}

// nestedText is nestedMaps(depth) as JSON.
func nestedText(depth int) string {
	return strings.Repeat(`{"k":`, depth) + `"v"` + strings.Repeat("}", depth)
}

// protoRoundTrip is what a persistent queue does to a batch: protobuf
// out, protobuf in.
func protoRoundTrip(ld plog.Logs) error {
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		return err
	}
	_, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	return err
}

// deepLogs is one record with a value of depth maps in the place where
// puts it.
func deepLogs(depth int, where string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	sl := rl.ScopeLogs().AppendEmpty()
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
	switch where {
	case "body":
		nestedMaps(lr.Body(), depth)
	case "attribute":
		nestedMaps(lr.Attributes().PutEmpty("deep"), depth)
	case "scope":
		nestedMaps(sl.Scope().Attributes().PutEmpty("deep"), depth)
	case "resource":
		nestedMaps(rl.Resource().Attributes().PutEmpty("deep"), depth)
	}
	return ld
}

var deepPlaces = []string{"body", "attribute", "scope", "resource"}

// The limit is pdata's: a value maxNestedLevels deep survives the queue's
// encoding wherever it is, one level more does not in an attribute.
func TestMaxNestedLevelsIsWhatAQueueReadsBack(t *testing.T) {
	for _, where := range deepPlaces {
		ld := deepLogs(maxNestedLevels, where)
		assert.False(t, deepOf(ld), where)
		assert.NoError(t, protoRoundTrip(ld), "%s %d levels deep", where, maxNestedLevels)
		deeper := deepLogs(maxNestedLevels+1, where)
		assert.True(t, deepOf(deeper), where)
		if where != "body" {
			assert.Error(t, protoRoundTrip(deeper), "%s %d levels deep", where, maxNestedLevels+1)
		}
		require.Equal(t, 1, flattenDeepValues(deeper))
		assert.NoError(t, protoRoundTrip(deeper), "%s cut", where)
		assert.False(t, deepOf(deeper), where)
	}
	assert.Error(t, protoRoundTrip(deepLogs(maxNestedLevels+2, "body")), "a body 2 levels deeper")
}

// The map or list at the cut becomes its JSON text exactly as the
// formats write JSON.
func TestFlattenWritesTheJSONTextAtTheCut(t *testing.T) {
	ld := deepLogs(maxNestedLevels, "body")
	m := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Map()
	var parent pcommon.Map
	for range maxNestedLevels - 1 {
		v, _ := m.Get("k")
		parent, m = m, v.Map()
	}
	// m is the 32nd map: what it holds at "k" is the 33rd level.
	cut := m.PutEmptyMap("k")
	cut.PutStr("quote\"", "line\nbreak\xff")
	cut.PutInt("n", -7)
	cut.PutDouble("pi", 3.5)
	cut.PutBool("yes", true)
	cut.PutEmptyBytes("raw").FromRaw([]byte{0, 1, 2})
	list := cut.PutEmptySlice("list")
	list.AppendEmpty().SetStr("a")
	list.AppendEmpty().SetEmptySlice().AppendEmpty().SetEmptyMap()
	// A list at the 32nd level is kept, its maps cut.
	kept := parent.PutEmptySlice("kept")
	kept.AppendEmpty().SetStr("scalar")
	kept.AppendEmpty().SetEmptyMap().PutStr("a", "b")

	require.Equal(t, 1, flattenDeepValues(ld))
	got, _ := m.Get("k")
	require.Equal(t, pcommon.ValueTypeStr, got.Type())
	assert.Equal(t, `{"quote\"":"line\nbreak\ufffd","n":-7,"pi":3.5,"yes":true,"raw":"AAEC","list":["a",[{}]]}`, got.Str())
	k, _ := parent.Get("kept")
	require.Equal(t, pcommon.ValueTypeSlice, k.Type())
	assert.Equal(t, "scalar", k.Slice().At(0).Str())
	assert.Equal(t, `{"a":"b"}`, k.Slice().At(1).Str())
}

// The batch a pipeline shares is not changed: the cut is made on a copy.
func TestFlattenLeavesTheGivenBatchAlone(t *testing.T) {
	s := testsink.NewRecorder(t, ok)
	exp := startExporter(t, testCfg(s.URL))
	ld := deepLogs(40, "body")
	ld.MarkReadOnly()
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	s.Wait(t, 1)
	assert.True(t, deepOf(ld), "the given batch keeps its depth")
	assert.EqualValues(t, 1, metricTotal(t, exp.telemetry, flattenedRecordsMetric))
	assert.Equal(t, 1, exp.logs.FilterMessageSnippet("nested deeper than a queue can store").Len())
}

// Records nested 40 and 10,000 maps deep go through a queue kept in
// storage, across a restart, and arrive as valid JSON with all their
// content: below the limit as JSON text. Before, the queue stored them
// and dropped them when it read them back.
func TestDeepRecordsSurviveAPersistentQueueAndARestart(t *testing.T) {
	for _, depth := range []int{40, 10_000} {
		t.Run(strconv.Itoa(depth), func(t *testing.T) {
			store := &memoryStorage{data: map[string][]byte{}}
			host := &storageHost{ext: map[component.ID]component.Component{storageID: store}}

			// First run: the receiver is down, the records stay queued.
			down := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusServiceUnavailable) })
			first, tel := startQueueExporter(t, down.URL, host)
			require.NoError(t, first.ConsumeLogs(context.Background(), deepLogs(depth, "body")))
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
			assert.Equal(t, maxNestedLevels, maps, "maps kept as maps")
			assert.Equal(t, nestedText(depth-maxNestedLevels), v, "the rest as its JSON text")
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

// memoryStorage is a storage extension that keeps what it stores in
// memory, for as long as the test holds it: across an exporter's restart,
// as file_storage keeps it across the collector's.
type memoryStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu   sync.Mutex
	data map[string][]byte
}

func (s *memoryStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return s, nil
}

func (s *memoryStorage) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.data[key]), nil
}

func (s *memoryStorage) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = clone(value)
	return nil
}

func (s *memoryStorage) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, key)
	return nil
}

func (s *memoryStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value, _ = s.Get(ctx, op.Key)
		case storage.Set:
			_ = s.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			_ = s.Delete(ctx, op.Key)
		}
	}
	return nil
}

func (s *memoryStorage) Close(context.Context) error { return nil }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// deepOf is scanBatch's answer on depth.
func deepOf(ld plog.Logs) bool {
	_, deep := scanBatch(ld)
	return deep
}

// BenchmarkScanBatch is the walk every batch pays before it is queued, on
// the benchmark's events (batch of 100).
func BenchmarkScanBatch(b *testing.B) {
	ld := bench.Logs(100)
	for range b.N {
		if untimed, deep := scanBatch(ld); untimed || deep {
			b.Fatal("the benchmark's events are timed and shallow")
		}
	}
}

// scanBatch reports each finding wherever in the batch its record is:
// an untimed record before or after a deep one, or either alone.
func TestScanBatchFindsBothInOneWalk(t *testing.T) {
	batch := func(records ...string) plog.Logs {
		ld := plog.NewLogs()
		sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
		for _, r := range records {
			lr := sl.LogRecords().AppendEmpty()
			if r != "untimed" {
				lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
			}
			if r == "deep" {
				nestedMaps(lr.Body(), maxNestedLevels+2)
			}
		}
		return ld
	}
	for _, tt := range []struct {
		records       []string
		untimed, deep bool
	}{
		{[]string{"plain", "plain"}, false, false},
		{[]string{"plain", "untimed"}, true, false},
		{[]string{"deep", "plain"}, false, true},
		{[]string{"deep", "untimed"}, true, true},
		{[]string{"untimed", "plain", "deep"}, true, true},
	} {
		untimed, deep := scanBatch(batch(tt.records...))
		assert.Equal(t, tt.untimed, untimed, "untimed in %v", tt.records)
		assert.Equal(t, tt.deep, deep, "deep in %v", tt.records)
	}
}
