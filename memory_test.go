package webhookexporter

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

const (
	memRecords    = 100     // records per ConsumeLogs call
	memBodyBytes  = 1024    // body of each record
	memRecordCost = 1536    // a record in memory, pdata overhead included, generously
	memSlack      = 8 << 20 // telemetry, logs, connection state, GC noise
	memConsumers  = 2
)

// TestMemoryStaysBoundedByTheQueueWhileTheEndpointIsDown offers twenty times
// what the queue holds to an exporter whose endpoint refuses connections.
// The heap must stay under what the queue and its consumers can hold, and
// every refused record must show in otelcol_exporter_enqueue_failed_log_records:
// nothing may pile up in a buffer of its own.
func TestMemoryStaysBoundedByTheQueueWhileTheEndpointIsDown(t *testing.T) {
	requestBytes := int64(memRecords * memRecordCost)
	for _, tt := range []struct {
		name  string
		sizer exporterhelper.RequestSizerType
		size  int64
		// held is how many whole requests the queue holds.
		held int64
	}{
		{name: "queue_size in requests", sizer: exporterhelper.RequestSizerTypeRequests, size: 20, held: 20},
		{name: "queue_size in items", sizer: exporterhelper.RequestSizerTypeItems, size: 20 * memRecords, held: 20},
		// The bytes sizer counts the OTLP size, a little more than the bodies.
		{name: "queue_size in bytes", sizer: exporterhelper.RequestSizerTypeBytes, size: 20 * memRecords * (memBodyBytes + 64), held: 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testCfg("http://" + testsink.HeldAddr(t))
			cfg.RetryConfig.MaxElapsedTime = 0 // hold on to what was accepted
			q := exporterhelper.NewDefaultQueueConfig()
			q.Sizer = tt.sizer
			q.QueueSize = tt.size
			q.NumConsumers = memConsumers
			q.BlockOnOverflow = false
			cfg.QueueConfig = configoptional.Some(q)
			exp := startExporter(t, cfg)

			// What the queue may hold plus the requests its consumers retry.
			capacity := tt.held + memConsumers
			bound := uint64(capacity*requestBytes + memSlack)
			offered := 20 * capacity
			base := liveHeap()
			var peak uint64
			accepted, refused := int64(0), int64(0)
			for i := range offered {
				err := exp.ConsumeLogs(context.Background(), memLogs(i))
				if err != nil {
					require.ErrorIs(t, err, exporterhelper.ErrQueueIsFull)
					refused++
				} else {
					accepted++
				}
				if i%10 == 0 {
					peak = max(peak, growth(base))
				}
			}
			peak = max(peak, growth(base))

			offeredBytes := uint64(offered * requestBytes)
			t.Logf("offered %d requests (%.1f MiB), accepted %d, refused %d; live heap grew by at most %.1f MiB (bound %.1f MiB)",
				offered, float64(offeredBytes)/(1<<20), accepted, refused, float64(peak)/(1<<20), float64(bound)/(1<<20))
			assert.Less(t, peak, bound, "the heap grew past what the queue can hold")
			assert.Less(t, bound, offeredBytes/2, "the bound must be far below what was offered, or the test proves nothing")
			assert.LessOrEqual(t, accepted, capacity+1, "more requests accepted than the queue and its consumers hold")
			assert.Equal(t, refused*memRecords, metricTotal(t, exp.telemetry, "otelcol_exporter_enqueue_failed_log_records"),
				"every refused record is reported as enqueue_failed")
		})
	}
}

// memLogs builds one request of fresh records, so that nothing is shared
// with earlier requests and every byte the exporter keeps is its own.
func memLogs(n int64) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(memRecords)
	for i := range memRecords {
		lr := lrs.AppendEmpty()
		lr.SetEventName("memory")
		lr.Attributes().PutInt("request", n)
		lr.Attributes().PutInt("record", int64(i))
		lr.Body().SetStr(strings.Repeat(string(rune('a'+i%26)), memBodyBytes))
	}
	return ld
}

// growth is how far the live heap grew past base.
func growth(base uint64) uint64 {
	if h := liveHeap(); h > base {
		return h - base
	}
	return 0
}

// liveHeap is the heap still reachable after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
