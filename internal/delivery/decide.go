package delivery

import (
	"context"
	"fmt"
	"go.opentelemetry.io/collector/config/configretry"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
)

// What becomes of events is decided here, and only here: delivered, tried
// again, or given up on with one of deadletter's reasons. A request is
// judged by the error it got instead of an answer or by its answer, which
// the format may read per event (judgeResult); the retry loop judges
// whether the events it holds get another try (nextTry).

// verdict is what becomes of the events of one request.
type verdict struct {
	outcome  builtin.Outcome // Delivered, Retry or Drop
	split    bool            // 413 for several events: their halves are sent on their own
	err      error           // why they are retried
	throttle time.Duration   // the receiver's Retry-After, for a retry
	why      deadletter.Dropped
	// log says so, "" for nothing: for a drop, a drop line about subject;
	// for a retry, an error line.
	log, subject string
	fields       []zap.Field
}

// judgeRequest decides what becomes of the events of a request that got
// err instead of an answer, or resp, an answer the format did not read
// per event.
func judgeRequest(resp *response, err error, endpoint string, events int) verdict {
	if err != nil {
		if consumererror.IsPermanent(err) {
			// The transport refused the request itself (an authenticator
			// that cannot sign this body): the same body fails the same
			// way on every retry.
			return verdict{outcome: builtin.Drop, why: encodingFailed(err),
				log: "The request could not be sent", subject: "its events",
				fields: []zap.Field{zap.String("endpoint", endpoint), zap.Error(err), zap.Int("events", events)}}
		}
		return verdict{outcome: builtin.Retry, err: err}
	}
	switch status := resp.status; {
	case isRedirect(status):
		// Retried because the endpoint may be moved back (Standard
		// Webhooks retries 3xx too); the error says what to change if it
		// is not.
		return verdict{outcome: builtin.Retry, throttle: resp.retryAfter,
			err: fmt.Errorf("request to %s answered %d %s with Location %s, which the exporter does not follow; "+
				"if the receiver has moved, set endpoint to that location", endpoint, status, http.StatusText(status), resp.location),
			log: "The receiver answered with a redirect, which the exporter does not follow; the events are retried. " +
				"If the receiver has moved, set endpoint to the location",
			fields: []zap.Field{zap.Int("status", status), zap.String("endpoint", endpoint),
				zap.String("location", resp.location), zap.Int("events", events)}}
	case status >= 200 && status <= 299:
		return verdict{outcome: builtin.Delivered}
	case status == http.StatusRequestEntityTooLarge:
		return verdict{split: true}
	case retryableStatus(status):
		return verdict{outcome: builtin.Retry, err: resp.err(endpoint), throttle: resp.retryAfter}
	}
	return verdict{outcome: builtin.Drop,
		why: deadletter.Dropped{Reason: deadletter.Refused, Detail: resp.err(endpoint).Error(), Status: resp.status},
		log: "The receiver refused the events", subject: "they",
		fields: []zap.Field{zap.Int("status", resp.status), zap.String("endpoint", endpoint),
			zap.String("response", resp.snippet()), zap.Int("events", events)}}
}

// retryableStatus says whether the receiver may accept the same request later.
func retryableStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || (status >= 500 && status <= 599)
}

// judgeResult is why an event that the format read as dropped from an
// answer of status is given up on: the whole request was refused, or the
// event alone.
func judgeResult(r builtin.Result, status int) deadletter.Dropped {
	if r.WholeRequest {
		return deadletter.Dropped{Reason: deadletter.Refused, Detail: r.Reason, Status: status}
	}
	return deadletter.Dropped{Reason: deadletter.RefusedPerEvent, Detail: r.Reason, Status: status}
}

// tooLarge is why an event that a receiver refused alone with 413 is
// given up on.
func tooLarge(size int) deadletter.Dropped {
	return deadletter.Dropped{Reason: deadletter.TooLarge, Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("413 Payload Too Large for a request of this event alone (%d bytes)", size)}
}

// encodingFailed is why events that the format could not turn into a
// payload, or the transport into a request, are given up on.
func encodingFailed(err error) deadletter.Dropped {
	return deadletter.Dropped{Reason: deadletter.EncodingFailed, Detail: err.Error()}
}

// nextTry decides whether the events an attempt left to retry get another
// try, and when: delay, or the reason and detail to give up on them with.
// backoff gives retry_on_failure's next wait; throttle is the receiver's
// Retry-After; deadline is max_elapsed_time's, zero for none.
func nextTry(ctx context.Context, stopping <-chan struct{}, rc configretry.BackOffConfig, backoff func() time.Duration, throttle time.Duration, now, deadline time.Time) (delay time.Duration, reason, why string) {
	if reason, why := interrupted(ctx, stopping, "the collector shut down before the events could be tried again"); reason != "" {
		return 0, reason, why
	}
	if !rc.Enabled {
		return 0, deadletter.RetriesExhausted, "retry_on_failure::enabled is false"
	}
	delay = backoff()
	wait := throttle
	if deadline.IsZero() {
		// A Retry-After past max_elapsed_time ends the retries
		// below; without one, max_interval bounds it, or an
		// answer could park the batch for years.
		wait = min(wait, rc.MaxInterval)
	}
	delay = max(delay, wait)
	if !deadline.IsZero() && now.Add(delay).After(deadline) {
		why = fmt.Sprintf("the next try, in %s, would come after retry_on_failure::max_elapsed_time (%s)", delay.Round(time.Millisecond), rc.MaxElapsedTime)
		if throttle > 0 {
			why += fmt.Sprintf("; the receiver asked to wait %s (Retry-After)", throttle)
		}
		return delay, deadletter.RetriesExhausted, why
	}
	return delay, "", ""
}

// interrupted says why a batch's retries must end, if they must. A
// shutdown comes first: its drain's end also cancels ctx.
func interrupted(ctx context.Context, stopping <-chan struct{}, shutdownWhy string) (reason, why string) {
	select {
	case <-stopping:
		return deadletter.Shutdown, shutdownWhy
	default:
	}
	if err := ctx.Err(); err != nil {
		return deadletter.Cancelled, "the caller gave up waiting (" + err.Error() + ")"
	}
	return "", ""
}
