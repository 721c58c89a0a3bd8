package mapping

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/metric"

	"github.com/sentyr/webhookexporter/formats"
)

// MaxNestedLevels is how deep maps and lists may nest in a record's body
// or in an attribute's value (of the record, its scope or its resource),
// the value itself being level 1 when it is a map or a list. A map or
// list one level deeper is replaced by its JSON text, a string, before
// the record is queued.
//
// pdata's protobuf decoder, which reads a persistent queue back, refuses
// a value whose messages nest 100 deep (RecursionLimit in pdata's
// internal/proto), counted from the body's AnyValue or from the
// attribute's KeyValue; the envelopes around them (LogsData, ResourceLogs,
// ScopeLogs, LogRecord) start the count again. A map costs three messages
// (AnyValue, KeyValueList, KeyValue), a list two (AnyValue, ArrayValue):
// an attribute's value of 32 maps ends in an AnyValue 97 deep, one of 33
// in one 100 deep, which the queue would store and then drop.
const MaxNestedLevels = 32

// deepValue says whether v, inside level maps and lists, nests deeper
// than MaxNestedLevels.
func deepValue(v pcommon.Value, level int) bool {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		return level == MaxNestedLevels || deepMap(v.Map(), level+1)
	case pcommon.ValueTypeSlice:
		if level == MaxNestedLevels {
			return true
		}
		for _, item := range v.Slice().All() {
			if deepValue(item, level+1) {
				return true
			}
		}
	}
	return false
}

func deepMap(m pcommon.Map, level int) bool {
	for _, v := range m.All() {
		if deepValue(v, level) {
			return true
		}
	}
	return false
}

// FlattenDeepValues replaces every map and list of ld nested deeper than
// MaxNestedLevels by its JSON text, and returns how many records had one.
// A record counts when its body, its attributes, its scope's or its
// resource's attributes were cut. Each value is visited once and each cut
// value written once, so the work is linear in ld's size.
func FlattenDeepValues(ld plog.Logs) int {
	var text []byte
	records := 0
	for _, rl := range ld.ResourceLogs().All() {
		var resCut bool
		text, resCut = flattenMap(text, rl.Resource().Attributes(), 0)
		for _, sl := range rl.ScopeLogs().All() {
			var scopeCut bool
			text, scopeCut = flattenMap(text, sl.Scope().Attributes(), 0)
			for _, lr := range sl.LogRecords().All() {
				var bodyCut, attrsCut bool
				text, bodyCut = flattenValue(text, lr.Body(), 0)
				text, attrsCut = flattenMap(text, lr.Attributes(), 0)
				if resCut || scopeCut || bodyCut || attrsCut {
					records++
				}
			}
		}
	}
	return records
}

// flattenValue cuts v, inside level maps and lists, at MaxNestedLevels.
// text is scratch space for the JSON text, returned for reuse.
func flattenValue(text []byte, v pcommon.Value, level int) ([]byte, bool) {
	switch v.Type() {
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
	default:
		return text, false
	}
	if level == MaxNestedLevels {
		text = formats.AppendValue(text[:0], v)
		v.SetStr(string(text))
		return text, true
	}
	if v.Type() == pcommon.ValueTypeMap {
		return flattenMap(text, v.Map(), level+1)
	}
	cut := false
	for _, item := range v.Slice().All() {
		var c bool
		text, c = flattenValue(text, item, level+1)
		cut = cut || c
	}
	return text, cut
}

func flattenMap(text []byte, m pcommon.Map, level int) ([]byte, bool) {
	cut := false
	for _, v := range m.All() {
		var c bool
		text, c = flattenValue(text, v, level)
		cut = cut || c
	}
	return text, cut
}

// FlattenedRecordsMetric counts the records whose values FlattenDeepValues
// cut, named as the collector names its exporters' record counters.
const FlattenedRecordsMetric = "otelcol_exporter_webhook_flattened_log_records"

func newFlattenedCounter(mp metric.MeterProvider) (metric.Int64Counter, error) {
	return mp.Meter("github.com/sentyr/webhookexporter").Int64Counter(FlattenedRecordsMetric,
		metric.WithUnit("{records}"),
		metric.WithDescription("Log records with maps or lists nested deeper than "+strconv.Itoa(MaxNestedLevels)+
			" levels, which were sent as JSON text from that level on. [Alpha]"))
}
