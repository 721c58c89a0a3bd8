package formats

import "sync/atomic"

// sizeHint remembers the bytes per event of an encoder's last batch, so
// that the next body is allocated once at about the right size. A body
// that starts too small grows by copying, several times for a large
// batch; in the push-path profile that copying was a tenth of the CPU.
type sizeHint struct {
	perEvent atomic.Int64
}

// minEventSize is the first guess: a small security event.
const minEventSize = 256

// buffer returns an empty buffer for n events, at most limit bytes (0: no
// limit) plus a quarter for the event that crosses it.
func (h *sizeHint) buffer(n, limit int) []byte {
	size := max(h.perEvent.Load(), minEventSize)*int64(n) + 2
	if limit > 0 {
		size = min(size, int64(limit)+int64(limit)/4)
	}
	return make([]byte, 0, size)
}

// learn records a body of n events, with an eighth more room for batches
// of larger events.
func (h *sizeHint) learn(bytes, n int) {
	if n > 0 {
		per := int64(bytes / n)
		h.perEvent.Store(per + per/8)
	}
}
