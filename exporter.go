package webhookexporter

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

type webhookExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	logger    *zap.Logger
	encoder   formats.Encoder
	mapper    mapping.Mapper
	arrays    mapping.Pool
	sender    *sender
	deliverer *deliverer

	id         string // the component id
	settingsID component.ID
	// keeper gives up on events: dead letters, counters, drop log.
	keeper *deadletter.Keeper
	// stopping is closed when the collector begins to shut the exporter
	// down, before the queue drains (see mapping.StampingLogs.Shutdown).
	stopping      chan struct{}
	stopOnce      sync.Once
	keepOnRestart bool // a persistent queue keeps what shutdown interrupts
	queueStorage  *component.ID
	// drain is cancelled when a shutdown's time to deliver is over
	// (see beginShutdown); endDrain cancels it.
	drain    context.Context
	endDrain context.CancelFunc
	// settled remembers what is settled of batches a persistent queue
	// holds; nil without one.
	settled *settledStore
	clock   clock
}

func newExporter(cfg *Config, set exporter.Settings) (*webhookExporter, error) {
	enc, err := newEncoder(cfg)
	if err != nil {
		return nil, err
	}
	tel, err := deadletter.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, err
	}
	var dl *deadletter.Writer
	file := ""
	if c := cfg.DeadLetter; c.Enabled {
		dl = deadletter.NewWriter(c.Directory, c.MaxSizeMiB, c.Sync, set.ID)
		file = dl.Path()
	}
	snd := newSender(cfg, enc, set.BuildInfo)
	e := &webhookExporter{
		cfg:       cfg,
		settings:  set.TelemetrySettings,
		logger:    set.Logger,
		encoder:   enc,
		sender:    snd,
		deliverer: newDeliverer(cfg, snd, enc, set.Logger),
		mapper: mapping.Mapper{
			Source:             cfg.Source,
			ResourceAttributes: cfg.ResourceAttributes,
			Now:                time.Now,
			LazyIDs:            enc.Wire().WithoutIDs,
		},
	}
	e.id = set.ID.String()
	e.keeper = &deadletter.Keeper{
		Writer: dl, Telemetry: tel, Drops: deadletter.NewDropLog(set.Logger, e.id, file),
		Exporter: e.id, Endpoint: snd.endpoint, Format: cfg.Format,
	}
	e.deliverer.deadLetterFile = file
	e.stopping = make(chan struct{})
	if cfg.QueueConfig.HasValue() {
		e.queueStorage = cfg.QueueConfig.Get().StorageID
	}
	e.keepOnRestart = e.queueStorage != nil
	e.drain, e.endDrain = context.WithCancel(context.Background())
	e.clock = systemClock()
	e.settingsID = set.ID
	return e, nil
}

// newEncoder builds the encoder that the configured format names.
func newEncoder(cfg *Config) (formats.Encoder, error) {
	if b, ok := formats.LookupBuiltin(cfg.Format); ok {
		return b.New(cfg.formatSettings())
	}
	if enc, ok := formats.Lookup(cfg.Format); ok {
		return enc, nil
	}
	return nil, fmt.Errorf("format %q is not available in this build", cfg.Format)
}

// start connects the sender here because only now are the auth extensions
// known.
func (e *webhookExporter) start(ctx context.Context, host component.Host) error {
	if e.keeper.Writer != nil {
		if err := e.keeper.Writer.Check(); err != nil {
			return err
		}
	}
	if err := e.sender.connect(ctx, e.cfg.ClientConfig, host, e.settings); err != nil {
		return err
	}
	if e.queueStorage != nil {
		settled, err := openSettledStore(ctx, host, *e.queueStorage, e.settingsID, e.logger, e.clock.now)
		if err != nil {
			return err
		}
		e.settled = settled
	}
	e.warnSettings()
	if e.cfg.ConnectionCheck.Enabled {
		if err := checkConnection(ctx, e.sender, e.encoder, e.cfg, e.logger); err != nil {
			return err
		}
	}
	e.keeper.Drops.StartTicker()
	return nil
}

// beginShutdown tells pushes that wait for a retry to give up, and gives
// the requests in flight and the in-memory queue's batches one timeout in
// all to be delivered: then requests still unanswered are cut and the
// batches left are not sent. Their events are dead-lettered as shutdown
// (a persistent queue keeps them), so a receiver that never answers holds
// a shutdown for one timeout, however many batches are queued.
func (e *webhookExporter) beginShutdown() {
	e.stopOnce.Do(func() {
		close(e.stopping)
		over := e.clock.after(e.cfg.ClientConfig.Timeout)
		go func() {
			select {
			case <-over:
			case <-e.drain.Done():
			}
			e.endDrain()
		}()
	})
}

// shutdown runs after the queue has drained: the drop totals logged now
// include what the shutdown gave up on.
func (e *webhookExporter) shutdown(ctx context.Context) error {
	e.beginShutdown()
	e.endDrain()
	e.keeper.Drops.Stop()
	e.sender.close()
	if e.settled != nil {
		return e.settled.close(ctx)
	}
	return nil
}

// attempt sends the events of a once. The first attempt maps them from
// ld as it encodes them, unless mapped says a holds them already; a retry
// encodes the events a kept, without mapping their records again. Events
// that failed in a retryable way are marked Retry in a.Results; events
// dropped for good are dead-lettered, counted and logged.
func (e *webhookExporter) attempt(ctx context.Context, a *mapping.Arrays, ld plog.Logs, mapped bool) attemptResult {
	var batch formats.Batch
	var err error
	if mapped {
		batch, err = e.encoder.Encode(a.Events)
	} else {
		batch, err = mapAndEncode(&e.mapper, e.encoder, e.sender.wire.Stream, ld, a)
	}
	if err != nil {
		err = fmt.Errorf("encoding %d events as %s: %w", len(a.Events), e.cfg.Format, err)
		lost := e.keeper.GiveUp(a, deadletter.All(deadletter.Dropped{Reason: deadletter.EncodingFailed, Detail: err.Error()}))
		return attemptResult{dropped: len(a.Events), dropErr: err, lost: lost}
	}
	a.Results = append(a.Results[:0], make([]formats.Result, len(a.Events))...)
	d := newDelivery(e.deliverer, a)
	d.reject(batch.Rejected, nil)
	d.sendAll(ctx, &batch)
	lost := 0
	if d.dropped > 0 {
		lost = e.keeper.GiveUp(a, d.droppedAt)
	}
	r := d.result()
	r.lost = lost
	if e.settled != nil && r.retryErr != nil {
		r.settled = settledDigests(a)
	}
	return r
}

// settledDigests are the ids of the events of an attempt that were
// delivered or dropped, for the settled store.
func settledDigests(a *mapping.Arrays) []mapping.Digest {
	var ids []mapping.Digest
	for i, r := range a.Results {
		if r.Outcome != formats.Retry {
			ids = append(ids, a.Digest(i))
		}
	}
	return ids
}

// mapAndEncode maps ld's events into arrays and encodes them: a chunk at a
// time for an encoder that takes a batch in parts (stream, its
// Wire.Stream as the sender keeps it), else all at once.
func mapAndEncode(m *mapping.Mapper, enc formats.Encoder, stream func(n int) formats.EventStream, ld plog.Logs, arrays *mapping.Arrays) (formats.Batch, error) {
	if stream != nil {
		stream := stream(ld.LogRecordCount())
		m.MapInto(ld, arrays, stream.Add)
		return stream.Finish(), nil
	}
	m.MapInto(ld, arrays, nil)
	return enc.Encode(arrays.Events)
}

// attemptResult is what became of one attempt at a batch.
type attemptResult struct {
	// retryErr is set when events are to be tried again: those marked
	// Retry in the attempt's results.
	retryErr error
	throttle time.Duration // the receiver's Retry-After
	dropped  int
	lost     int   // of the dropped, those not kept as dead letters
	dropErr  error // why the whole batch was dropped, if it was
	// firstDrop is the reason of the first event dropped, for the error.
	firstDrop string
	// settled holds the ids of the events delivered or dropped when
	// others are to be retried and the settled store is on.
	settled []mapping.Digest
	resent  int // requests Go's transport sent again on its own, at most per request
}

// resultOf sums up an attempt from the outcome of each event.
func resultOf(outcomes []formats.Result, retryErr error, throttle time.Duration, dropped int) attemptResult {
	r := attemptResult{dropped: dropped}
	for _, o := range outcomes {
		if o.Outcome == formats.Drop && r.firstDrop == "" {
			r.firstDrop = o.Reason
		}
		if o.Outcome == formats.Retry {
			r.retryErr, r.throttle = retryErr, throttle
		}
	}
	return r
}
