package template

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The writers below produce what gonja's path produces from
// templateContext's plain values: Value.String() for {{ value }},
// filterJSONEscape on top of it in a JSON template, appendJSONAny for
// tojson. The types gonja prints in an involved way (floats, lists, maps)
// go through gonja's own Value.String(), which allocates but is exact.

// maxCompiledDepth bounds the recursion of tojson on nested pdata values.
// Deeper values go to gonja, which has its own bound and error.
const maxCompiledDepth = 64

// valueWriter writes one event's values for the compiled steps.
type valueWriter struct {
	escape  bool
	scratch *compiledScratch
}

// compiledScratch is the room tojson needs to sort map members, reused
// across events so that sorting costs no allocation. order and fields are
// stacks: a nested map's part comes after its parent's and is popped once
// the nested map is written.
type compiledScratch struct {
	order   []int32
	fields  []formats.Field
	layouts layoutCache
}

func (w *valueWriter) appendString(dst []byte, s string) []byte {
	if w.escape {
		return appendJSONText(dst, s)
	}
	return append(dst, s...)
}

// appendText writes the step's value as {{ value }} prints it.
func (w *valueWriter) appendText(dst []byte, ev *formats.Event, st *step) []byte {
	if st.member {
		v, ok := lookupMember(ev, st.name, st.key)
		if !ok {
			return dst
		}
		return w.appendValueText(dst, v)
	}
	switch st.name {
	case nameEventID:
		return w.appendString(dst, ev.ID)
	case nameEventType:
		return w.appendString(dst, ev.Type)
	case nameSeverity:
		return w.appendString(dst, ev.Severity)
	case nameSource:
		return w.appendString(dst, ev.Source)
	case nameTimestamp:
		// The text holds digits, '-', ':', '.', 'T' and 'Z': nothing
		// to escape.
		start := len(dst)
		dst = jsonw.AppendTime(dst, ev.Timestamp)
		copy(dst[start:], dst[start+1:len(dst)-1])
		return dst[:len(dst)-2]
	case nameEventData:
		// A whole map as text is rare and gonja's form of it involved:
		// its own code on the map gonja would see.
		return w.appendString(dst, exec.ToValue(templateContext(ev)["event_data"]).String())
	case nameResource:
		return w.appendString(dst, exec.ToValue(templateContext(ev)["resource"]).String())
	}
	return dst
}

func (w *valueWriter) appendValueText(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return w.appendString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case pcommon.ValueTypeBytes:
		// The base64 alphabet needs no escaping.
		return base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
	case pcommon.ValueTypeDouble, pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
		return w.appendString(dst, exec.ToValue(plainValue(v)).String())
	}
	return dst
}

// appendJSON writes the step's value as tojson does.
func (w *valueWriter) appendJSON(dst []byte, ev *formats.Event, st *step) ([]byte, bool) {
	if st.member {
		v, ok := lookupMember(ev, st.name, st.key)
		if !ok {
			return append(dst, "null"...), true
		}
		return w.appendValueJSON(dst, v, 0)
	}
	switch st.name {
	case nameEventID:
		return appendJSONString(dst, ev.ID), true
	case nameEventType:
		return appendJSONString(dst, ev.Type), true
	case nameSeverity:
		return appendJSONString(dst, ev.Severity), true
	case nameSource:
		return appendJSONString(dst, ev.Source), true
	case nameTimestamp:
		return jsonw.AppendTime(dst, ev.Timestamp), true
	case nameEventData:
		return w.appendFieldsJSON(dst, ev.Data)
	case nameResource:
		if ev.Resource == (pcommon.Map{}) {
			return append(dst, "{}"...), true
		}
		return w.appendMapJSON(dst, ev.Resource, 0)
	}
	return dst, false
}

func (w *valueWriter) appendValueJSON(dst []byte, v pcommon.Value, depth int) ([]byte, bool) {
	if depth > maxCompiledDepth {
		return dst, false
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str()), true
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10), true
	case pcommon.ValueTypeDouble:
		return jsonw.AppendFloat(dst, v.Double()), true
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool()), true
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"'), true
	case pcommon.ValueTypeMap:
		return w.appendMapJSON(dst, v.Map(), depth)
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := range s.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = w.appendValueJSON(dst, s.At(i), depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	}
	return append(dst, "null"...), true
}

func (w *valueWriter) appendMapJSON(dst []byte, m pcommon.Map, depth int) ([]byte, bool) {
	s := w.scratch
	base := len(s.fields)
	for k, v := range m.All() {
		s.fields = append(s.fields, formats.Field{Key: k, Value: v})
	}
	// Deeper maps may move s.fields; this slice keeps the old array,
	// where these members stay as they are.
	members := s.fields[base:len(s.fields):len(s.fields)]
	dst, ok := w.appendMembers(dst, members, depth)
	// Cleared so that the pooled scratch does not keep the batch's pdata.
	clear(s.fields[base:])
	s.fields = s.fields[:base]
	return dst, ok
}

// appendMembers writes members as a JSON object, sorted by key as tojson
// sorts them. Of repeated keys the first is written, as templateContext's
// plain map keeps it; keys with invalid UTF-8, which that map keeps as
// written (PlainKey) and so sorts otherwise, are left to gonja. The order is sorted as indices, which
// move less than fields and hold no pointers for the garbage collector to
// track.
func (w *valueWriter) appendMembers(dst []byte, members []formats.Field, depth int) ([]byte, bool) {
	s := w.scratch
	base := len(s.order)
	for i := range members {
		if !validKey(members[i].Key) {
			s.order = s.order[:base]
			return dst, false
		}
		s.order = append(s.order, int32(i))
	}
	order := s.order[base:len(s.order):len(s.order)]
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(members[a].Key, members[b].Key); c != 0 {
			return c
		}
		return int(a - b)
	})
	dst = append(dst, '{')
	comma := false
	for i, m := range order {
		if i > 0 && members[order[i-1]].Key == members[m].Key {
			continue
		}
		if comma {
			dst = append(dst, ',')
		}
		comma = true
		dst = appendJSONString(dst, members[m].Key)
		dst = append(dst, ':')
		var ok bool
		if dst, ok = w.appendValueJSON(dst, members[m].Value, depth+1); !ok {
			return dst, false
		}
	}
	s.order = s.order[:base]
	return append(dst, '}'), true
}

// lookupMember finds event_data's or resource's key, the first one if the
// key repeats, as templateContext's map keeps the first.
func lookupMember(ev *formats.Event, name contextName, key string) (pcommon.Value, bool) {
	if name == nameEventData {
		for i := range ev.Data {
			if ev.Data[i].Key == key {
				return ev.Data[i].Value, true
			}
		}
		return pcommon.Value{}, false
	}
	if ev.Resource != (pcommon.Map{}) {
		for k, v := range ev.Resource.All() {
			if k == key {
				return v, true
			}
		}
	}
	return pcommon.Value{}, false
}

// validKey says whether key is written as it is, bar escapes: valid
// UTF-8. Most keys are plain ASCII, which is checked eight bytes at a time.
func validKey(key string) bool {
	return jsonw.IsPlain(key) || utf8.ValidString(key)
}
