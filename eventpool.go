package webhookexporter

import (
	"sync"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats"
)

// eventArrays are the arrays one push maps its events into.
type eventArrays struct {
	events  []formats.Event
	fields  []formats.Field
	scratch []byte // digest input
	results []formats.Result
	records []recordRef // what events[i] was mapped from
}

// recordRef is the record an event was mapped from and its scope's digest:
// enough to compute the event's id later.
type recordRef struct {
	record plog.LogRecord
	scope  idDigest
}

// eventPool lets pushes reuse their event arrays. They are half of what a
// push allocates, and on the push path allocation is paid for again in
// garbage collection, which marks the whole pdata heap each cycle. Events
// must not outlive the push that mapped them (formats.Encoder says so).
type eventPool struct {
	pool sync.Pool
}

func (p *eventPool) get() *eventArrays {
	if a, ok := p.pool.Get().(*eventArrays); ok {
		return a
	}
	return &eventArrays{}
}

// put returns a's arrays after clearing what they point to, so that a
// pooled array keeps no pdata of an old batch alive. An array larger than
// poolKeepBytes is left to the garbage collector: it served a rare large
// batch, and kept, every consumer could hold one for as long as the pool
// keeps it.
func (p *eventPool) put(a *eventArrays) {
	a.events = keep(a.events)
	a.fields = keep(a.fields)
	a.scratch = keep(a.scratch)
	a.results = keep(a.results)
	a.records = keep(a.records)
	p.pool.Put(a)
}

// poolKeepBytes is the most that one pooled array keeps.
const poolKeepBytes = 4 << 20

// keep returns s emptied and cleared for the pool, or nil when its array
// is larger than poolKeepBytes.
func keep[T any](s []T) []T {
	var zero T
	if uintptr(cap(s))*unsafe.Sizeof(zero) > poolKeepBytes {
		return nil
	}
	clear(s)
	return s[:0]
}
