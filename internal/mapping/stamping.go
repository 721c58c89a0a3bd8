package mapping

import (
	"context"
	"iter"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// StampingLogs gives records that carry no time at all an observed time
// before they are queued. Without it their timestamp, and with it their
// event id, would change on every retry. It also cuts values nested
// deeper than a queue can read back (see MaxNestedLevels).
type StampingLogs struct {
	exporter.Logs
	now       func() time.Time
	logger    *zap.Logger
	flattened metric.Int64Counter
	// beginShutdown tells the exporter's retries to stop, before
	// exporterhelper drains the queue.
	beginShutdown func()
	shutdownOnce  sync.Once
	shutdownErr   error
}

// NewStampingLogs wraps logs, the exporter that exporterhelper built;
// beginShutdown tells the exporter's retries to stop.
func NewStampingLogs(logs exporter.Logs, logger *zap.Logger, mp metric.MeterProvider, beginShutdown func()) (*StampingLogs, error) {
	flattened, err := newFlattenedCounter(mp)
	if err != nil {
		return nil, err
	}
	return &StampingLogs{Logs: logs, now: time.Now, logger: logger, flattened: flattened, beginShutdown: beginShutdown}, nil
}

// Shutdown stops the exporter's retries first, as exporterhelper does with
// its own retry sender: the queue then drains with one attempt per batch,
// and what fails is dead-lettered as shutdown.
func (s *StampingLogs) Shutdown(ctx context.Context) error {
	// Once: exporterhelper's retry sender panics when shut down twice.
	s.shutdownOnce.Do(func() {
		s.beginShutdown()
		s.shutdownErr = s.Logs.Shutdown(ctx)
	})
	return s.shutdownErr
}

// Capabilities are the queue's: the exporter itself never changes a batch
// it is given (stamping writes to a copy). Saying that it did would make
// the collector copy every batch for it whenever another consumer shares
// its pipeline, since the pipeline's fanout gives each consumer that
// mutates data its own copy; a copy costs about as much as encoding the
// batch. With sending_queue::batch the queue does change batches, and
// says so.
func (s *StampingLogs) Capabilities() consumer.Capabilities {
	return s.Logs.Capabilities()
}

func (s *StampingLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	untimed, deep := scanBatch(ld)
	if untimed || deep {
		if !s.Logs.Capabilities().MutatesData || ld.IsReadOnly() {
			own := plog.NewLogs()
			ld.CopyTo(own)
			ld = own
		}
	}
	if untimed {
		now := pcommon.NewTimestampFromTime(s.now())
		for lr := range untimedRecords(ld) {
			lr.SetObservedTimestamp(now)
		}
	}
	if deep {
		n := FlattenDeepValues(ld)
		s.flattened.Add(ctx, int64(n))
		// Once per batch: a sender that nests this deep does it in every batch.
		s.logger.Warn("Records nested deeper than a queue can store: their maps and lists below that depth are sent as JSON text, in a string",
			zap.Int("records", n), zap.Int("max_levels", MaxNestedLevels))
	}
	return s.Logs.ConsumeLogs(ctx, ld)
}

// scanBatch walks ld once for what must change before it is queued:
// records with no time at all, and values nested deeper than
// MaxNestedLevels. It stops as soon as it has found both.
func scanBatch(ld plog.Logs) (untimed, deep bool) {
	for _, rl := range ld.ResourceLogs().All() {
		deep = deep || deepMap(rl.Resource().Attributes(), 0)
		for _, sl := range rl.ScopeLogs().All() {
			deep = deep || deepMap(sl.Scope().Attributes(), 0)
			for _, lr := range sl.LogRecords().All() {
				untimed = untimed || (lr.Timestamp() == 0 && lr.ObservedTimestamp() == 0)
				deep = deep || deepValue(lr.Body(), 0) || deepMap(lr.Attributes(), 0)
				if untimed && deep {
					return untimed, deep
				}
			}
		}
	}
	return untimed, deep
}

// untimedRecords yields the records of ld with neither a timestamp nor an
// observed timestamp.
func untimedRecords(ld plog.Logs) iter.Seq[plog.LogRecord] {
	return func(yield func(plog.LogRecord) bool) {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if lr.Timestamp() == 0 && lr.ObservedTimestamp() == 0 && !yield(lr) {
						return
					}
				}
			}
		}
	}
}
