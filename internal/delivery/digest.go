package delivery

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
)

// digests folds a storm of events of one type into digests (the digest
// setting, builtin.Digester). A folded event is counted as digested when
// its push ends; the digests go out through the push path as log records,
// from a ticker and at shutdown. Folded events live in memory until their
// digest goes: a crash loses the digest, never the count.
type digests struct {
	mu     sync.Mutex
	d      *builtin.Digester
	window time.Duration
	folded atomic.Int64
	stop   chan struct{}
	once   sync.Once
	done   sync.WaitGroup
}

// admit says whether ev goes as it is; false: it was folded. A digest
// mapped back from its record goes as it is.
func (g *digests) admit(ev *formats.Event, now time.Time) bool {
	if len(ev.Data) > 0 && ev.Data[0].Key == "digest_count" {
		return true
	}
	g.mu.Lock()
	ok := g.d.Admit(ev, now)
	g.mu.Unlock()
	if !ok {
		g.folded.Add(1)
	}
	return ok
}

func (g *digests) due(now time.Time) []formats.Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.d.Due(now)
}

// SendDueDigests pushes the digests of the windows that ended by the
// pusher's clock; the ticker and the shutdown call it.
func (p *Pusher) SendDueDigests(ctx context.Context) {
	if p.digest == nil {
		return
	}
	p.sendDigests(ctx, p.digest.due(p.Clock.Now()))
}

func (p *Pusher) sendDigests(ctx context.Context, due []formats.Event) {
	if len(due) == 0 {
		return
	}
	if err := p.Push(ctx, digestLogs(due)); err != nil {
		p.logger.Warn("Sending event digests failed", zap.Int("digests", len(due)), zap.Error(err))
	}
}

// StartDigests starts the ticker that sends the digests due, a quarter
// window apart.
func (p *Pusher) StartDigests() {
	g := p.digest
	if g == nil {
		return
	}
	g.done.Add(1)
	go func() {
		defer g.done.Done()
		for {
			select {
			case <-g.stop:
				return
			case <-p.Clock.After(g.window / 4):
				p.SendDueDigests(p.drain)
			}
		}
	}()
}

// StopDigests stops the ticker and sends every digest not yet sent: at
// shutdown, once the queue drained and before the sender closes.
func (p *Pusher) StopDigests(ctx context.Context) {
	g := p.digest
	if g == nil {
		return
	}
	g.once.Do(func() { close(g.stop) })
	g.done.Wait()
	p.sendDigests(ctx, g.due(time.Unix(1<<40, 0)))
}

// digestLogs are the records that the mapping maps back into the digest
// events: their type and severity as attributes, their data as a map body.
func digestLogs(events []formats.Event) plog.Logs {
	ld := plog.NewLogs()
	for _, ev := range events {
		rl := ld.ResourceLogs().AppendEmpty()
		if ev.Resource != (pcommon.Map{}) {
			ev.Resource.CopyTo(rl.Resource().Attributes())
		}
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Timestamp))
		if ev.Attributes != (pcommon.Map{}) {
			ev.Attributes.CopyTo(lr.Attributes())
		}
		lr.Attributes().PutStr("event_type", ev.Type)
		lr.Attributes().PutStr("severity", ev.Severity)
		body := lr.Body().SetEmptyMap()
		body.EnsureCapacity(len(ev.Data))
		for _, f := range ev.Data {
			if _, dup := body.Get(f.Key); !dup {
				f.Value.CopyTo(body.PutEmpty(f.Key))
			}
		}
	}
	return ld
}
