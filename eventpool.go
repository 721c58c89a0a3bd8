package webhookexporter

import (
	"sync"

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
// pooled array keeps no pdata of an old batch alive.
func (p *eventPool) put(a *eventArrays) {
	clear(a.events)
	clear(a.fields)
	clear(a.results)
	clear(a.records)
	a.events, a.fields, a.scratch, a.results, a.records = a.events[:0], a.fields[:0], a.scratch[:0], a.results[:0], a.records[:0]
	p.pool.Put(a)
}
