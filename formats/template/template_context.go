package template

import (
	"encoding/base64"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// templateContext is what a template sees of an event: the guide's names
// (event_type, severity, timestamp, event_data, source) plus the event id
// and the record's resource attributes.
func templateContext(ev *formats.Event) map[string]any {
	data := make(map[string]any, len(ev.Data))
	for _, f := range ev.Data {
		putFirst(data, f.Key, f.Value)
	}
	var resource map[string]any
	if ev.Resource != (pcommon.Map{}) {
		resource = plainMap(ev.Resource)
	} else {
		resource = map[string]any{}
	}
	return map[string]any{
		"event_id":   ev.ID,
		"event_type": ev.Type,
		"severity":   ev.Severity,
		"timestamp":  ev.Timestamp.UTC().Format(time.RFC3339Nano),
		"event_data": data,
		"source":     ev.Source,
		"resource":   resource,
	}
}

// plainValue turns a pdata value into the plain Go value a template works
// with. Bytes become base64 text, as the JSON formats write them.
func plainValue(v pcommon.Value) any {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		return v.Double()
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeMap:
		return plainMap(v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		out := make([]any, s.Len())
		for i := range out {
			out[i] = plainValue(s.At(i))
		}
		return out
	case pcommon.ValueTypeBytes:
		return base64.StdEncoding.EncodeToString(v.Bytes().AsRaw())
	}
	return nil
}

func plainMap(m pcommon.Map) map[string]any {
	out := make(map[string]any, m.Len())
	for k, v := range m.All() {
		putFirst(out, k, v)
	}
	return out
}

// putFirst puts v at key as it is written (PlainKey) unless m has that
// key already: the first value wins, as in the other formats.
func putFirst(m map[string]any, key string, v pcommon.Value) {
	key = jsonw.PlainKey(key)
	if _, dup := m[key]; !dup {
		m[key] = plainValue(v)
	}
}
