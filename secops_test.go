package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// 5,000 events of three log types arrive at the Chronicle API's stand-in
// exactly once each, in requests of one log type (the one their path
// names) within the API's size; one request answered 429 with Retry-After
// waits and goes again alone.
func TestSecOpsDeliversEveryEventOnceByLogType(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	sink := testsink.NewFormat(t, "secops")
	var throttled atomic.Bool
	sink.Answer(func(w http.ResponseWriter, r *testsink.Request) {
		if throttled.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`))
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{}\n"))
	})
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(sink.Settings()).Unmarshal(cfg))
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	var clk fakeClock
	exp := startClocked(t, withoutQueue(cfg), &clk)

	const n = 5000
	types := []string{"CUSTOM_SENTYR", "OKTA", "WINEVTLOG"}
	ld := numberedLogs(n, 2_000)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range n {
		if i%3 != 0 {
			lrs.At(i).Attributes().PutStr("secops.log_type", types[i%3])
		}
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	seen := map[int]int{}
	taken := sink.Taken()
	for _, r := range sink.Requests() {
		require.Empty(t, r.Refused, "the stand-in took every request")
		assert.LessOrEqual(t, len(r.Body), 4_000_000)
	}
	for _, r := range taken {
		logType := strings.TrimSuffix(r.Path[strings.Index(r.Path, "/logTypes/")+len("/logTypes/"):], "/logs:import")
		if r.Status != http.StatusOK {
			continue
		}
		for _, ev := range r.EventBodies {
			var doc struct {
				Data struct {
					Seq     int    `json:"seq"`
					LogType string `json:"secops.log_type"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal(ev, &doc))
			seen[doc.Data.Seq]++
			assert.Equal(t, types[doc.Data.Seq%3], logType, "event %d in a request of another log type", doc.Data.Seq)
		}
	}
	require.Len(t, seen, n)
	for seq, c := range seen {
		require.Equal(t, 1, c, "event %d arrived %d times", seq, c)
	}
	var throttledReq testsink.Request
	for _, r := range taken {
		if r.Status == http.StatusTooManyRequests {
			throttledReq = r
		}
	}
	require.NotEmpty(t, throttledReq.Body)
	last := taken[len(taken)-1]
	assert.Equal(t, string(throttledReq.Body), string(last.Body), "the throttled request alone went again")
	assert.Equal(t, throttledReq.Path, last.Path)
	assert.GreaterOrEqual(t, len(taken), 7, "each log type's events in several requests")
	assert.Equal(t, []time.Duration{time.Second}, clk.asked(), "the retry waited Retry-After")
}
