package delivery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// The exporter runs the retry_on_failure loop itself, as contrib's
// Elasticsearch exporter does, rather than leaving it to exporterhelper:
// exporterhelper's retry sender gives up on a batch (max_elapsed_time, a
// Retry-After beyond it, shutdown) inside its own code and only logs it,
// so the exporter could neither dead-letter nor count those events.
// exporterhelper's retry sender is kept as a relay that never retries on
// its own (see RelayRetryConfig).

// Push delivers one batch, trying the events that failed in a
// retryable way again as retry_on_failure says, and gives up on them with
// a reason: retries_exhausted, shutdown or cancelled. Every event given up
// on is dead-lettered, counted and logged; see gaveUp for what the push
// then returns.
func (p *Pusher) Push(ctx context.Context, ld plog.Logs) error {
	if ld.LogRecordCount() == 0 {
		return nil
	}
	// The events of the batch, mapped once: a retry sends those that
	// failed again, from here.
	a := p.Arrays.Get()
	defer p.Arrays.Put(a)
	mapped := false
	// With a persistent queue, events of this batch that were settled
	// before a restart are not sent again (see settled.go).
	var record uint64
	var skipped []mapping.Digest
	// kept: the queue keeps the batch for the next start, and what was
	// settled of it stays recorded.
	kept := false
	if p.settled != nil {
		if p.settled.holdsAny() {
			p.Mapper.MapInto(ld, a, nil)
			mapped = true
			skipped = p.settled.skip(a)
		}
		defer func() {
			if !kept {
				p.settled.done(context.Background(), record, skipped)
			}
		}()
	}
	total := ld.LogRecordCount()
	if mapped {
		total = len(a.Events)
	}
	if total == 0 {
		return nil
	}
	// The end of a shutdown's drain (see BeginShutdown) cuts the requests
	// in flight.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.drain, cancel)()
	if p.drain.Err() != nil {
		kept = p.Settings.KeepOnRestart
		return p.shutdownUnsent(a, ld, mapped)
	}
	rc := p.Settings.Retry
	b := newBackoff(rc)
	var deadline time.Time
	if rc.Enabled && rc.MaxElapsedTime > 0 {
		deadline = p.Clock.Now().Add(rc.MaxElapsedTime)
	}
	lost := 0 // events given up on and not kept as dead letters
	for attempt := 1; ; attempt++ {
		r := p.attempt(ctx, a, ld, mapped)
		mapped = true
		lost += r.lost
		// Go's transport resends a request on its own when a reused
		// connection broke before the answer: each resend is an attempt.
		attempt += r.resent
		if r.retryErr == nil {
			switch {
			case r.dropErr != nil:
				return gaveUp(lost, r.dropErr)
			case r.dropped > 0:
				// As before retries ran here: the last attempt's drops
				// decide, those of earlier attempts are accounted for.
				return gaveUp(lost, fmt.Errorf("%d of %d events were dropped; the first: %s", r.dropped, len(a.Events), r.firstDrop))
			}
			return nil
		}
		if len(r.settled) > 0 {
			p.settled.settle(context.Background(), &record, r.settled)
		}
		retrying(a)
		var delay time.Duration
		reason, why := p.interrupted(ctx, "the collector shut down before the events could be tried again")
		if reason == "" {
			switch {
			case !rc.Enabled:
				reason, why = deadletter.RetriesExhausted, "retry_on_failure::enabled is false"
			default:
				delay = b.next()
				wait := r.throttle
				if deadline.IsZero() {
					// A Retry-After past max_elapsed_time ends the retries
					// below; without one, max_interval bounds it, or an
					// answer could park the batch for years.
					wait = min(wait, rc.MaxInterval)
				}
				delay = max(delay, wait)
				if !deadline.IsZero() && p.Clock.Now().Add(delay).After(deadline) {
					reason = deadletter.RetriesExhausted
					why = fmt.Sprintf("the next try, in %s, would come after retry_on_failure::max_elapsed_time (%s)", delay.Round(time.Millisecond), rc.MaxElapsedTime)
					if r.throttle > 0 {
						why += fmt.Sprintf("; the receiver asked to wait %s (Retry-After)", r.throttle)
					}
				}
			}
		}
		if reason == "" {
			p.logger.Info("Exporting failed. Will retry the request after interval.",
				zap.Error(r.retryErr), zap.String("interval", delay.String()))
			select {
			case <-p.Clock.After(delay):
				continue
			case <-ctx.Done():
			case <-p.stopping:
			}
			reason, why = p.interrupted(ctx, "the collector shut down while the events waited for a retry")
		}
		if reason == deadletter.Shutdown && p.Settings.KeepOnRestart {
			// A persistent queue keeps a batch that shutdown interrupted for
			// the next start; exporterhelper's retry sender, told of the
			// shutdown, says so to the queue.
			kept = true
			return r.retryErr
		}
		n := len(a.Events)
		detail := fmt.Sprintf("%s, after %d attempts; the last error: %s", why, attempt, redact.Cut(r.retryErr.Error()))
		lost += p.keeper.GiveUp(a, deadletter.All(deadletter.Dropped{Reason: reason, Detail: detail}))
		return gaveUp(lost, fmt.Errorf("%d of %d events were dropped (%s): %s", n, total, reason, detail))
	}
}

// retrying keeps the events of a to try again, those the attempt marked
// Retry.
func retrying(a *mapping.Arrays) {
	a.Keep(func(i int) bool { return a.Results[i].Outcome == formats.Retry })
}

// gaveUp is what a push that gave up on events returns. When every one is
// kept as a dead letter, nothing: they are logged as kept and counted by
// the exporter's own metrics, and an error would make exporterhelper log
// safe events as dropped, at error level with a stack trace. Else the
// error, permanent: trying the batch again would deliver twice the events
// already dead-lettered once they are replayed.
func gaveUp(lost int, err error) error {
	if lost == 0 {
		return nil
	}
	return consumererror.NewPermanent(err)
}

// interrupted says why a batch's retries must end, if they must. A
// shutdown comes first: its drain's end also cancels ctx.
func (p *Pusher) interrupted(ctx context.Context, shutdownWhy string) (reason, why string) {
	select {
	case <-p.stopping:
		return deadletter.Shutdown, shutdownWhy
	default:
	}
	if err := ctx.Err(); err != nil {
		return deadletter.Cancelled, "the caller gave up waiting (" + err.Error() + ")"
	}
	return "", ""
}

// errDrainOver is why a batch that the in-memory queue still held when
// the shutdown's drain ended was not sent.
var errDrainOver = errors.New("the collector shut down and its time to deliver the queue (the exporter's timeout, counted from the shutdown) was over; the events were not sent")

// shutdownUnsent gives up on a batch without sending it: the shutdown's
// drain is over. A persistent queue keeps it for the next start. mapped
// says whether a holds ld's events already.
func (p *Pusher) shutdownUnsent(a *mapping.Arrays, ld plog.Logs, mapped bool) error {
	if p.Settings.KeepOnRestart {
		return errDrainOver
	}
	if !mapped {
		p.Mapper.MapInto(ld, a, nil)
	}
	lost := p.keeper.GiveUp(a, deadletter.All(deadletter.Dropped{Reason: deadletter.Shutdown, Detail: errDrainOver.Error()}))
	return gaveUp(lost, fmt.Errorf("%d events were dropped (%s): %w", len(a.Events), deadletter.Shutdown, errDrainOver))
}

// Clock is the time the retry loop reads and waits on: tests give one
// that does not wait.
type Clock struct {
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// SystemClock is the wall clock.
func SystemClock() Clock {
	return Clock{Now: time.Now, After: time.After}
}

// RelayRetryConfig is exporterhelper's retry sender's: it never gives up
// on its own and is handed a retryable error only at shutdown with a
// persistent queue, which it turns into the shutdown error that makes the
// queue keep the batch. Being enabled, it is also shut down before the
// queue drains, as exporterhelper does with retries on.
func RelayRetryConfig() configretry.BackOffConfig {
	return configretry.BackOffConfig{
		Enabled:         true,
		InitialInterval: time.Second,
		MaxInterval:     time.Second,
		Multiplier:      1,
	}
}

// backoff is retry_on_failure's exponential delay with jitter, as
// exporterhelper computes it.
type backoff struct {
	cfg configretry.BackOffConfig
	cur time.Duration
}

func newBackoff(cfg configretry.BackOffConfig) *backoff {
	return &backoff{cfg: cfg, cur: cfg.InitialInterval}
}

func (b *backoff) next() time.Duration {
	d := b.cur
	if f := b.cfg.RandomizationFactor; f > 0 {
		delta := f * float64(d)
		d = saturatedDuration(float64(d) - delta + rand.Float64()*(2*delta))
	}
	// Compared before converting: a product past the largest Duration
	// (a large multiplier or max_interval) converts to a negative one,
	// which would retry at once, without end.
	if next := float64(b.cur) * b.cfg.Multiplier; next >= float64(b.cfg.MaxInterval) {
		b.cur = b.cfg.MaxInterval
	} else {
		b.cur = time.Duration(next)
	}
	return d
}

// saturatedDuration is ns as a Duration, the largest one if it is past it.
func saturatedDuration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}
