package webhookexporter

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// hostileRecords are records an attacker or a broken source can send.
var hostileRecords = []struct {
	name string
	fill func(lr plog.LogRecord)
}{
	{"10,000 attributes", func(lr plog.LogRecord) {
		for i := range 10_000 {
			lr.Attributes().PutStr("k"+strconv.Itoa(i), "v")
		}
	}},
	{"10 MiB string", func(lr plog.LogRecord) { lr.Body().SetStr(strings.Repeat("A\"\\\n", 10<<20/4)) }},
	{"1,000 nested maps", func(lr plog.LogRecord) {
		m := lr.Body().SetEmptyMap()
		for range 1000 {
			m = m.PutEmptyMap("n")
		}
	}},
	{"invalid UTF-8 in keys and values", func(lr plog.LogRecord) {
		lr.Attributes().PutStr("bad\xffkey", "bad\xfe\xc3value")
		lr.SetEventName("type\xff")
	}},
	{"NaN and infinities", func(lr plog.LogRecord) {
		lr.Attributes().PutDouble("nan", math.NaN())
		lr.Attributes().PutDouble("inf", math.Inf(1))
		lr.Attributes().PutDouble("-inf", math.Inf(-1))
	}},
	{"empty body", func(plog.LogRecord) {}},
	{"bytes body", func(lr plog.LogRecord) { lr.Body().SetEmptyBytes().FromRaw([]byte{0, 0xff, '"', '\n'}) }},
	{"quotes and injection in values", func(lr plog.LogRecord) {
		lr.Attributes().PutStr("user", `x", "admin": true, "y": "`)
		lr.Attributes().PutStr("html", "</script>\u2028\x00")
	}},
	{"severity attribute of the wrong type", func(lr plog.LogRecord) { lr.Attributes().PutInt("severity", 99) }},
}

// withNeighbour is one record filled by fill, followed by an ordinary one
// whose data must come through intact.
func withNeighbour(fill func(lr plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	fill(lrs.AppendEmpty())
	neighbour := lrs.AppendEmpty()
	neighbour.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
	neighbour.Attributes().PutStr("neighbour", "intact")
	return ld
}

func TestHostileInputNeverBreaksThePayload(t *testing.T) {
	t.Parallel() // measures no memory; see TestParallelTestsMeasureNoMemory
	for _, tt := range hostileRecords {
		t.Run(tt.name, func(t *testing.T) {
			s := testsink.NewRecorder(t, nil)
			exp := startExporter(t, withoutQueue(testCfg(s.URL)))

			require.NoError(t, exp.ConsumeLogs(context.Background(), withNeighbour(tt.fill)))

			body := s.Wait(t, 1)[0].Body
			require.True(t, json.Valid(body), "the payload is valid JSON")
			var events []map[string]any
			require.NoError(t, json.Unmarshal(body, &events))
			require.Len(t, events, 2)
			assert.Equal(t, "intact", events[1]["data"].(map[string]any)["neighbour"], "the other event is untouched")
		})
	}
}
