package webhookexporter

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/raceflag"
	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
)

// Hostile records reach Sentinel and Datadog Logs as valid rows and
// entries within the services' limits, and their neighbours intact.
func TestHostileInputReachesSentinelAndDatadogLogs(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	for _, tt := range hostileRecords {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sentinel := newSentinelSink(t)
			exp := startExporter(t, withoutQueue(sentinelCfg(sentinel)))
			require.NoError(t, exp.ConsumeLogs(context.Background(), withNeighbour(tt.fill)))
			got := sentinel.Accepted()
			require.Len(t, got, 1, "refused: %v", sentinel.Refused())
			require.Len(t, got[0].Rows, 2)
			assert.Equal(t, "intact", got[0].Rows[1]["Data"].(map[string]any)["neighbour"])

			dd := ddsink.NewLogs(t)
			exp = startExporter(t, withoutQueue(ddLogsCfg(dd)))
			require.NoError(t, exp.ConsumeLogs(context.Background(), withNeighbour(tt.fill)))
			accepted, _, refused, overSized := dd.Seen()
			require.Len(t, accepted, 1, "refused: %v", refused)
			require.Len(t, accepted[0].Entries, 2)
			assert.Equal(t, "intact", accepted[0].Entries[1]["neighbour"])
			assert.Zero(t, overSized)
		})
	}
}

// For every built-in format, and every document it carries, the memory
// encoding costs grows with the data, not faster: sixteen times the data
// costs at most four times as much per byte. The data is one large field,
// many fields, or many events. A body grows by doubling (bodybuffers.go),
// so what is allocated per byte is between twice and four times the
// bytes written, wherever the data's size falls between two doublings:
// linear work stays within a factor of two per byte, whatever the sizes;
// quadratic work costs sixteen times as much per byte at sixteen times
// the data. Each size is encoded by a new encoder, whose body buffers
// are empty: no measure depends on what an earlier one left in a pool.
func TestEncodeCostIsLinearForEveryFormat(t *testing.T) {
	raceflag.SkipSingleGoroutine(t)
	shapes := []struct {
		name string
		// the data, and the data sixteen times over
		small, large encodeShape
	}{
		{"one large field", encodeShape{1, 1, 256 << 10}, encodeShape{1, 1, 4 << 20}},
		{"many fields", encodeShape{1, 250, 2000}, encodeShape{1, 4000, 2000}},
		{"many events", encodeShape{250, 4, 500}, encodeShape{4000, 4, 500}},
	}
	for _, b := range builtin.Builtins() {
		for _, doc := range append([]string{""}, b.Documents...) {
			name := b.Name
			if doc != "" {
				name += "/" + doc
			}
			t.Run(name, func(t *testing.T) {
				for _, shape := range shapes {
					small, large := encodeCost(t, b, doc, shape.small), encodeCost(t, b, doc, shape.large)
					t.Logf("%s: %d bytes, sixteen times the data: %d (%.1fx)", shape.name, small, large, float64(large)/float64(small))
					assert.LessOrEqual(t, large, 64*small, "%s: %d bytes allocated, %d for sixteen times the data", shape.name, small, large)
				}
			})
		}
	}
}

// encodeShape is records records of fields string fields of size bytes
// each, as attributes and as the record's body.
type encodeShape struct{ records, fields, size int }

// encodeCost is what a new encoder of format b, document doc, allocates
// to encode data of the given shape.
func encodeCost(t *testing.T, b builtin.Builtin, doc string, shape encodeShape) uint64 {
	t.Helper()
	s := &builtin.Settings{Endpoint: "https://receiver.example.com" + b.Service.Path, Source: defaultSource}
	require.NoError(t, confmap.NewFromStringMap(b.Service.Settings).Unmarshal(s, confmap.WithIgnoreUnused()))
	s.Document = doc
	enc, err := b.New(s)
	require.NoError(t, err)
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range shape.records {
		lr := lrs.AppendEmpty()
		body := lr.Body().SetEmptyMap()
		for i := range shape.fields {
			key := "k" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
			value := strings.Repeat("\"é", shape.size/3)
			lr.Attributes().PutStr(key, value)
			body.PutStr(key, value)
		}
	}
	events := benchMapper().Events(ld, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	batch, err := enc.Encode(events)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	batch.Release()
	return after.TotalAlloc - before.TotalAlloc
}
