package webhookexporter

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestRetrySendsTheEventsItMapped: a retry sends the events the first
// attempt mapped, not records mapped again. The record has no time (it did
// not pass the stamping), so each mapping would read the clock anew: were
// the retry to map it again, its body would carry a later time.
func TestRetrySendsTheEventsItMapped(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		status := http.StatusOK
		if n == 0 {
			status = http.StatusServiceUnavailable // the first try is retried
		}
		w.WriteHeader(status)
	})
	cfg := withoutQueue(testCfg(s.URL))
	e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	var clk fakeClock
	e.pusher.Clock = clk.clock()
	var mappings atomic.Int64
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	e.pusher.Mapper.Now = func() time.Time { return start.Add(time.Duration(mappings.Add(1)) * time.Second) }
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()

	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("untimed")
	require.NoError(t, e.pushLogs(context.Background(), ld))

	reqs := s.Wait(t, 2)
	assert.Equal(t, string(reqs[0].Body), string(reqs[1].Body), "the retry sends the same event")
	assert.EqualValues(t, 1, mappings.Load(), "the record was mapped once")
}
