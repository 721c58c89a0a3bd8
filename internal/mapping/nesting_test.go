package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/bench"
)

// nestedMaps fills v with depth maps, one inside the other, the innermost
// holding "k": "v".
func nestedMaps(v pcommon.Value, depth int) {
	m := v.SetEmptyMap()
	for range depth - 1 {
		m = m.PutEmptyMap("k")
	}
	m.PutStr("k", "v")
}

// protoRoundTrip is what a persistent queue does to a batch: protobuf
// out, protobuf in.
func protoRoundTrip(ld plog.Logs) error {
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		return err
	}
	_, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	return err
}

// deepLogs is one record with a value of depth maps in the place where
// puts it.
func deepLogs(depth int, where string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	sl := rl.ScopeLogs().AppendEmpty()
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testNow))
	switch where {
	case "body":
		nestedMaps(lr.Body(), depth)
	case "attribute":
		nestedMaps(lr.Attributes().PutEmpty("deep"), depth)
	case "scope":
		nestedMaps(sl.Scope().Attributes().PutEmpty("deep"), depth)
	case "resource":
		nestedMaps(rl.Resource().Attributes().PutEmpty("deep"), depth)
	}
	return ld
}

var deepPlaces = []string{"body", "attribute", "scope", "resource"}

// The limit is pdata's: a value MaxNestedLevels deep survives the queue's
// encoding wherever it is, one level more does not in an attribute.
func TestMaxNestedLevelsIsWhatAQueueReadsBack(t *testing.T) {
	for _, where := range deepPlaces {
		ld := deepLogs(MaxNestedLevels, where)
		assert.False(t, deepOf(ld), where)
		assert.NoError(t, protoRoundTrip(ld), "%s %d levels deep", where, MaxNestedLevels)
		deeper := deepLogs(MaxNestedLevels+1, where)
		assert.True(t, deepOf(deeper), where)
		if where != "body" {
			assert.Error(t, protoRoundTrip(deeper), "%s %d levels deep", where, MaxNestedLevels+1)
		}
		require.Equal(t, 1, FlattenDeepValues(deeper))
		assert.NoError(t, protoRoundTrip(deeper), "%s cut", where)
		assert.False(t, deepOf(deeper), where)
	}
	assert.Error(t, protoRoundTrip(deepLogs(MaxNestedLevels+2, "body")), "a body 2 levels deeper")
}

// The map or list at the cut becomes its JSON text exactly as the
// formats write JSON.
func TestFlattenWritesTheJSONTextAtTheCut(t *testing.T) {
	ld := deepLogs(MaxNestedLevels, "body")
	m := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Map()
	var parent pcommon.Map
	for range MaxNestedLevels - 1 {
		v, _ := m.Get("k")
		parent, m = m, v.Map()
	}
	// m is the 32nd map: what it holds at "k" is the 33rd level.
	cut := m.PutEmptyMap("k")
	cut.PutStr("quote\"", "line\nbreak\xff")
	cut.PutInt("n", -7)
	cut.PutDouble("pi", 3.5)
	cut.PutBool("yes", true)
	cut.PutEmptyBytes("raw").FromRaw([]byte{0, 1, 2})
	list := cut.PutEmptySlice("list")
	list.AppendEmpty().SetStr("a")
	list.AppendEmpty().SetEmptySlice().AppendEmpty().SetEmptyMap()
	// A list at the 32nd level is kept, its maps cut.
	kept := parent.PutEmptySlice("kept")
	kept.AppendEmpty().SetStr("scalar")
	kept.AppendEmpty().SetEmptyMap().PutStr("a", "b")

	require.Equal(t, 1, FlattenDeepValues(ld))
	got, _ := m.Get("k")
	require.Equal(t, pcommon.ValueTypeStr, got.Type())
	assert.Equal(t, `{"quote\"":"line\nbreak\ufffd","n":-7,"pi":3.5,"yes":true,"raw":"AAEC","list":["a",[{}]]}`, got.Str())
	k, _ := parent.Get("kept")
	require.Equal(t, pcommon.ValueTypeSlice, k.Type())
	assert.Equal(t, "scalar", k.Slice().At(0).Str())
	assert.Equal(t, `{"a":"b"}`, k.Slice().At(1).Str())
}

// deepOf is scanBatch's answer on depth.
func deepOf(ld plog.Logs) bool {
	_, deep := scanBatch(ld)
	return deep
}

// BenchmarkScanBatch is the walk every batch pays before it is queued, on
// the benchmark's events (batch of 100).
func BenchmarkScanBatch(b *testing.B) {
	ld := bench.Logs(100)
	for range b.N {
		if untimed, deep := scanBatch(ld); untimed || deep {
			b.Fatal("the benchmark's events are timed and shallow")
		}
	}
}

// scanBatch reports each finding wherever in the batch its record is:
// an untimed record before or after a deep one, or either alone.
func TestScanBatchFindsBothInOneWalk(t *testing.T) {
	batch := func(records ...string) plog.Logs {
		ld := plog.NewLogs()
		sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
		for _, r := range records {
			lr := sl.LogRecords().AppendEmpty()
			if r != "untimed" {
				lr.SetTimestamp(pcommon.NewTimestampFromTime(testNow))
			}
			if r == "deep" {
				nestedMaps(lr.Body(), MaxNestedLevels+2)
			}
		}
		return ld
	}
	for _, tt := range []struct {
		records       []string
		untimed, deep bool
	}{
		{[]string{"plain", "plain"}, false, false},
		{[]string{"plain", "untimed"}, true, false},
		{[]string{"deep", "plain"}, false, true},
		{[]string{"deep", "untimed"}, true, true},
		{[]string{"untimed", "plain", "deep"}, true, true},
	} {
		untimed, deep := scanBatch(batch(tt.records...))
		assert.Equal(t, tt.untimed, untimed, "untimed in %v", tt.records)
		assert.Equal(t, tt.deep, deep, "deep in %v", tt.records)
	}
}
