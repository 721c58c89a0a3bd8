package builtin

import (
	"runtime"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// deepValue is depth maps, one inside the other, the innermost holding
// one string: {"k":{"k":...{"k":"v"}...}}.
func deepValue(depth int) pcommon.Value {
	root := pcommon.NewValueMap()
	m := root.Map()
	for range depth - 1 {
		m = m.PutEmptyMap("k")
	}
	m.PutStr("k", "v")
	return root
}

// deepEvent is an event whose one data field, and whose body, is
// deepValue(depth).
func deepEvent(t testing.TB, depth int) formats.Event {
	ev := serviceEvent(t)
	v := deepValue(depth)
	ev.Data = []formats.Field{{Key: "deep", Value: v}}
	ev.Body = v
	return ev
}

// allocatedBytes is what one Encode of events allocates, on average.
func allocatedBytes(t testing.TB, enc Encoder, events []formats.Event) uint64 {
	const runs = 3
	if _, err := enc.Encode(events); err != nil { // warm the pools
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		batch, err := enc.Encode(events)
		if err != nil {
			t.Fatal(err)
		}
		_ = batch
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestEncodersLinearInDepth: for every built-in format, one event nested 4,000 maps deep costs every
// format a small multiple of the event's own size, not the square of its
// depth (Datadog's indented text did: 306 MiB for an 84-byte text).
func TestEncodersLinearInDepth(t *testing.T) {
	const depth = 4000
	// The event's JSON is {"k": six bytes a level; its pdata some 150
	// bytes a level.
	const perLevel = 200
	for name, enc := range builtinEncoders(nil) {
		t.Run(name, func(t *testing.T) {
			ev := deepEvent(t, depth)
			got := allocatedBytes(t, enc, []formats.Event{ev})
			require.Less(t, got, uint64(8*perLevel*depth), "%s allocated %d bytes for one event %d levels deep", name, got, depth)
		})
	}
}
