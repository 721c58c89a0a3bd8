package mapping

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats"
)

// Attribute names read by the mapping.
const (
	attrEventName = "event.name"
	attrEventType = "event_type"
	attrSeverity  = "severity"
	defaultType   = "log"
)

// Mapper turns log records into security events as DESIGN.md's table says.
type Mapper struct {
	Source             string
	ResourceAttributes []string
	Now                func() time.Time
	// LazyIDs leaves Event.ID empty: the encoder reads no id, and
	// Arrays.ID computes one where the exporter needs it.
	LazyIDs bool
	// Skip leaves out, right after it is mapped, an event it picks (one
	// below min_severity); nil leaves out none. Skip counts what it picks.
	Skip func(ev *formats.Event) bool
}

// Events appends one event per record of ld, in record order. The events
// share one field array and one id string, so a batch costs a handful of
// allocations rather than one per field or per event.
func (m *Mapper) Events(ld plog.Logs, dst []formats.Event) []formats.Event {
	a := Arrays{Events: dst}
	m.MapInto(ld, &a, nil)
	return a.Events
}

// mappedChunk is how many events MapInto maps before it hands them on:
// few enough that the pdata they were mapped from is still in the CPU's
// caches when they are encoded.
const mappedChunk = 64

// MapInto appends ld's events to a.Events, their data to a.Fields, and
// where each came from to a.Records. A non-nil mapped is given the new
// events in order, mappedChunk at a time, each chunk as soon as it is
// mapped; it must not keep them.
func (m *Mapper) MapInto(ld plog.Logs, a *Arrays, mapped func([]formats.Event)) {
	dst, fields, scratch := a.Events, a.Fields, a.Scratch
	first := len(dst)
	n := ld.LogRecordCount()
	// One array holds every field of the batch, sized from the records'
	// own counts: a batch of empty records reserves none.
	if need := m.fieldCount(ld); cap(fields)-len(fields) < need {
		fields = append(make([]formats.Field, 0, len(fields)+need), fields...)
	}
	// The batch's events and their records, one each per record. Grown as
	// fields is, not by slices.Grow, which under the race detector (make
	// test) allocates a throwaway array the size of the growth as well.
	if cap(dst)-len(dst) < n {
		dst = append(make([]formats.Event, 0, len(dst)+n), dst...)
	}
	if cap(a.Records)-len(a.Records) < n {
		a.Records = append(make([]RecordRef, 0, len(a.Records)+n), a.Records...)
	}
	// One string holds every id of the batch; its substrings cost no
	// allocation each, and the builder hands its bytes over uncopied.
	var ids strings.Builder
	if !m.LazyIDs {
		ids.Grow(IDLen * n)
	}
	handed := first
	// handOn gives out the events mapped since the last chunk, with ids.
	handOn := func() {
		if all := ids.String(); all != "" {
			for i := handed; i < len(dst); i++ {
				dst[i].ID = all[(i-first)*IDLen : (i-first+1)*IDLen]
			}
		}
		if mapped != nil && len(dst) > handed {
			mapped(dst[handed:])
		}
		handed = len(dst)
	}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			var scope Digest
			scratch, scope = ScopeDigest(scratch, res, sl.Scope().Name())
			a.Scopes = append(a.Scopes, ScopeRef{Resource: rl, ScopeLogs: sl, Digest: scope})
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				dst = append(dst, formats.Event{})
				ev := &dst[len(dst)-1]
				start := len(fields)
				fields = m.mapRecord(ev, res, lr, fields)
				ev.Data = fields[start:len(fields):len(fields)]
				if m.Skip != nil && m.Skip(ev) {
					*ev = formats.Event{}
					clear(fields[start:])
					dst, fields = dst[:len(dst)-1], fields[:start]
					continue
				}
				if !m.LazyIDs {
					var d Digest
					scratch, d = RecordDigest(scratch, scope, lr)
					writeID(&ids, d)
				}
				a.Records = append(a.Records, RecordRef{Record: lr, Scope: len(a.Scopes) - 1})
				if len(dst)-handed == mappedChunk {
					handOn()
				}
			}
		}
	}
	handOn()
	a.Events, a.Fields, a.Scratch = dst, fields, scratch
}

// fieldCount is at most how many data fields ld's events have: each
// record's body map entries (or its body), its attributes and the
// resource attributes it copies.
func (m *Mapper) fieldCount(ld plog.Logs) int {
	n := 0
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		fromResource := 0
		for _, k := range m.ResourceAttributes {
			if _, ok := res.Get(k); ok {
				fromResource++
			}
		}
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				n += fromResource + lr.Attributes().Len()
				switch body := lr.Body(); body.Type() {
				case pcommon.ValueTypeMap:
					n += body.Map().Len()
				case pcommon.ValueTypeEmpty:
				default:
					n++
				}
			}
		}
	}
	return n
}

// mapRecord fills ev from one record and appends its data fields.
func (m *Mapper) mapRecord(ev *formats.Event, res pcommon.Map, lr plog.LogRecord, fields []formats.Field) []formats.Field {
	attrs := lr.Attributes()
	var usedType, usedSeverity string

	ev.Type, usedType = eventType(lr, attrs)
	ev.Severity, usedSeverity = severity(lr, attrs)
	ev.Timestamp = m.timestamp(lr)
	ev.Observed = observed(lr)
	ev.Source = m.Source
	ev.Body = lr.Body()
	ev.Attributes = attrs
	ev.Resource = res

	data := dataBuilder{fields: fields, start: len(fields)}
	switch body := lr.Body(); body.Type() {
	case pcommon.ValueTypeMap:
		for k, v := range body.Map().All() {
			data.fields = append(data.fields, formats.Field{Key: k, Value: v})
		}
	case pcommon.ValueTypeEmpty:
	default:
		data.fields = append(data.fields, formats.Field{Key: "message", Value: body})
	}
	for k, v := range attrs.All() {
		if k != usedType && k != usedSeverity {
			data.add(k, v)
		}
	}
	for _, k := range m.ResourceAttributes {
		if v, ok := res.Get(k); ok {
			data.add(k, v)
		}
	}
	return data.fields
}

// eventType returns the event type and the attribute it came from, if any.
func eventType(lr plog.LogRecord, attrs pcommon.Map) (string, string) {
	if name := lr.EventName(); name != "" {
		return name, ""
	}
	for _, key := range []string{attrEventName, attrEventType} {
		if v, ok := attrs.Get(key); ok {
			if s := v.AsString(); s != "" {
				return s, key
			}
		}
	}
	return defaultType, ""
}

// severity returns the event severity and the attribute it came from, if any.
func severity(lr plog.LogRecord, attrs pcommon.Map) (string, string) {
	if v, ok := attrs.Get(attrSeverity); ok && v.Type() == pcommon.ValueTypeStr {
		if s, ok := knownSeverity(v.Str()); ok {
			return s, attrSeverity
		}
	}
	switch n := lr.SeverityNumber(); {
	case n >= plog.SeverityNumberFatal:
		return formats.SeverityCritical, ""
	case n >= plog.SeverityNumberError:
		return formats.SeverityError, ""
	case n >= plog.SeverityNumberWarn:
		return formats.SeverityWarning, ""
	default:
		return formats.SeverityInfo, ""
	}
}

// knownSeverity returns s in lower case if it names one of the four
// severities. Senders mostly write them in lower case already, which is
// taken without lower-casing s (a scan of every event's severity).
func knownSeverity(s string) (string, bool) {
	switch s {
	case formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical:
		return s, true
	}
	if lower := strings.ToLower(s); lower != s {
		return knownSeverity(lower)
	}
	return "", false
}

// observed is the record's ObservedTimestamp, zero when it has none.
func observed(lr plog.LogRecord) time.Time {
	if ts := lr.ObservedTimestamp(); ts != 0 {
		return ts.AsTime()
	}
	return time.Time{}
}

func (m *Mapper) timestamp(lr plog.LogRecord) time.Time {
	if ts := lr.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	if ts := lr.ObservedTimestamp(); ts != 0 {
		return ts.AsTime()
	}
	return m.Now()
}

// dataBuilder collects one event's data. A key that the body, the
// attributes and the resource all set keeps its first value, so the data
// never holds a key twice. Small events scan for duplicates; large ones
// (hostile input with thousands of keys) switch to a map.
type dataBuilder struct {
	fields []formats.Field
	start  int
	index  map[string]struct{}
}

const dataScanLimit = 32

func (b *dataBuilder) add(k string, v pcommon.Value) {
	if b.has(k) {
		return
	}
	b.fields = append(b.fields, formats.Field{Key: k, Value: v})
	if b.index != nil {
		b.index[k] = struct{}{}
	}
}

func (b *dataBuilder) has(k string) bool {
	own := b.fields[b.start:]
	if b.index == nil {
		if len(own) <= dataScanLimit {
			for _, f := range own {
				if f.Key == k {
					return true
				}
			}
			return false
		}
		b.index = make(map[string]struct{}, 2*len(own))
		for _, f := range own {
			b.index[f.Key] = struct{}{}
		}
	}
	_, ok := b.index[k]
	return ok
}
