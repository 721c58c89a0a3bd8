package builtin

import (
	"sync"
)

// bodyBuffers lends an encoder the buffer a batch's request bodies are
// written in, and takes it back through Batch.Release for a later batch.
// A push writes about 450 bytes per event; allocated anew every time, that
// garbage made the runtime mark the whole pdata heap every few pushes, a
// fifth of the push path's CPU.
//
// What a buffer holds follows the batch being encoded: a released buffer
// is taken as it is, whatever its capacity, and append grows it past what
// the batch needs. Nothing is reserved from what an earlier batch was like:
// one event of a few megabytes followed by a batch of many tiny ones must
// not reserve the large size for each of the small events.
type bodyBuffers struct {
	pool sync.Pool // *[]byte, of at most bodyKeep bytes
}

const (
	// minEventSize is the guess per event for a new buffer: a small
	// security event.
	minEventSize = 256
	// bodyStart caps what a new buffer reserves before anything is
	// written: beyond it, the batch's own bytes decide, by growth.
	bodyStart = 256 << 10
	// bodyKeep is the largest buffer kept for a later batch. A larger one
	// is what a rare batch of large or many events needed; kept, every
	// consumer could hold one for as long as the pool keeps it.
	bodyKeep = 4 << 20
)

// get returns an empty buffer for a batch of n events, whose requests are
// at most limit bytes (0: no limit): a released one if there is one, else
// a new one with room for n small events, at most bodyStart and the limit
// and a quarter.
func (p *bodyBuffers) get(n, limit int) []byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	size := min(n*minEventSize+2, bodyStart)
	if limit > 0 {
		size = min(size, limit+limit/4)
	}
	return make([]byte, 0, size)
}

// lend hands buf to batch until its Release.
func (p *bodyBuffers) lend(batch *Batch, buf []byte) {
	batch.buffer, batch.owner = buf, p
}

// Release gives the batch's body buffer back to its encoder, to be
// written over by a later batch (unless it is larger than bodyKeep). Call
// it only once nothing reads a request body of the batch anymore, the
// HTTP transport included. A batch never released is left to the garbage
// collector.
func (b *Batch) Release() {
	if b.owner == nil {
		return
	}
	if cap(b.buffer) <= bodyKeep {
		buf := b.buffer[:0]
		b.owner.pool.Put(&buf)
	}
	b.owner, b.buffer = nil, nil
	for i := range b.Requests {
		b.Requests[i].Body = nil
	}
}

// growBody makes room in buf before the next event is appended: when less
// than an eighth of it is free, it doubles what buf holds. Appended
// without it, a body outgrowing its buffer grows by a quarter at a time,
// allocating several times its final size on the way; doubling from the
// bytes written bounds what is allocated by twice the batch's own bytes.
// Not slices.Grow: under the race detector (make test) it allocates a
// throwaway array the size of the growth as well.
func growBody(buf []byte) []byte {
	if cap(buf)-len(buf) < len(buf)/8 {
		return append(make([]byte, 0, 2*len(buf)), buf...)
	}
	return buf
}
