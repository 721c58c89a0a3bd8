package delivery

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/hecack"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

// Settings are what the push path takes of the exporter's config.
type Settings struct {
	Format        string // for log lines and errors
	MaxConcurrent int    // max_concurrent_requests
	Retry         configretry.BackOffConfig
	// Timeout is the exporter's timeout: a shutdown gives the requests in
	// flight and the in-memory queue this long in all.
	Timeout time.Duration
	// KeepOnRestart says a persistent queue keeps what shutdown interrupts.
	KeepOnRestart bool
	// Threshold is min_severity: events below it are left out as they
	// are mapped, and counted.
	Threshold builtin.Threshold
	// Digest folds storms of one event type into digests (digest.go).
	Digest builtin.DigestConfig
}

// Pusher is the push path of one exporter: it maps a batch into events,
// sends them, tries the events that failed in a retryable way again, and
// gives up on the others through its Keeper.
type Pusher struct {
	// Mapper and Clock may be set before the first push (tests do).
	Mapper mapping.Mapper
	Clock  Clock
	// AckClock is the acknowledgement poller's clock, if not Clock (tests
	// move it by hand); read by StartAck.
	AckClock hecack.Clock
	// Arrays lets pushes reuse their event arrays.
	Arrays mapping.Pool

	// Settings may be changed before the first push (tests do).
	Settings  Settings
	logger    *zap.Logger
	encoder   builtin.Encoder
	sender    *Sender
	deliverer *deliverer
	keeper    *deadletter.Keeper
	// stopping is closed when the collector begins to shut the exporter
	// down, before the queue drains (see mapping.StampingLogs.Shutdown).
	stopping chan struct{}
	stopOnce sync.Once
	// drain is cancelled when a shutdown's time to deliver is over
	// (see BeginShutdown); endDrain cancels it.
	drain    context.Context
	endDrain context.CancelFunc
	// settled remembers what is settled of batches a persistent queue
	// holds; nil without one.
	settled *settledStore
	// acker is Splunk HEC's indexer acknowledgement, nil when off; a
	// push gives up on events after maxResends resends unacknowledged.
	acker      *hecack.Acker
	maxResends int
	// below counts the events left out below min_severity until a push
	// hands the count to the keeper.
	below atomic.Int64
	// digest folds storms into digests; nil when the setting is off.
	digest *digests
}

// NewPusher is the push path sending enc's payloads through s; k gives up
// on events, and its dead-letter file is named in drop log lines.
func NewPusher(set Settings, m mapping.Mapper, enc builtin.Encoder, s *Sender, k *deadletter.Keeper, logger *zap.Logger) *Pusher {
	p := &Pusher{
		Mapper:   m,
		Clock:    SystemClock(),
		Settings: set,
		logger:   logger,
		encoder:  enc,
		sender:   s,
		keeper:   k,
		stopping: make(chan struct{}),
		deliverer: &deliverer{
			sender: s, encoder: enc, logger: logger, format: set.Format, maxConcurrent: set.MaxConcurrent,
		},
	}
	if k.Writer != nil {
		p.deliverer.deadLetterFile = k.Writer.Path()
	}
	if interval := s.wire.MinInterval; interval > 0 {
		p.deliverer.pace = &pace{interval: interval, clock: &p.Clock}
	}
	if d := builtin.NewDigester(set.Digest); d != nil {
		p.digest = &digests{d: d, window: set.Digest.Window, stop: make(chan struct{})}
	}
	if t := set.Threshold; t.MinSeverity != "" || p.digest != nil {
		p.Mapper.Skip = func(ev *formats.Event) bool {
			if t.MinSeverity != "" && t.Below(ev.Severity) {
				p.below.Add(1)
				return true
			}
			return p.digest != nil && !p.digest.admit(ev, p.Clock.Now())
		}
	}
	p.drain, p.endDrain = context.WithCancel(context.Background())
	return p
}

// OpenSettled opens the settled store in the persistent queue's storage
// extension, storageID; owner is the exporter's id.
func (p *Pusher) OpenSettled(ctx context.Context, host component.Host, storageID, owner component.ID) error {
	settled, err := openSettledStore(ctx, host, storageID, owner, p.logger, p.Clock.Now)
	if err != nil {
		return err
	}
	p.settled = settled
	return nil
}

// BeginShutdown tells pushes that wait for a retry to give up, and gives
// the requests in flight and the in-memory queue's batches one timeout in
// all to be delivered: then requests still unanswered are cut and the
// batches left are not sent. Their events are dead-lettered as shutdown
// (a persistent queue keeps them), so a receiver that never answers holds
// a shutdown for one timeout, however many batches are queued.
func (p *Pusher) BeginShutdown() {
	p.stopOnce.Do(func() {
		close(p.stopping)
		over := p.Clock.After(p.Settings.Timeout)
		go func() {
			select {
			case <-over:
			case <-p.drain.Done():
			}
			p.endDrain()
		}()
	})
}

// EndDrain ends the shutdown's drain: the queue has drained.
func (p *Pusher) EndDrain() {
	p.BeginShutdown()
	p.endDrain()
}

// Close closes the settled store, once nothing is pushed anymore.
func (p *Pusher) Close(ctx context.Context) error {
	p.acker.Close()
	if p.settled != nil {
		return p.settled.close(ctx)
	}
	return nil
}

// SettledEvents is how many events the settled store remembers; 0
// without one.
func (p *Pusher) SettledEvents() int {
	if p.settled == nil {
		return 0
	}
	p.settled.mu.Lock()
	defer p.settled.mu.Unlock()
	return len(p.settled.ids)
}

// MapAndEncode maps ld's events into a and encodes them, as the first
// attempt at a batch does.
func (p *Pusher) MapAndEncode(ld plog.Logs, a *mapping.Arrays) (builtin.Batch, error) {
	return mapAndEncode(&p.Mapper, p.encoder, p.sender.wire.Stream, ld, a)
}

// attempt sends the events of a once. The first attempt maps them from
// ld as it encodes them, unless mapped says a holds them already; a retry
// encodes the events a kept, without mapping their records again. Events
// that failed in a retryable way are marked Retry in a.Results; events
// dropped for good are dead-lettered, counted and logged. With
// acknowledgement, ackTries counts the unacknowledged sends of each event
// in the push (see awaitAcks).
func (p *Pusher) attempt(ctx context.Context, a *mapping.Arrays, ld plog.Logs, mapped bool, ackTries map[string]int) attemptResult {
	var batch builtin.Batch
	var err error
	if mapped {
		batch, err = p.encoder.Encode(a.Events)
	} else {
		batch, err = p.MapAndEncode(ld, a)
	}
	if err == nil && len(a.Events) == 0 {
		// Every event was below min_severity: nothing to send.
		batch.Release()
		return attemptResult{}
	}
	if err != nil {
		err = fmt.Errorf("encoding %d events as %s: %w", len(a.Events), p.Settings.Format, err)
		lost := p.keeper.GiveUp(a, deadletter.All(encodingFailed(err)))
		return attemptResult{dropped: len(a.Events), dropErr: err, lost: lost}
	}
	a.Results = append(a.Results[:0], make([]builtin.Result, len(a.Events))...)
	d := newDelivery(p.deliverer, a)
	d.reject(batch.Rejected, nil)
	if p.acker == nil || d.healthy(ctx) == nil {
		d.sendAll(ctx, &batch)
	} else {
		batch.Release()
	}
	var ackWait time.Duration
	if p.acker != nil {
		start := p.Clock.Now()
		d.awaitAcks(ctx, ackTries, p.maxResends)
		ackWait = p.Clock.Now().Sub(start)
	}
	lost := 0
	if d.dropped > 0 {
		lost = p.keeper.GiveUp(a, d.droppedAt)
	}
	r := d.result()
	r.lost, r.ackWait = lost, ackWait
	if p.settled != nil && r.retryErr != nil {
		r.settled = settledDigests(a)
	}
	return r
}

// settledDigests are the ids of the events of an attempt that were
// delivered or dropped, for the settled store.
func settledDigests(a *mapping.Arrays) []mapping.Digest {
	var ids []mapping.Digest
	for i, r := range a.Results {
		if r.Outcome != builtin.Retry {
			ids = append(ids, a.Digest(i))
		}
	}
	return ids
}

// mapAndEncode maps ld's events into arrays and encodes them: a chunk at a
// time for an encoder that takes a batch in parts (stream, its
// Wire.Stream as the sender keeps it), else all at once.
func mapAndEncode(m *mapping.Mapper, enc builtin.Encoder, stream func(n int) builtin.EventStream, ld plog.Logs, arrays *mapping.Arrays) (builtin.Batch, error) {
	if stream != nil {
		stream := stream(ld.LogRecordCount())
		m.MapInto(ld, arrays, stream.Add)
		return stream.Finish(), nil
	}
	m.MapInto(ld, arrays, nil)
	return enc.Encode(arrays.Events)
}
