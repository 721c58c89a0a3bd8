package formats

import (
	"sync"
	"sync/atomic"
)

// bodyBuffers lends an encoder the buffer a batch's request bodies are
// written in, and takes it back through Batch.Release for a later batch.
// A push writes about 450 bytes per event; allocated anew every time, that
// garbage made the runtime mark the whole pdata heap every few pushes, a
// fifth of the push path's CPU. New buffers are sized from the bytes per
// event of the last batch, because a body that starts too small grows by
// copying, several times for a large batch.
type bodyBuffers struct {
	pool     sync.Pool // *[]byte
	perEvent atomic.Int64
}

// minEventSize is the first guess: a small security event.
const minEventSize = 256

// get returns an empty buffer for n events, at most limit bytes (0: no
// limit) plus a quarter for the event that crosses it. A released buffer
// is taken if it holds n events of the last batch's size; a new one gets
// an eighth more room, for batches of larger events.
func (p *bodyBuffers) get(n, limit int) []byte {
	per := p.perEvent.Load()
	if per == 0 {
		per = minEventSize
	}
	need := per*int64(n) + 2
	size := need + need/8
	if limit > 0 {
		need = min(need, int64(limit)+int64(limit)/4)
		size = min(size, int64(limit)+int64(limit)/4)
	}
	if b, ok := p.pool.Get().(*[]byte); ok && int64(cap(*b)) >= need {
		return (*b)[:0]
	}
	return make([]byte, 0, size)
}

// lend hands buf, which holds the bodies of n events, to batch until its
// Release, and learns the size per event.
func (p *bodyBuffers) lend(batch *Batch, buf []byte, n int) {
	if n > 0 {
		p.perEvent.Store(int64((len(buf) + n - 1) / n))
	}
	batch.buffer, batch.owner = buf, p
}

// Release gives the batch's body buffer back to its encoder, to be
// written over by a later batch. Call it only once nothing reads a
// request body of the batch anymore, the HTTP transport included. A batch
// never released is left to the garbage collector.
func (b *Batch) Release() {
	if b.owner == nil {
		return
	}
	buf := b.buffer[:0]
	b.owner.pool.Put(&buf)
	b.owner, b.buffer = nil, nil
	for i := range b.Requests {
		b.Requests[i].Body = nil
	}
}
