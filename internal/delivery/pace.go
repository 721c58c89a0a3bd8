package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// pace keeps the least time the service allows between two requests
// (builtin.Wire.MinInterval) across every push of one exporter: each
// request takes the next free slot, one interval after the slot before,
// and waits for it. A storm then waits in order instead of being refused.
type pace struct {
	interval time.Duration
	clock    *Clock // the Pusher's: tests set it after NewPusher

	mu   sync.Mutex
	next time.Time // the first free slot
}

// wait takes the next slot and waits for it, on the clock the retries wait
// on. It gives up when ctx ends: the caller's, which the end of a
// shutdown's drain cuts too, so no wait outlasts the shutdown.
func (p *pace) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := p.clock.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	p.mu.Unlock()
	d := slot.Sub(now)
	if d <= 0 {
		return nil
	}
	select {
	case <-p.clock.After(d):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the service's pace (one request every %s): %w", p.interval, ctx.Err())
	}
}
