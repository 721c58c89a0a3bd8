package template

import (
	"slices"
	"strings"

	"github.com/sentyr/webhookexporter/formats"
)

// {{ event_data | tojson }} sorts the keys and escapes them for every
// event, a good part of the cost of writing it; the events of a batch
// mostly share a few key sets. A memberLayout keeps, for one key set in
// one order, the members to write in sorted order with their "key": ready.

// memberLayoutCache is how many key sets a scratch remembers.
const memberLayoutCache = 8

// memberLayout is one key set's order and key prefixes. Its slices are
// reused when it is rebuilt for another key set, so a miss costs the sort
// and no allocation once they have grown.
type memberLayout struct {
	// keys are the key set's keys in the event's order, copied so that
	// the cache keeps no event's memory, and ends says where each ends.
	keys []byte
	ends []int32
	// order is the members to write, sorted by key, repeats dropped;
	// prefix holds the comma and "key": of each, prefixEnds their ends.
	order      []int32
	prefix     []byte
	prefixEnds []int32
	// invalid says a key is not valid UTF-8.
	invalid bool
}

func (l *memberLayout) matches(fields []formats.Field) bool {
	if len(fields) != len(l.ends) {
		return false
	}
	start := int32(0)
	for i := range fields {
		if string(l.keys[start:l.ends[i]]) != fields[i].Key {
			return false
		}
		start = l.ends[i]
	}
	return true
}

// build makes l the layout of fields' keys, sorted as tojson sorts them.
// Of repeated keys the first is kept, as in templateContext's map. Keys
// with invalid UTF-8 are left to gonja (see appendMembers).
func (l *memberLayout) build(fields []formats.Field) {
	l.keys, l.ends = l.keys[:0], l.ends[:0]
	l.order = l.order[:0]
	l.invalid = false
	for i := range fields {
		l.invalid = l.invalid || !validKey(fields[i].Key)
		l.keys = append(l.keys, fields[i].Key...)
		l.ends = append(l.ends, int32(len(l.keys)))
		l.order = append(l.order, int32(i))
	}
	slices.SortFunc(l.order, func(a, b int32) int {
		if c := strings.Compare(fields[a].Key, fields[b].Key); c != 0 {
			return c
		}
		return int(a - b)
	})
	kept := l.order[:0]
	for i, m := range l.order {
		if i > 0 && fields[l.order[i-1]].Key == fields[m].Key {
			continue
		}
		kept = append(kept, m)
	}
	l.order = kept
	l.prefix, l.prefixEnds = l.prefix[:0], l.prefixEnds[:0]
	for i, m := range l.order {
		if i > 0 {
			l.prefix = append(l.prefix, ',')
		}
		l.prefix = appendJSONString(l.prefix, fields[m].Key)
		l.prefix = append(l.prefix, ':')
		l.prefixEnds = append(l.prefixEnds, int32(len(l.prefix)))
	}
}

// layoutCache remembers the last key sets, replaced in turn.
type layoutCache struct {
	layouts [memberLayoutCache]memberLayout
	used    int
	next    int
}

// layout returns the layout of fields' keys, from the cache or built.
func (c *layoutCache) layout(fields []formats.Field) *memberLayout {
	for i := range c.used {
		if c.layouts[i].matches(fields) {
			return &c.layouts[i]
		}
	}
	l := &c.layouts[c.next]
	c.next = (c.next + 1) % memberLayoutCache
	c.used = min(c.used+1, memberLayoutCache)
	l.build(fields)
	return l
}

// appendFieldsJSON writes event data as tojson writes templateContext's
// event_data map.
func (w *valueWriter) appendFieldsJSON(dst []byte, fields []formats.Field) ([]byte, bool) {
	l := w.scratch.layouts.layout(fields)
	if l.invalid {
		return dst, false
	}
	dst = append(dst, '{')
	start := int32(0)
	for i, m := range l.order {
		dst = append(dst, l.prefix[start:l.prefixEnds[i]]...)
		start = l.prefixEnds[i]
		var ok bool
		if dst, ok = w.appendValueJSON(dst, fields[m].Value, 1); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}
