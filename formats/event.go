// Package formats is what a Go formatter's author needs: a Formatter turns
// one security Event into one request body; Register makes it available as
// `format: <name>` in a custom collector build; the Append helpers write
// JSON as the built-in formats do, valid whatever the event holds.
//
// The built-in formats (json, splunk_hec, elastic, custom, ...) are in
// formats/builtin.
package formats

import (
	"time"

	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Severities of a security event, as the guide names them.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityError    = "error"
	SeverityCritical = "critical"
)

// Event is one security event mapped from a log record.
//
// Data holds pdata values rather than copies so that encoders write straight
// from the record: the push path then costs no per-field allocation.
type Event struct {
	// ID is stable for the record: the same on every retry and after a restart.
	ID        string
	Type      string
	Severity  string
	Timestamp time.Time
	// Observed is when the collector observed the record (its
	// ObservedTimestamp); zero when the record does not say.
	Observed time.Time
	Source   string
	Data     []Field
	// Body is the record's body as received, for payloads shaped upstream.
	Body pcommon.Value
	// Attributes is the record's attributes (all of them). With Resource
	// they are all that routes the event: its body is content, which
	// never picks an index, a sourcetype or a tag.
	Attributes pcommon.Map
	// Resource is the record's resource attributes (all of them), for
	// templates and routing.
	Resource pcommon.Map
}

// Field is one key of an event's data.
type Field struct {
	Key   string
	Value pcommon.Value
}

// DataMap returns the event's data as plain Go values, for formatters that
// need a map (templates, registered Go formatters). Of keys that are the
// same once invalid UTF-8 is replaced, the first is kept, in nested maps
// too, as every format keeps it.
func (e *Event) DataMap() map[string]any {
	m := make(map[string]any, len(e.Data))
	for _, f := range e.Data {
		putFirstRaw(m, f.Key, f.Value)
	}
	return m
}

func putFirstRaw(m map[string]any, key string, v pcommon.Value) {
	key = jsonw.PlainKey(key)
	if _, dup := m[key]; dup {
		return
	}
	switch v.Type() {
	case pcommon.ValueTypeMap:
		inner := make(map[string]any, v.Map().Len())
		for k, item := range v.Map().All() {
			putFirstRaw(inner, k, item)
		}
		m[key] = inner
	case pcommon.ValueTypeSlice:
		m[key] = rawSlice(v.Slice())
	default:
		m[key] = v.AsRaw()
	}
}

func rawSlice(s pcommon.Slice) []any {
	out := make([]any, s.Len())
	for i, item := range s.All() {
		switch item.Type() {
		case pcommon.ValueTypeMap:
			inner := make(map[string]any, item.Map().Len())
			for k, v := range item.Map().All() {
				putFirstRaw(inner, k, v)
			}
			out[i] = inner
		case pcommon.ValueTypeSlice:
			out[i] = rawSlice(item.Slice())
		default:
			out[i] = item.AsRaw()
		}
	}
	return out
}
