package deadletter

import (
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// dropLogInterval is how often the drop totals are logged.
const dropLogInterval = 10 * time.Second

// DropLog sums the events dropped per reason and logs one line per reason
// and interval, and at shutdown, with the total and where their dead
// letters went: a warning when all are kept, else an error. The
// collector's log sampler (the first lines of a message per second, then
// 1 in 100) drops most of the per-request drop lines in a burst; a total
// per interval always reaches the log. Each line's message names the
// exporter and the reason because the sampler counts lines per message:
// totals of several exporters or reasons flushed in the same second are
// not sampled against each other.
type DropLog struct {
	logger   *zap.Logger
	exporter string
	file     string // the dead-letter file, "" when dead letters are off

	mu     sync.Mutex
	totals map[string]*dropTotal

	tick    <-chan time.Time
	stopT   func()
	done    chan struct{}
	stopped chan struct{}
}

type dropTotal struct {
	events, written, notWritten int
	detail                      string // the latest one
	notWrittenErr               string
}

func NewDropLog(logger *zap.Logger, exporter, file string) *DropLog {
	return &DropLog{logger: logger, exporter: exporter, file: file, totals: map[string]*dropTotal{}}
}

// Add counts events dropped for reason: written of them were written to
// the dead-letter file, notWritten could not be (writeErr says why).
func (l *DropLog) Add(reason, detail string, events, written, notWritten int, writeErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.totals[reason]
	if t == nil {
		t = &dropTotal{}
		l.totals[reason] = t
	}
	t.events += events
	t.written += written
	t.notWritten += notWritten
	t.detail = detail
	if writeErr != nil {
		t.notWrittenErr = writeErr.Error()
	}
}

// Flush logs and resets the totals, one line per reason in name order.
func (l *DropLog) Flush() {
	l.mu.Lock()
	totals := l.totals
	l.totals = map[string]*dropTotal{}
	l.mu.Unlock()
	reasons := make([]string, 0, len(totals))
	for r := range totals {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		t := totals[r]
		fields := []zap.Field{
			zap.String("reason", r),
			zap.Int("events", t.events),
			zap.String("last_detail", t.detail),
		}
		if l.file == "" {
			fields = append(fields, zap.String("dead_letters", "off (dead_letter::enabled is false): the events are lost"))
		} else {
			fields = append(fields, zap.String("dead_letter_file", l.file), zap.Int("dead_letters_written", t.written))
		}
		if t.notWritten > 0 {
			fields = append(fields, zap.Int("dead_letters_not_written", t.notWritten), zap.String("dead_letter_error", t.notWrittenErr))
		}
		if l.file != "" && t.written == t.events {
			// Every one is in the file, to be replayed: nothing is lost.
			l.logger.Warn(l.exporter+" kept events as dead letters: "+r, fields...)
			continue
		}
		l.logger.Error(l.exporter+" dropped events: "+r, fields...)
	}
}

// Start flushes on every tick until stop.
func (l *DropLog) Start(tick <-chan time.Time, stopTick func()) {
	l.tick, l.stopT = tick, stopTick
	l.done, l.stopped = make(chan struct{}), make(chan struct{})
	go l.run()
}

func (l *DropLog) StartTicker() {
	t := time.NewTicker(dropLogInterval)
	l.Start(t.C, t.Stop)
}

func (l *DropLog) run() {
	defer close(l.stopped)
	for {
		select {
		case <-l.tick:
			l.Flush()
		case <-l.done:
			return
		}
	}
}

// Stop ends the ticking and logs what is left.
func (l *DropLog) Stop() {
	if l.done != nil {
		close(l.done)
		<-l.stopped
		l.stopT()
		l.done = nil
	}
	l.Flush()
}
