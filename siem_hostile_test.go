package webhookexporter

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// Hostile records reach Sentinel and Datadog Logs as valid rows and
// entries within the services' limits, and their neighbours intact.
func TestHostileInputReachesSentinelAndDatadogLogs(t *testing.T) {
	for _, tt := range hostileRecords {
		t.Run(tt.name, func(t *testing.T) {
			sentinel := newSentinelSink(t)
			exp := startExporter(t, withoutQueue(sentinelCfg(sentinel)))
			require.NoError(t, exp.ConsumeLogs(context.Background(), withNeighbour(tt.fill)))
			got := sentinel.Accepted()
			require.Len(t, got, 1, "refused: %v", sentinel.Refused())
			require.Len(t, got[0].Rows, 2)
			assert.Equal(t, "intact", got[0].Rows[1]["Data"].(map[string]any)["neighbour"])

			dd := newDDLogsServer(t)
			exp = startExporter(t, withoutQueue(ddLogsCfg(dd)))
			require.NoError(t, exp.ConsumeLogs(context.Background(), withNeighbour(tt.fill)))
			accepted, _, refused, overSized := dd.seen()
			require.Len(t, accepted, 1, "refused: %v", refused)
			require.Len(t, accepted[0].entries, 2)
			assert.Equal(t, "intact", accepted[0].entries[1]["neighbour"])
			assert.Zero(t, overSized)
		})
	}
}

// The memory an event costs to encode grows with the event, not faster:
// four times the data costs about four times the bytes, also when it is
// cut to fit.
func TestSentinelAndDatadogLogsCostIsLinear(t *testing.T) {
	encoders := map[string]builtin.Encoder{
		"sentinel":     builtinEncoder(t, "sentinel", &builtin.Settings{}),
		"datadog_logs": builtinEncoder(t, "datadog_logs", &builtin.Settings{Source: "sentyr"}),
	}
	cost := func(enc builtin.Encoder, fields, size int) uint64 {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		for i := range fields {
			lr.Attributes().PutStr("k"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i/26), strings.Repeat("\"é", size/3))
		}
		events := benchMapper().Events(ld, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		batch, err := enc.Encode(events)
		require.NoError(t, err)
		runtime.ReadMemStats(&after)
		batch.Release()
		return after.TotalAlloc - before.TotalAlloc
	}
	for name, enc := range encoders {
		t.Run(name, func(t *testing.T) {
			for _, shape := range []struct{ fields, size int }{{1, 1 << 20}, {2000, 2000}} {
				small := cost(enc, shape.fields, shape.size)
				large := cost(enc, 4*shape.fields, shape.size)
				assert.Less(t, float64(large), 6*float64(small), "%d fields of %d bytes: %d bytes, four times as many: %d", shape.fields, shape.size, small, large)
			}
		})
	}
}
