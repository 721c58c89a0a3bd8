package hecsink

import (
	"sync"
	"testing"
	"time"
)

// Clock is a clock a test moves by hand, for the acknowledgement poller:
// each of the poller's waits is signalled on Idle, which is how a test
// knows a poll is over. No test waits on real time with it.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	idle    chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewClock is a Clock at now.
func NewClock(now time.Time) *Clock {
	return &Clock{now: now, idle: make(chan struct{}, 1024)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After fires once the clock is moved past d from now.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.mu.Unlock()
	c.idle <- struct{}{}
	return ch
}

// Idle receives a signal for each wait begun.
func (c *Clock) Idle() <-chan struct{} { return c.idle }

// Advance moves the time by d and wakes the waits that are over.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// HangGuard bounds how long a test waits for the poller or a sender to
// get somewhere, so that a bug fails the test rather than hangs it; no
// test measures time.
const HangGuard = 30 * time.Second

// WaitIdle waits until the poller waits on the clock.
func (c *Clock) WaitIdle(t testing.TB) {
	t.Helper()
	select {
	case <-c.idle:
	case <-time.After(HangGuard):
		t.Fatal("the poller never came back to wait on its clock")
	}
}
