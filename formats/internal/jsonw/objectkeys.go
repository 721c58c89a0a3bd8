package jsonw

import (
	"math/bits"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Objects in payloads have unique keys. Of members whose keys are written
// the same, the first is kept, as the mapping keeps the first of a key
// that the body, the attributes and the resource all set. Keys repeat in
// a pdata map read from the wire (pcommon.Map checks nothing there), in
// event data whose body map had them, and when two keys differ only in
// invalid UTF-8, which is written as U+FFFD.

// smallObject is how many keys an object may have before ObjectKeys
// keeps them in a set rather than comparing a key with the earlier ones.
const smallObject = 32

// ObjectKeys is the keys written so far in one JSON object. Keys are
// equal when they are written the same (AppendString writes strings that
// are equal once sanitised the same way, others differently). A key
// written as it is (the common case; "plain" below) can only equal another
// such key, and is new for sure when a 128-bit filter of the earlier ones'
// lengths and ends says so: most keys are settled without a comparison
// and without memory. The others are compared with the earlier keys, which the caller
// has (FreshInMap, FreshInFields), or kept in sets for large objects and
// for keys that escaping or sanitising changed.
type ObjectKeys struct {
	filter [2]uint64
	// n counts the keys that quick did not take; quick takes at most
	// 128, one per bit of the filter.
	n     int
	plain map[string]struct{} // plain keys, once there are more than smallObject
	other map[string]struct{} // other keys, as written
}

// Quick records key, just written as w, and reports true when it is new
// for sure; false says to ask FreshInMap or FreshInFields. The filter's
// bit is picked by the key's length and its first and last bytes.
func (o *ObjectKeys) Quick(w []byte, key string) bool {
	if len(w) != len(key)+2 || key == "" {
		return false
	}
	x := (uint64(len(key)) | uint64(key[0])<<8 | uint64(key[len(key)-1])<<16) * 0x9E3779B97F4A7C15
	word, bit := &o.filter[x>>63], uint64(1)<<(x>>57&63)
	if *word&bit != 0 {
		return false
	}
	*word |= bit
	return true
}

// count is how many keys the object has.
func (o *ObjectKeys) count() int {
	return bits.OnesCount64(o.filter[0]) + bits.OnesCount64(o.filter[1]) + o.n
}

// FreshInMap is fresh for the i-th key of m.
func (o *ObjectKeys) FreshInMap(w []byte, key string, m pcommon.Map, i int) bool {
	if fresh, done := o.settle(w, key); done {
		return fresh
	}
	j, dup := 0, false
	for k := range m.All() {
		if j == i {
			break
		}
		j++
		if o.plain != nil {
			o.plain[k] = struct{}{}
		} else if k == key {
			dup = true
			break
		}
	}
	return o.settled(key, dup)
}

// Member is the shape of formats.Field, which this package cannot name:
// formats imports it.
type Member interface {
	~struct {
		Key   string
		Value pcommon.Value
	}
}

// FreshInFields is FreshInMap for the key after fields, whose keys rename
// gives when it is set.
func FreshInFields[F Member](o *ObjectKeys, w []byte, key string, fields []F, rename func(string) string) bool {
	if fresh, done := o.settle(w, key); done {
		return fresh
	}
	dup := false
	for _, f := range fields {
		k := member(f).Key
		if rename != nil {
			k = rename(k)
		}
		if o.plain != nil {
			o.plain[k] = struct{}{}
		} else if k == key {
			dup = true
			break
		}
	}
	return o.settled(key, dup)
}

// settle decides what needs no earlier keys. A key that escaping or
// sanitising changed is compared as written with the others of its kind:
// it is written with a backslash, which a key written as it is never has. A plain key is looked up in the set of a large
// object. Otherwise done is false, and the caller compares key with the
// earlier keys, or fills the set when the object grew large.
func (o *ObjectKeys) settle(w []byte, key string) (fresh, done bool) {
	if len(w) != len(key)+2 {
		if _, dup := o.other[string(w)]; dup {
			return false, true
		}
		if o.other == nil {
			o.other = make(map[string]struct{})
		}
		o.other[string(w)] = struct{}{}
		return true, true
	}
	if o.plain != nil {
		if _, dup := o.plain[key]; dup {
			return false, true
		}
		o.plain[key] = struct{}{}
		return true, true
	}
	if n := o.count(); n >= smallObject {
		o.plain = make(map[string]struct{}, 2*n)
		// quick must not take keys past the set.
		o.filter = [2]uint64{^uint64(0), ^uint64(0)}
	}
	return false, false
}

// settled records a plain key once the earlier keys were looked at.
func (o *ObjectKeys) settled(key string, dup bool) bool {
	if o.plain != nil {
		if _, dup := o.plain[key]; dup {
			return false
		}
		o.plain[key] = struct{}{}
		return true
	}
	if dup {
		return false
	}
	o.n++
	return true
}

// PlainKey is key as it is written: invalid UTF-8 becomes U+FFFD, one per
// byte, as AppendString writes it. For the formats that hand data on as Go
// maps, whose keys are then compared as they will be written.
func PlainKey(key string) string {
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

// UniqueFields is fields without the ones whose keys are written as an
// earlier one's. It allocates only when there is one to leave out.
func UniqueFields[F Member](fields []F) []F {
	var keys ObjectKeys
	var written []byte
	var out []F
	for i, f := range fields {
		key := member(f).Key
		written = AppendString(written[:0], key)
		switch {
		case keys.Quick(written, key) || FreshInFields(&keys, written, key, fields[:i], nil):
			if out != nil {
				out = append(out, f)
			}
		case out == nil:
			out = append(make([]F, 0, len(fields)-1), fields[:i]...)
		}
	}
	if out == nil {
		return fields
	}
	return out
}

// member is f as the struct every Member is.
func member[F Member](f F) struct {
	Key   string
	Value pcommon.Value
} {
	return struct {
		Key   string
		Value pcommon.Value
	}(f)
}
