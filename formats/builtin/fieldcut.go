package builtin

import (
	"fmt"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// cutMarker ends a string that was cut to fit a service's limit.
const cutMarker = "…"

// Room kept for the "_truncated" member that says what a cut left out.
const truncationReserve = 128

// A string cut shorter than this says too little to be worth its room.
const minCutBytes = 64

// appendStringWithin appends s as a JSON string of at most room bytes,
// quotes included: s itself when it fits, else as much of its start as
// fits once escaped, followed by "…". It reports whether s was cut. Each
// character is looked at once, so the cost is linear in len(s).
func appendStringWithin(dst []byte, s string, room int) ([]byte, bool) {
	start := len(dst)
	// Escaping never shortens a string: one longer than room is cut
	// without being written whole first.
	if len(s)+2 <= room {
		dst = jsonw.AppendString(dst, s)
		if len(dst)-start <= room {
			return dst, false
		}
		dst = dst[:start]
	}
	budget := room - 2 - len(cutMarker)
	used, cut := 0, 0
	for cut < len(s) {
		w, size := escapedWidth(s, cut)
		if used+w > budget {
			break
		}
		used += w
		cut += size
	}
	dst = jsonw.AppendString(dst[:start], s[:cut])
	return append(append(dst[:len(dst)-1], cutMarker...), '"'), true
}

// escapedWidth is how many bytes AppendString writes for the character
// at s[i], and how many bytes of s that character takes.
func escapedWidth(s string, i int) (width, size int) {
	c := s[i]
	if c < utf8.RuneSelf {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			return 2, 1
		case c < 0x20:
			return 6, 1
		}
		return 1, 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
		return 6, size
	}
	return size, size
}

// fieldKey says under which key a format writes a data field, and whether
// it writes it at all; nil writes every field under its own key.
type fieldKey func(key string) (string, bool)

// appendMembersWithin appends fields as object members without braces in
// at most limit bytes (comma says that members precede them). When the
// whole data does not fit, fields are kept whole in their order while they
// fit, a string that does not is cut to the room left, and other values
// that do not are left out; a last member "_truncated" says how many
// fields were cut or left out to fit what (e.g. "Sentinel's 64 KB"). Each
// field is written at most twice: the cost is linear in the data's size.
func appendMembersWithin(dst []byte, fields []formats.Field, comma bool, limit int, what string, key fieldKey) []byte {
	start := len(dst)
	if out, ok := appendMembersUpTo(dst, fields, comma, limit, key); ok {
		return out
	}
	dst = dst[:start]
	budget := limit - truncationReserve
	total, changed := 0, 0
	var keys jsonw.ObjectKeys
	for i, f := range fields {
		at := len(dst)
		var ok bool
		if dst, ok = appendMemberKey(dst, comma, &keys, fields, i, key); !ok {
			continue
		}
		total++
		head := len(dst)
		room := budget - (head - start)
		if f.Value.Type() == pcommon.ValueTypeStr {
			out, cut := appendStringWithin(dst, f.Value.Str(), room)
			if !cut || room >= minCutBytes {
				if cut {
					changed++
				}
				dst, comma = out, true
				continue
			}
		} else if dst = jsonw.AppendValue(dst, f.Value); len(dst)-start <= budget {
			comma = true
			continue
		}
		changed++
		dst = dst[:at]
	}
	if comma {
		dst = append(dst, ',')
	}
	dst = append(dst, `"_truncated":`...)
	return jsonw.AppendString(dst, fmt.Sprintf("%d of %d fields cut or left out to fit %s", changed, total, what))
}

// appendMembersUpTo is AppendFieldMembers through key, giving up (false)
// as soon as the members pass limit bytes.
func appendMembersUpTo(dst []byte, fields []formats.Field, comma bool, limit int, key fieldKey) ([]byte, bool) {
	start := len(dst)
	var keys jsonw.ObjectKeys
	for i, f := range fields {
		var ok bool
		if dst, ok = appendMemberKey(dst, comma, &keys, fields, i, key); !ok {
			continue
		}
		comma = true
		dst = jsonw.AppendValue(dst, f.Value)
		if len(dst)-start > limit {
			return dst, false
		}
	}
	return dst, true
}

// appendMemberKey appends the comma (when comma says members precede),
// the key and the colon of fields[i], as key names it, unless key leaves
// the field out or an earlier field's key is written the same (objects
// keep their first member; see jsonw.ObjectKeys): then dst comes back as
// it was, and false. An earlier field that key leaves out has a key equal
// to this one only when this one is left out too.
func appendMemberKey(dst []byte, comma bool, keys *jsonw.ObjectKeys, fields []formats.Field, i int, key fieldKey) ([]byte, bool) {
	k, ok := fields[i].Key, true
	if key != nil {
		k, ok = key(k)
	}
	if !ok {
		return dst, false
	}
	at := len(dst)
	if comma {
		dst = append(dst, ',')
	}
	start := len(dst)
	dst = jsonw.AppendString(dst, k)
	if w := dst[start:]; !keys.Quick(w, k) {
		var rename func(string) string
		if key != nil {
			rename = func(s string) string { r, _ := key(s); return r }
		}
		if !jsonw.FreshInFields(keys, w, k, fields[:i], rename) {
			return dst[:at], false
		}
	}
	return append(dst, ':'), true
}
