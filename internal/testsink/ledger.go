package testsink

import (
	"slices"
	"sync"
)

// Ledger is what a strict stand-in keeps of the requests it checked: those
// it took, those it answered 429 (as Throttle scripts), and why it refused
// the others. Its zero value is ready.
type Ledger[R any] struct {
	mu        sync.Mutex
	accepted  []R
	throttled []R
	refused   []string
	n         int
	throttle  map[int]string
}

// Throttle makes the n-th valid request (from 0) answer 429 with
// Retry-After: after.
func (l *Ledger[R]) Throttle(n int, after string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.throttle == nil {
		l.throttle = map[int]string{}
	}
	l.throttle[n] = after
}

// Refuse keeps why a request was refused.
func (l *Ledger[R]) Refuse(reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused = append(l.refused, reason)
}

// Take keeps a valid request r: as taken, or, when Throttle scripted it,
// as throttled, with the Retry-After to answer.
func (l *Ledger[R]) Take(r R) (after string, throttled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	after, throttled = l.throttle[l.n]
	l.n++
	if throttled {
		l.throttled = append(l.throttled, r)
	} else {
		l.accepted = append(l.accepted, r)
	}
	return after, throttled
}

// Accepted returns the requests taken, in order.
func (l *Ledger[R]) Accepted() []R {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.accepted)
}

// Throttled returns the requests answered 429, in order.
func (l *Ledger[R]) Throttled() []R {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.throttled)
}

// Refused returns why requests were refused, in order.
func (l *Ledger[R]) Refused() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.refused)
}
