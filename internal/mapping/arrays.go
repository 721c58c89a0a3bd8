package mapping

import (
	"sync"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats"
)

// Arrays are the arrays one push maps its events into.
type Arrays struct {
	Events  []formats.Event
	Fields  []formats.Field
	Scratch []byte // digest input
	Results []formats.Result
	Records []RecordRef // what Events[i] was mapped from
}

// RecordRef is the record an event was mapped from, with its resource and
// scope (what a dead letter keeps of it) and its scope's digest: enough to
// compute the event's id later, once.
type RecordRef struct {
	Record    plog.LogRecord
	Resource  plog.ResourceLogs
	ScopeLogs plog.ScopeLogs
	Scope     Digest
	digest    Digest // the record's, once digested is set
	digested  bool
}

// Digest is the digest of Events[i], the event's id as a number: what
// the settled store keeps. It is computed once, by the mapping or here.
// Not safe for concurrent use.
func (a *Arrays) Digest(i int) Digest {
	r := &a.Records[i]
	if !r.digested {
		a.Scratch, r.digest = RecordDigest(a.Scratch, r.Scope, r.Record)
		r.digested = true
	}
	return r.digest
}

// ID returns the id of Events[i], computing it if the mapping did not.
// Not safe for concurrent use.
func (a *Arrays) ID(i int) string {
	if a.Events[i].ID == "" {
		a.Events[i].ID = IDString(a.Digest(i))
	}
	return a.Events[i].ID
}

// Keep keeps the events that keep picks by their index, in order, and
// drops the others: the events to try again, without mapping their
// records again. The events' data stays where the mapping put it.
func (a *Arrays) Keep(keep func(i int) bool) {
	n := 0
	for i := range a.Events {
		if keep(i) {
			a.Events[n], a.Records[n] = a.Events[i], a.Records[i]
			n++
		}
	}
	clear(a.Events[n:])
	clear(a.Records[n:])
	a.Events, a.Records = a.Events[:n], a.Records[:n]
	a.Results = a.Results[:0]
}

// Pool lets pushes reuse their event arrays. They are half of what a
// push allocates, and on the push path allocation is paid for again in
// garbage collection, which marks the whole pdata heap each cycle. Events
// must not outlive the push that mapped them (formats.Encoder says so).
type Pool struct {
	pool sync.Pool
}

func (p *Pool) Get() *Arrays {
	if a, ok := p.pool.Get().(*Arrays); ok {
		return a
	}
	return &Arrays{}
}

// put returns a's arrays after clearing what they point to, so that a
// pooled array keeps no pdata of an old batch alive. An array larger than
// poolKeepBytes is left to the garbage collector: it served a rare large
// batch, and kept, every consumer could hold one for as long as the pool
// keeps it.
func (p *Pool) Put(a *Arrays) {
	a.Events = keep(a.Events)
	a.Fields = keep(a.Fields)
	a.Scratch = keep(a.Scratch)
	a.Results = keep(a.Results)
	a.Records = keep(a.Records)
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
