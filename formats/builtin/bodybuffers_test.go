package builtin

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/raceflag"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Events far larger than the first guess: without the learned size the
// body would grow (a new allocation each time) many times per batch.
func largeEvents(n int) []formats.Event {
	events := make([]formats.Event, n)
	for i := range events {
		events[i] = formats.Event{
			ID: "0123456789abcdef0123456789abcdef", Type: "pii_detected", Severity: formats.SeverityCritical,
			Timestamp: time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC), Source: "sentyr",
			Data: []formats.Field{{Key: "note", Value: pcommon.NewValueStr(strings.Repeat("x", 2000))}},
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

// After a batch is released, the next one of the same size writes its
// bodies in the released buffer: nothing near a body's size is allocated.
func TestEncodersAllocateNoBodyAfterARelease(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	events := largeEvents(500)
	for name, enc := range bodyEncoders {
		t.Run(name, func(t *testing.T) {
			b, err := enc.Encode(events)
			require.NoError(t, err)
			body := len(b.buffer)
			b.Release()
			allocated := bytesPerRun(func() {
				b, _ := enc.Encode(events)
				b.Release()
			})
			assert.Less(t, allocated, body/4, "the body was allocated again")
		})
	}
}

func TestReleasedBodiesAreWrittenByTheNextBatch(t *testing.T) {
	raceflag.SkipSingleGoroutine(t)
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
			assert.Equal(t, rounds, reused, "rounds that reused the released buffer")
		})
	}
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

// A new buffer reserves room for small events, at most bodyStart and the
// request limit and a quarter; a released one is taken by its capacity.
// Nothing is reserved from an earlier batch's size per event: one huge
// event followed by many tiny ones reserves no more than the huge
// event's buffer.
func TestBodyBuffersReserveFromTheBatchAtHand(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var p bodyBuffers
	assert.Equal(t, 10*minEventSize+2, cap(p.get(10, 0)))
	assert.Equal(t, bodyStart, cap(p.get(1_000_000, 0)))
	assert.Equal(t, 1000+250, cap(p.get(1_000_000, 1000)), "at most the limit and a quarter")

	huge := Batch{}
	p.lend(&huge, make([]byte, 3<<20))
	huge.Release()
	got := p.get(130_000, 0)
	// Under the race detector sync.Pool drops some of what it is given
	// (see raceflag): the run without it checks the reuse.
	if !raceflag.Enabled {
		assert.Equal(t, 3<<20, cap(got), "the released buffer, as it is")
	}
	assert.Zero(t, len(got))

	larger := Batch{}
	p.lend(&larger, make([]byte, bodyKeep+1))
	larger.Release()
	assert.Equal(t, bodyStart, cap(p.get(1_000_000, 0)), "a buffer over bodyKeep is not kept")
}

// One event of megabytes and then a batch of many tiny events: the second
// batch allocates in proportion to its own bytes, for every encoder.
func TestHugeThenManyAllocatesByTheBytes(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	huge := largeEvents(1)
	huge[0].Data = []formats.Field{{Key: "note", Value: pcommon.NewValueStr(strings.Repeat("x", 3<<20))}}
	huge[0].Body = pcommon.NewValueStr(strings.Repeat("y", 3<<20))
	many := make([]formats.Event, 20_000)
	for i := range many {
		many[i] = formats.Event{Type: "t", Severity: formats.SeverityInfo, Source: "s", ID: "0123456789abcdef0123456789abcdef", Body: pcommon.NewValueEmpty(), Resource: pcommon.NewMap()}
	}
	for name, enc := range bodyEncoders {
		t.Run(name, func(t *testing.T) {
			b, err := enc.Encode(huge)
			require.NoError(t, err)
			b.Release()
			var body int
			allocated := bytesPerRun(func() {
				b, _ := enc.Encode(many)
				body = 0
				for _, r := range b.Requests {
					body += len(r.Body)
				}
				b.Release()
			})
			// Growing by append allocates a few times the final body;
			// the requests' index lists and headers add a little per event.
			assert.Less(t, allocated, 8*body+200*len(many), "bodies of %d bytes", body)
		})
	}
}
