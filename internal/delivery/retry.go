package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats/builtin"
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
	// Events left out below min_severity are counted once the push has
	// mapped them.
	defer func() { p.keeper.Filter(deadletter.BelowMinSeverity, int(p.below.Swap(0))) }()
	if p.digest != nil {
		// Digests whose window ended go first; a digest's own push finds
		// none left.
		p.SendDueDigests(ctx)
		defer func() { p.keeper.Filter(deadletter.Digested, int(p.digest.folded.Swap(0))) }()
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
	var ackTries map[string]int
	if p.acker != nil {
		ackTries = map[string]int{}
	}
	for attempt := 1; ; attempt++ {
		r := p.attempt(ctx, a, ld, mapped, ackTries)
		mapped = true
		lost += r.lost
		// Go's transport resends a request on its own when a reused
		// connection broke before the answer: each resend is an attempt.
		attempt += r.resent
		if !deadline.IsZero() {
			deadline = deadline.Add(r.ackWait)
		}
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
		delay, reason, why := nextTry(ctx, p.stopping, rc, b.next, r.throttle, p.Clock.Now(), deadline)
		if reason == "" {
			p.logger.Info("Exporting failed. Will retry the request after interval.",
				zap.Error(r.retryErr), zap.String("interval", delay.String()))
			select {
			case <-p.Clock.After(delay):
				continue
			case <-ctx.Done():
			case <-p.stopping:
			}
			reason, why = interrupted(ctx, p.stopping, "the collector shut down while the events waited for a retry")
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
	a.Keep(func(i int) bool { return a.Results[i].Outcome == builtin.Retry })
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
