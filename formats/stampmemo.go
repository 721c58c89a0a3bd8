package formats

import (
	"strconv"
	"time"
)

// stampMemo keeps the text of the last whole second an encoder wrote, as
// RFC 3339 and as epoch seconds. The events of a batch fall in a few
// seconds, and formatting a second (calendar, clock, digits) costs several
// times more than comparing it and copying its text; HEC writes every
// timestamp both ways. It lives for one Encode call (json and HEC keep it
// in their headerMemo). A nil memo always formats.
type stampMemo struct {
	sec      int64
	set      bool
	rfc3339  [24]byte // `"2025-10-29T12:00:05`, then room for AppendTime's `Z"`
	rfcLen   int
	epoch    [20]byte
	epochLen int
}

// maxStampSec is 10000-01-01T00:00:00Z: AppendTime's own format ends there.
const maxStampSec = 253402300800

// appendTime is AppendTime through the memo.
func (m *stampMemo) appendTime(dst []byte, t time.Time) []byte {
	if !m.load(t) {
		return AppendTime(dst, t)
	}
	dst = append(dst, m.rfc3339[:m.rfcLen]...)
	dst = appendFraction(dst, int64(t.Nanosecond()))
	return append(dst, 'Z', '"')
}

// appendEpoch is AppendEpoch through the memo.
func (m *stampMemo) appendEpoch(dst []byte, t time.Time) []byte {
	if !m.load(t) {
		return AppendEpoch(dst, t)
	}
	dst = append(dst, m.epoch[:m.epochLen]...)
	ns := int64(t.Nanosecond())
	return appendFraction(dst, ns-ns%int64(time.Millisecond)) // as AppendEpoch: milliseconds, cut

}

// load makes the memo hold t's second and reports whether it does: not
// for a nil memo, nor for seconds before 1970 or after 9999, which
// AppendTime and AppendEpoch write their own way.
func (m *stampMemo) load(t time.Time) bool {
	if m == nil {
		return false
	}
	sec := t.Unix()
	if m.set && sec == m.sec {
		return true
	}
	if sec < 0 || sec >= maxStampSec {
		return false
	}
	// The whole second has no fraction, so AppendTime ends it in `Z"`.
	m.rfcLen = len(AppendTime(m.rfc3339[:0], time.Unix(sec, 0))) - len(`Z"`)
	m.epochLen = len(strconv.AppendInt(m.epoch[:0], sec, 10))
	m.sec, m.set = sec, true
	return true
}
