package formats

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Events far larger than the first guess: without the learned size the
// body would grow (a new allocation each time) many times per batch.
func largeEvents(n int) []Event {
	events := make([]Event, n)
	for i := range events {
		events[i] = Event{
			ID: "0123456789abcdef0123456789abcdef", Type: "pii_detected", Severity: SeverityCritical,
			Timestamp: time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC), Source: "sentyr",
			Data: []Field{{Key: "note", Value: pcommon.NewValueStr(strings.Repeat("x", 2000))}},
		}
	}
	return events
}

func TestEncodersAllocateTheBodyOnceAfterTheFirstBatch(t *testing.T) {
	events := largeEvents(500)
	for name, tc := range map[string]struct {
		enc    Encoder
		allocs float64 // the body and the encoder's fixed bookkeeping
	}{
		"json array":  {NewJSON(JSONConfig{}), 3},
		"json ndjson": {NewJSON(JSONConfig{Batch: JSONNDJSON}), 3},
		"json object": {NewJSON(JSONConfig{Batch: JSONObject}), 3},
		"splunk_hec":  {NewSplunkHEC(SplunkHECConfig{Token: "t", MaxRequestBytes: 100 << 20}), 3},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.enc.Encode(events) // learns the size
			assert.NoError(t, err)
			allocs := testing.AllocsPerRun(5, func() { _, _ = tc.enc.Encode(events) })
			assert.LessOrEqual(t, allocs, tc.allocs, "the body grew by reallocation")
		})
	}
}

func TestSizeHintRespectsTheRequestLimit(t *testing.T) {
	var h sizeHint
	h.learn(100_000, 10)
	assert.Equal(t, 1000*(10_000+10_000/8)+2, cap(h.buffer(1000, 0)))
	assert.Equal(t, 1<<20+1<<18, cap(h.buffer(1000, 1<<20)), "at most the limit and a quarter")
}
