package formats

import (
	"bytes"
	"math"
	"strings"
	"unicode/utf8"
)

// Objects in payloads have unique keys. Of members whose keys are written
// the same, the first is kept, as the mapping keeps the first of a key
// that the body, the attributes and the resource all set. Keys repeat in
// a pdata map read from the wire (pcommon.Map checks nothing there), in
// event data whose body map had them, and when two keys differ only in
// invalid UTF-8, which is written as U+FFFD.

// inlineKeys is how many keys of an object objectKeys remembers without
// allocating: more than security events' data usually has.
const inlineKeys = 32

// objectKeys is the keys written so far in one JSON object. It compares
// keys as written, so keys that are equal once sanitised are equal. A
// 64-bit filter of the keys' lengths and ends lets most keys pass
// without comparing them to the others.
type objectKeys struct {
	filter uint64
	n      int
	// spans are where the first keys are in the buffer, quotes included.
	spans [inlineKeys][2]uint32
	rest  map[string]struct{}
}

// appendKey appends a comma when comma, then key and a colon, and reports
// true; or, when the object has key already, appends nothing and reports
// false. dst must hold the object's earlier keys where they were written.
func (o *objectKeys) appendKey(dst []byte, key string, comma bool) ([]byte, bool) {
	mark := len(dst)
	if comma {
		dst = append(dst, ',')
	}
	start := len(dst)
	dst = appendKeyString(dst, key)
	if !o.add(dst, start) {
		return dst[:mark], false
	}
	return append(dst, ':'), true
}

// add records the key written at dst[start:], and reports false when the
// object had it.
func (o *objectKeys) add(dst []byte, start int) bool {
	w := dst[start:]
	bit := keyFilterBit(w)
	if o.filter&bit != 0 && o.has(dst, w) {
		return false
	}
	o.filter |= bit
	if o.n < inlineKeys && uint64(len(dst)) <= math.MaxUint32 {
		o.spans[o.n] = [2]uint32{uint32(start), uint32(len(dst))}
		o.n++
		return true
	}
	if o.rest == nil {
		o.rest = make(map[string]struct{})
	}
	o.rest[string(w)] = struct{}{}
	return true
}

func (o *objectKeys) has(dst, w []byte) bool {
	for _, s := range o.spans[:o.n] {
		if bytes.Equal(dst[s[0]:s[1]], w) {
			return true
		}
	}
	_, ok := o.rest[string(w)]
	return ok
}

// keyFilterBit is one of 64 bits picked by a written key's length and
// its first and last characters ("" included, so w has two bytes at
// least).
func keyFilterBit(w []byte) uint64 {
	x := uint64(len(w)) | uint64(w[1])<<16 | uint64(w[len(w)-2])<<24
	return 1 << ((x * 0x9E3779B97F4A7C15) >> 58)
}

// plainKey is key as it is written: invalid UTF-8 becomes U+FFFD, one per
// byte, as AppendString writes it. For the formats that hand data on as Go
// maps, whose keys are then compared as they will be written.
func plainKey(key string) string {
	if utf8.ValidString(key) {
		return key
	}
	var b strings.Builder
	for i := 0; i < len(key); {
		r, size := utf8.DecodeRuneInString(key[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(key[i : i+size])
		}
		i += size
	}
	return b.String()
}

// uniqueFields is fields without the ones whose keys are written as an
// earlier one's. It allocates only when there is one to leave out.
func uniqueFields(fields []Field) []Field {
	var keys objectKeys
	var written []byte
	var out []Field
	for i, f := range fields {
		start := len(written)
		written = appendKeyString(written, f.Key)
		switch {
		case !keys.add(written, start):
			if out == nil {
				out = append(make([]Field, 0, len(fields)-1), fields[:i]...)
			}
		case out != nil:
			out = append(out, f)
		}
	}
	if out == nil {
		return fields
	}
	return out
}

// appendKeyString is AppendString for a key, written one way only: a
// U+FFFD in it is written as the escape that invalid UTF-8 becomes, so
// that keys equal once sanitised are written the same.
func appendKeyString(dst []byte, key string) []byte {
	if out, ok := appendPlainString(dst, key); ok {
		return out
	}
	if !strings.Contains(key, "\uFFFD") {
		return appendStringSlow(dst, key)
	}
	dst = append(dst, '"')
	for {
		i := strings.Index(key, "\uFFFD")
		if i < 0 {
			break
		}
		dst = appendEscaped(dst, key[:i], false)
		dst = append(dst, `\ufffd`...)
		key = key[i+len("\uFFFD"):]
	}
	dst = appendEscaped(dst, key, false)
	return append(dst, '"')
}
