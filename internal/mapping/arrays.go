package mapping

import (
	"sync"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
)

// Arrays are the arrays one push maps its events into.
type Arrays struct {
	Events  []formats.Event
	Fields  []formats.Field
	Scratch []byte // digest input
	Results []builtin.Result
	Records []RecordRef // what Events[i] was mapped from
	Scopes  []ScopeRef  // the scopes Records point into
}

// RecordRef is the record an event was mapped from and the index of its
// scope in Arrays.Scopes: enough to compute the event's id later, and to
// keep the record with its resource and scope as a dead letter.
type RecordRef struct {
	Record plog.LogRecord
	Scope  int
}

// ScopeRef is one ScopeLogs of a batch, with its resource and its digest,
// which each of its records' digests starts from.
type ScopeRef struct {
	Resource  plog.ResourceLogs
	ScopeLogs plog.ScopeLogs
	Digest    Digest
}

// Digest is the digest of Events[i], the event's id as a number: what
// the settled store keeps. Not safe for concurrent use.
func (a *Arrays) Digest(i int) Digest {
	r := a.Records[i]
	var d Digest
	a.Scratch, d = RecordDigest(a.Scratch, a.Scopes[r.Scope].Digest, r.Record)
	return d
}

// Origin is what Events[i] was mapped from: its record, with the record's
// resource and scope.
func (a *Arrays) Origin(i int) (plog.ResourceLogs, plog.ScopeLogs, plog.LogRecord) {
	r := a.Records[i]
	s := a.Scopes[r.Scope]
	return s.Resource, s.ScopeLogs, r.Record
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
// must not outlive the push that mapped them (builtin.Encoder says so).
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
	a.Scopes = keep(a.Scopes)
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
