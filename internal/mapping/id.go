package mapping

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/zeebo/xxh3"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Event ids are XXH3-128 digests of what tells one record from another,
// written as 32 hex digits: the same record gives the same id on every
// retry and after a restart.
//
// Why not SHA-256: the id is an idempotency key for receivers that
// deduplicate, not a signature, and on CPUs without SHA extensions
// SHA-256 costs more per event than all the rest of the push path
// together. A 128-bit XXH3 makes accidental collisions as unlikely
// as random UUIDs; forging one would need the full content of a future
// record, timestamps to the nanosecond included.
const IDLen = 32

// Digest is the digest of one record, written as an id by appendID.
type Digest = xxh3.Uint128

// ScopeDigest digests the resource and scope once per ScopeLogs; each
// record's digest starts from it instead of rewriting the resource.
func ScopeDigest(scratch []byte, res pcommon.Map, scope string) ([]byte, Digest) {
	scratch = appendDigestMap(scratch[:0], res)
	scratch = appendDigestString(scratch, scope)
	return scratch, xxh3.Hash128(scratch)
}

// RecordDigest digests one record under its scope's digest.
func RecordDigest(scratch []byte, scope Digest, lr plog.LogRecord) ([]byte, Digest) {
	b := scope.Bytes()
	dst := append(scratch[:0], b[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(lr.Timestamp()))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(lr.ObservedTimestamp()))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(lr.SeverityNumber()))
	dst = appendDigestString(dst, lr.SeverityText())
	dst = appendDigestString(dst, lr.EventName())
	dst = appendDigestValue(dst, lr.Body())
	dst = appendDigestMap(dst, lr.Attributes())
	traceID, spanID := lr.TraceID(), lr.SpanID()
	dst = append(dst, traceID[:]...)
	dst = append(dst, spanID[:]...)
	return dst, xxh3.Hash128(dst)
}

// InputID is the id of an event made from input rather than from a record.
func InputID(input []byte) string {
	return IDString(xxh3.Hash128(input))
}

func IDString(d Digest) string {
	var id strings.Builder
	writeID(&id, d)
	return id.String()
}

func writeID(dst *strings.Builder, d Digest) {
	b := d.Bytes()
	var id [IDLen]byte
	for i, c := range b {
		id[2*i], id[2*i+1] = hexPairs[c][0], hexPairs[c][1]
	}
	_, _ = dst.Write(id[:])
}

// hexPairs holds the two hex digits of every byte: writeID runs for every
// event of the formats that read ids, and hex.Encode's loop costs several
// times more than a lookup per byte.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&0xf]}
	}
	return t
}()

// The digest input is a prefix-free binary form of pdata values (a type
// tag, lengths before contents), so that no two different records give the
// same input. Unlike JSON it needs no escaping: strings are copied whole.

func appendDigestString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendDigestMap(dst []byte, m pcommon.Map) []byte {
	dst = binary.AppendUvarint(dst, uint64(m.Len()))
	for k, v := range m.All() {
		dst = appendDigestString(dst, k)
		dst = appendDigestValue(dst, v)
	}
	return dst
}

func appendDigestValue(dst []byte, v pcommon.Value) []byte {
	t := v.Type()
	dst = append(dst, byte(t))
	switch t {
	case pcommon.ValueTypeStr:
		return appendDigestString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return binary.LittleEndian.AppendUint64(dst, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return append(dst, 1)
		}
		return append(dst, 0)
	case pcommon.ValueTypeMap:
		return appendDigestMap(dst, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = binary.AppendUvarint(dst, uint64(s.Len()))
		for _, e := range s.All() {
			dst = appendDigestValue(dst, e)
		}
		return dst
	case pcommon.ValueTypeBytes:
		b := v.Bytes()
		dst = binary.AppendUvarint(dst, uint64(b.Len()))
		return append(dst, b.AsRaw()...)
	}
	return dst
}
