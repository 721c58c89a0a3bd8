package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// limitedReceiver answers 413 to bodies over limit, like a proxy with a
// request size cap, and 200 otherwise.
func limitedReceiver(limit int) func(w http.ResponseWriter, r *http.Request, n int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.ContentLength > int64(limit) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func numberedLogs(n int, pad int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
		lr.Attributes().PutInt("seq", int64(i))
		lr.Attributes().PutStr("pad", strings.Repeat("x", pad))
	}
	return ld
}

// seqs reads the seq of every event the receiver accepted, in order.
func acceptedSeqs(t *testing.T, reqs []testsink.Request, limit int) []int {
	t.Helper()
	var out []int
	for _, r := range reqs {
		if len(r.Body) > limit {
			continue
		}
		var events []struct {
			Data struct {
				Seq int `json:"seq"`
			} `json:"data"`
		}
		if r.Body[0] == '{' {
			r.Body = append(append([]byte{'['}, r.Body...), ']')
		}
		require.NoError(t, json.Unmarshal(r.Body, &events))
		for _, ev := range events {
			out = append(out, ev.Data.Seq)
		}
	}
	return out
}

func TestPayloadTooLargeSplitsUntilItFits(t *testing.T) {
	const limit = 700
	s := testsink.NewRecorder(t, limitedReceiver(limit))
	exp := startExporter(t, withoutQueue(testCfg(s.URL)))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(10, 100)))

	reqs := s.Wait(t, 1)
	seqs := acceptedSeqs(t, reqs, limit)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, seqs, "every event once, in order")
	assert.Greater(t, len(reqs), 2, "the batch was split")
}

func TestEventTooLargeAloneIsDropped(t *testing.T) {
	const limit = 700
	s := testsink.NewRecorder(t, limitedReceiver(limit))
	exp := startExporter(t, withoutQueue(testCfg(s.URL)))
	ld := numberedLogs(3, 10)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Attributes().PutStr("pad", strings.Repeat("y", 2000))

	err := exp.ConsumeLogs(context.Background(), ld)

	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "an event that never fits is not retried")
	assert.Equal(t, []int{0, 2}, acceptedSeqs(t, s.Wait(t, 1), limit))
	dropped := exp.logs.FilterMessageSnippet("larger than the receiver accepts")
	require.Equal(t, 1, dropped.Len())
	assert.Greater(t, dropped.All()[0].ContextMap()["size_bytes"], int64(2000))
}
