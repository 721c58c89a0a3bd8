package formats

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/raceflag"
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
			Body: pcommon.NewValueStr(strings.Repeat("y", 2000)),
		}
	}
	return events
}

// bodyEncoders are every built-in format's encoder, and variants of some.
var bodyEncoders = builtinEncoders(map[string]Encoder{
	"json ndjson":  newJSON(JSONConfig{Batch: jsonNDJSON}),
	"json object":  newJSON(JSONConfig{Batch: jsonObject}),
	"splunk_hec":   newSplunkHEC(SplunkHECConfig{Token: "t", MaxRequestBytes: 100 << 20}),
	"elastic _doc": mustElastic("http://es:9200/i/_doc"),
	// The events' bodies are strings, which body sends with a content type.
	"body":         newBody(BodyConfig{ContentType: "text/plain"}),
	"custom array": mustCustom(CustomConfig{Template: `{"t": "{{ event_type }}", "d": {{ event_data | tojson }}}`, Batch: customArray}),
})

func mustCustom(cfg CustomConfig) Encoder {
	enc, err := newCustom(cfg)
	if err != nil {
		panic(err)
	}
	return enc
}

func mustElastic(endpoint string) Encoder {
	enc, err := newElastic(ElasticConfig{}, endpoint)
	if err != nil {
		panic(err)
	}
	return enc
}

func TestEncodersAllocateTheBodyOnceAfterTheFirstBatch(t *testing.T) {
	events := largeEvents(500)
	for name, enc := range bodyEncoders {
		t.Run(name, func(t *testing.T) {
			_, err := enc.Encode(events) // learns the size
			assert.NoError(t, err)
			b, _ := enc.Encode(events)
			body := len(b.buffer)
			allocated := bytesPerRun(func() { _, _ = enc.Encode(events) })
			assert.Less(t, allocated, body+body/3, "the body grew by reallocation")
		})
	}
}

func TestReleasedBodiesAreWrittenByTheNextBatch(t *testing.T) {
	// A GC may empty the pool; none runs here. sync.Pool keeps a buffer
	// put back for the P that put it, so on one P every round finds it.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	events := largeEvents(500)
	for name, enc := range bodyEncoders {
		t.Run(name, func(t *testing.T) {
			first, err := enc.Encode(events)
			require.NoError(t, err)
			want := string(first.Requests[0].Body)
			last := unsafe.SliceData(first.buffer)
			first.Release()
			assert.Nil(t, first.Requests[0].Body, "a released batch keeps no body")

			const rounds = 20
			reused := 0
			for range rounds {
				b, err := enc.Encode(events)
				require.NoError(t, err)
				require.Equal(t, want, string(b.Requests[0].Body))
				if unsafe.SliceData(b.buffer) == last {
					reused++
				}
				last = unsafe.SliceData(b.buffer)
				b.Release()
			}
			assertReused(t, reused, rounds)
		})
	}
}

// assertReused checks that a released buffer was written again in every
// round, or in some round under the race detector (see raceflag).
func assertReused(t *testing.T, reused, rounds int) {
	t.Helper()
	if raceflag.Enabled {
		assert.Positive(t, reused, "no round reused the released buffer")
		return
	}
	assert.Equal(t, rounds, reused, "rounds that reused the released buffer")
}

// bytesPerRun is what f allocates, averaged over a few runs.
func bytesPerRun(f func()) int {
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return int(after.TotalAlloc-before.TotalAlloc) / runs
}

func TestABatchNotReleasedKeepsItsBodies(t *testing.T) {
	enc := newJSON(JSONConfig{})
	events := largeEvents(3)
	first, err := enc.Encode(events)
	require.NoError(t, err)
	want := string(first.Requests[0].Body)
	_, err = enc.Encode(largeEvents(3)[:1])
	require.NoError(t, err)
	assert.Equal(t, want, string(first.Requests[0].Body))
}

func TestBodyBuffersRespectTheRequestLimit(t *testing.T) {
	var p bodyBuffers
	var batch Batch
	p.lend(&batch, make([]byte, 100_000), 10)
	assert.Equal(t, (1000*10_000+2)*9/8, cap(p.get(1000, 0)))
	assert.Equal(t, 1<<20+1<<18, cap(p.get(1000, 1<<20)), "at most the limit and a quarter")
}
