// Package fuzzdata turns fuzzer bytes into log records. The fuzz targets of
// several packages share it so that each explores the same shapes: any
// value type at any depth, raw (possibly invalid UTF-8) strings, every
// float64 bit pattern (NaN, infinities), and the attribute names the
// mapping reads.
package fuzzdata // import "github.com/sentyr/webhookexporter/internal/fuzzdata"

import (
	"encoding/binary"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// maxDepth bounds nesting: deep nesting has its own hostile-input test, and
// the fuzzer should spend its time on content rather than on recursion.
const maxDepth = 24

// keys the mapping gives meaning to, so that the fuzzer reaches them often.
var keys = []string{"severity", "event.name", "event_type", "message", "service.name", "host.name", "id", "_id"}

// Source reads fuzzer bytes; past the end it yields zeros, so every input
// builds something.
type Source struct {
	data []byte
}

// New returns a Source over data.
func New(data []byte) *Source { return &Source{data: data} }

// Byte returns the next byte.
func (s *Source) Byte() byte {
	if len(s.data) == 0 {
		return 0
	}
	b := s.data[0]
	s.data = s.data[1:]
	return b
}

// Uint64 returns the next eight bytes.
func (s *Source) Uint64() uint64 {
	var buf [8]byte
	n := copy(buf[:], s.data)
	s.data = s.data[n:]
	return binary.LittleEndian.Uint64(buf[:])
}

// String returns a string of up to 255 raw bytes.
func (s *Source) String() string {
	n := min(int(s.Byte()), len(s.data))
	out := string(s.data[:n])
	s.data = s.data[n:]
	return out
}

// Key returns one of the mapping's attribute names or a raw string.
func (s *Source) Key() string {
	if b := s.Byte(); int(b) < len(keys) {
		return keys[b]
	}
	return s.String()
}

// Empty reports whether all bytes were read.
func (s *Source) Empty() bool { return len(s.data) == 0 }

// Value fills v with a value of any type.
func (s *Source) Value(v pcommon.Value, depth int) {
	kind := s.Byte() % 8
	if depth >= maxDepth && (kind == 4 || kind == 5) {
		kind = 0
	}
	switch kind {
	case 0:
		v.SetStr(s.String())
	case 1:
		v.SetInt(int64(s.Uint64()))
	case 2:
		v.SetDouble(math.Float64frombits(s.Uint64()))
	case 3:
		v.SetBool(s.Byte()&1 == 1)
	case 4:
		s.Map(v.SetEmptyMap(), depth+1)
	case 5:
		sl := v.SetEmptySlice()
		for n := s.Byte() % 8; n > 0; n-- {
			s.Value(sl.AppendEmpty(), depth+1)
		}
	case 6:
		v.SetEmptyBytes().FromRaw([]byte(s.String()))
	default:
		// Leave the value empty.
	}
}

// Map adds up to 15 entries to m.
func (s *Source) Map(m pcommon.Map, depth int) {
	for n := s.Byte() % 16; n > 0; n-- {
		s.Value(m.PutEmpty(s.Key()), depth)
	}
}

// Record fills every field of lr that the mapping reads.
func (s *Source) Record(lr plog.LogRecord) {
	flags := s.Byte()
	if flags&1 != 0 {
		lr.SetEventName(s.String())
	}
	if flags&2 != 0 {
		lr.SetTimestamp(pcommon.Timestamp(s.Uint64()))
	}
	if flags&4 != 0 {
		lr.SetObservedTimestamp(pcommon.Timestamp(s.Uint64()))
	}
	if flags&8 != 0 {
		lr.SetSeverityText(s.String())
	}
	lr.SetSeverityNumber(plog.SeverityNumber(s.Byte() % 26))
	if flags&16 != 0 {
		var trace pcommon.TraceID
		binary.LittleEndian.PutUint64(trace[:], s.Uint64())
		lr.SetTraceID(trace)
	}
	s.Value(lr.Body(), 0)
	s.Map(lr.Attributes(), 0)
}

// Logs builds up to 3 resources, each with up to 3 scopes of up to 7
// records, until the bytes run out.
func (s *Source) Logs() plog.Logs {
	ld := plog.NewLogs()
	for r := s.Byte()%3 + 1; r > 0; r-- {
		rl := ld.ResourceLogs().AppendEmpty()
		s.Map(rl.Resource().Attributes(), 0)
		for sc := s.Byte()%3 + 1; sc > 0; sc-- {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(s.String())
			for n := s.Byte()%7 + 1; n > 0; n-- {
				s.Record(sl.LogRecords().AppendEmpty())
			}
		}
	}
	return ld
}
