// Package jsonw writes JSON into byte slices for the formats package's
// Append helpers, the built-in encoders and the template engine: strings
// (with the amd64 assembly that copies plain ones), numbers, times, pdata
// values and objects whose keys are unique. A formatter author uses
// formats.AppendString and the other Append helpers instead.
package jsonw

import (
	"encoding/base64"
	"slices"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The helpers below append JSON to a byte slice. They exist because the push
// path encodes every event and encoding/json's reflection costs several times
// more; they always produce valid JSON, whatever the input holds.

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, so
// hostile bytes can neither break the document nor end the string early.
func AppendString(dst []byte, s string) []byte {
	if out, ok := appendPlainString(dst, s); ok {
		return out
	}
	return appendStringSlow(dst, s)
}

// appendStringSlow is AppendString for a dst without room for s, which it
// makes before trying the plain path again, and for an s that needs
// escaping.
func appendStringSlow(dst []byte, s string) []byte {
	if cap(dst)-len(dst) < len(s)+2 {
		dst = slices.Grow(dst, len(s)+2)
		if out, ok := appendPlainString(dst, s); ok {
			return out
		}
	}
	dst = append(dst, '"')
	return append(AppendEscaped(dst, s, false), '"')
}

// AppendEscaped appends s escaped for the inside of a JSON string. With
// html, < > & and ' are escaped too, as Jinja's tojson does, so that text
// shown in a page cannot close a script element.
func AppendEscaped(dst []byte, s string, html bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		// Most text needs no escaping: skip it eight bytes at a time and
		// copy it whole below.
		for i+8 <= len(s) {
			w := load64(s[i : i+8])
			if needsEscape8(w) || html && hasHTMLSpecial8(w) {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && !(html && isHTMLSpecial(c)) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError {
			// Invalid UTF-8, one byte at a time, and U+FFFD itself are
			// written the same, so that strings equal once sanitised are
			// written the same (object keys are compared as written).
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

func isHTMLSpecial(c byte) bool {
	return c == '<' || c == '>' || c == '&' || c == '\''
}

// SWAR constants: one bit or one byte value in each of eight lanes.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// load64 reads eight bytes of s as one little-endian word (the compiler
// turns it into a single load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// needsEscape8 says whether any of the 8 bytes in x is a control
// character, a quote, a backslash or not ASCII: the bytes AppendString
// cannot copy as they are. It tests all eight at once.
func needsEscape8(x uint64) bool {
	control := (x - 0x20*lanes01) &^ x // a byte below 0x20 borrows into its top bit
	quote := x ^ '"'*lanes01
	backslash := x ^ '\\'*lanes01
	return (x|control|hasZeroByte(quote)|hasZeroByte(backslash))&lanes80 != 0
}

// hasHTMLSpecial8 says whether any of the 8 bytes in x is < > & or '.
func hasHTMLSpecial8(x uint64) bool {
	return (hasZeroByte(x^'<'*lanes01)|hasZeroByte(x^'>'*lanes01)|
		hasZeroByte(x^'&'*lanes01)|hasZeroByte(x^'\''*lanes01))&lanes80 != 0
}

// hasZeroByte has a lane's top bit set, under lanes80, exactly when some
// byte of x is zero (a zero byte borrows into its top bit).
func hasZeroByte(x uint64) uint64 { return (x - lanes01) &^ x }

// AppendValue appends a pdata value as JSON. Bytes become base64 strings, as
// in OTLP/JSON.
func AppendValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return AppendString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return AppendFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeMap:
		return AppendMap(dst, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendValue(dst, s.At(i))
		}
		return append(dst, ']')
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	default:
		return append(dst, "null"...)
	}
}

// AppendMap appends a pdata map as a JSON object. Of keys written the
// same, the first is kept (see ObjectKeys).
func AppendMap(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	var keys ObjectKeys
	comma := false
	i := -1
	for k, v := range m.All() {
		i++
		mark := len(dst)
		if comma {
			dst = append(dst, ',')
		}
		start := len(dst)
		dst = AppendString(dst, k)
		if w := dst[start:]; !keys.Quick(w, k) && !keys.FreshInMap(w, k, m, i) {
			dst = dst[:mark]
			continue
		}
		comma = true
		dst = append(dst, ':')
		dst = AppendValue(dst, v)
	}
	return append(dst, '}')
}

// AppendFields appends fields (an event's data) as a JSON object, as
// formats.AppendFields does.
func AppendFields[F Member](dst []byte, fields []F) []byte {
	dst = append(dst, '{')
	dst = AppendMembersWhere(dst, fields, false, nil)
	return append(dst, '}')
}

// AppendMembersWhere appends fields as object members without braces
// (comma says that members precede them), leaving out the members
// whose keys skip names (nil: none). Of keys written the same, the first
// is kept.
func AppendMembersWhere[F Member](dst []byte, fields []F, comma bool, skip func(key string) bool) []byte {
	var keys ObjectKeys
	for i, field := range fields {
		f := member(field)
		if skip != nil && skip(f.Key) {
			continue
		}
		mark := len(dst)
		if comma {
			dst = append(dst, ',')
		}
		start := len(dst)
		dst = AppendString(dst, f.Key)
		if w := dst[start:]; !keys.Quick(w, f.Key) && !FreshInFields(&keys, w, f.Key, fields[:i], nil) {
			dst = dst[:mark]
			continue
		}
		comma = true
		dst = append(dst, ':')
		dst = AppendValue(dst, f.Value)
	}
	return dst
}
