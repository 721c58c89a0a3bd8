package delivery

import (
	"context"
	"fmt"
	"github.com/zeebo/xxh3"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/hecack"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

// deliverer is what the deliveries of one exporter share.
type deliverer struct {
	sender        *Sender
	encoder       builtin.Encoder // to split a request the receiver found too large
	logger        *zap.Logger
	format        string // for log lines
	maxConcurrent int    // max_concurrent_requests
	// deadLetterFile keeps what is dropped; "" when dead_letter is off.
	deadLetterFile string
	// acker is Splunk HEC's indexer acknowledgement, nil when off (see
	// ack.go); ackTimeout is its wait, for errors.
	acker      *hecack.Acker
	ackTimeout string
	atCapacity func(code int) // counts HEC's answers at capacity
	// pace spaces the requests as the service asks; nil when it does not.
	pace *pace
}

// delivery sends the requests of one batch and records what became of each
// event. Requests may run concurrently, hence the lock.
type delivery struct {
	*deliverer
	arrays *mapping.Arrays
	idMu   sync.Mutex // computing ids that the mapping left out

	mu       sync.Mutex
	results  []builtin.Result
	retryErr error
	throttle time.Duration
	dropped  int
	resent   int // see attemptResult
	// why[i] is why events[i] was dropped; nil until one is.
	why []deadletter.Dropped
	// acked are the requests waiting for acknowledgement (see ack.go).
	acked []ackedRequest
}

// newDelivery delivers a's events and records their results in a.Results,
// one per event, all zero (delivered).
func newDelivery(dv *deliverer, a *mapping.Arrays) *delivery {
	return &delivery{deliverer: dv, arrays: a, results: a.Results}
}

// sendAll sends the requests of batch and, once the transport has let go
// of their bodies, gives its buffer back to the encoder.
func (d *delivery) sendAll(ctx context.Context, batch *builtin.Batch) {
	lease := newBodyLease(batch.Release)
	defer lease.done()
	reqs := batch.Requests
	if !batch.Concurrent || len(reqs) < 2 || d.maxConcurrent < 2 {
		for i := range reqs {
			d.send(ctx, &reqs[i], lease)
		}
		return
	}
	slots := make(chan struct{}, d.maxConcurrent)
	var wg sync.WaitGroup
	for i := range reqs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			d.send(ctx, &reqs[i], lease)
		})
	}
	wg.Wait()
}

// send posts one request and classifies the answer.
func (d *delivery) send(ctx context.Context, req *builtin.Request, lease *bodyLease) {
	t, err := d.reserve(ctx)
	if err != nil {
		d.markRetry(req, err, 0)
		return
	}
	if err := d.pace.wait(ctx); err != nil {
		t.Release()
		d.carryOut(ctx, req, judgeRequest(nil, err, d.sender.endpoint, len(req.Events)))
		return
	}
	resp, resent, err := d.sender.postRequest(ctx, d.key(req), req, lease, t)
	if resent > 0 {
		d.mu.Lock()
		d.resent = max(d.resent, resent)
		d.mu.Unlock()
	}
	if err == nil && !isRedirect(resp.status) {
		if read := d.sender.wire.ReadAnswer; read != nil {
			if results := read(req, resp.status, resp.body); results != nil {
				d.apply(req, resp, results)
				d.answered(req, t, resp, anyDelivered(results))
				return
			}
		}
	}
	v := judgeRequest(resp, err, d.sender.endpoint, len(req.Events))
	d.answered(req, t, resp, v.outcome == builtin.Delivered && !v.split)
	d.carryOut(ctx, req, v)
}

// carryOut does what v decided for the events of req.
func (d *delivery) carryOut(ctx context.Context, req *builtin.Request, v verdict) {
	switch {
	case v.split:
		d.split(ctx, req.Events, len(req.Body))
	case v.outcome == builtin.Retry:
		if v.log != "" {
			d.logger.Error(v.log, v.fields...)
		}
		d.markRetry(req, v.err, v.throttle)
	case v.outcome == builtin.Drop:
		d.logDropped(v.log, v.subject, v.fields...)
		d.markDrop(req, v.why)
	}
}

// apply records per-event results that the format read from the response.
// Drops are logged once per distinct reason, so that a refusal of a whole
// request (a revoked token on 2,500 events) is one line, not 2,500. A
// reason is redacted and cut once, and the events that share it share
// that copy.
func (d *delivery) apply(req *builtin.Request, resp *response, results []builtin.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var drops, refusals []droppedGroup
	kept := map[string]string{} // a reason is often the same for all events
	for i, r := range results {
		if r.Reason != "" {
			reason, ok := kept[r.Reason]
			if !ok {
				reason = resp.redactor().Cut(r.Reason)
				kept[r.Reason] = reason
			}
			r.Reason = reason
		}
		idx := req.Events[i]
		switch {
		case r.Outcome == builtin.Retry:
			d.retryErr = fmt.Errorf("request to %s: event %s: %s", d.sender.endpoint, d.id(idx), r.Reason)
			d.throttle = max(d.throttle, resp.retryAfter)
		case r.Outcome == builtin.Drop && r.WholeRequest:
			d.noteDrop(idx, judgeResult(r, resp.status))
			refusals = addDrop(refusals, idx, r.Reason)
		case r.Outcome == builtin.Drop:
			d.noteDrop(idx, judgeResult(r, resp.status))
			drops = addDrop(drops, idx, r.Reason)
		}
		d.results[req.Events[i]] = r
	}
	where := zap.String("endpoint", d.sender.endpoint)
	d.logDrops("The receiver refused the request", "its events", refusals, where)
	d.logDrops("The receiver refused an event", "it", drops, where)
}

// droppedGroup is the events of one request dropped for the same reason.
type droppedGroup struct {
	reason string
	first  int // the first event's index
	count  int
}

func addDrop(groups []droppedGroup, idx int, reason string) []droppedGroup {
	for i := range groups {
		if groups[i].reason == reason {
			groups[i].count++
			return groups
		}
	}
	return append(groups, droppedGroup{reason: reason, first: idx, count: 1})
}

// logDrops writes one line per group: the first event's id and type, the
// reason and how many events share it.
func (d *delivery) logDrops(what, subject string, groups []droppedGroup, where zap.Field) {
	for _, g := range groups {
		d.logDropped(what, subject, where,
			zap.String("event_id", d.id(g.first)),
			zap.String("event_type", d.arrays.Events[g.first].Type),
			zap.String("reason", g.reason),
			zap.Int("events", g.count))
	}
}

// logDropped logs what happened and what became of the events, subject
// ("it", "they", "its events"): kept as dead letters in the file, a
// warning, or dropped, an error. A dead letter that cannot be written is
// logged and counted as not written (see deadletter.DropLog).
func (d *deliverer) logDropped(what, subject string, fields ...zap.Field) {
	is, letters := " are ", "dead letters"
	if subject == "it" {
		is, letters = " is ", "a dead letter"
	}
	if d.deadLetterFile == "" {
		d.logger.Error(what+"; "+subject+is+"dropped", fields...)
		return
	}
	d.logger.Warn(what+"; "+subject+is+"kept as "+letters, append(fields, zap.String("dead_letter_file", d.deadLetterFile))...)
}

// split answers 413 Payload Too Large: the halves are encoded and sent on
// their own until they fit; a single event too large alone is dropped.
func (d *delivery) split(ctx context.Context, events []int, size int) {
	if len(events) == 1 {
		d.logDropped("An event is larger than the receiver accepts (413 Payload Too Large)", "it",
			zap.String("endpoint", d.sender.endpoint),
			zap.String("event_id", d.id(events[0])),
			zap.Int("size_bytes", size))
		d.markDrop(&builtin.Request{Events: events}, tooLarge(size))
		return
	}
	half := len(events) / 2
	for _, part := range [][]int{events[:half], events[half:]} {
		sub := make([]formats.Event, len(part))
		for i, idx := range part {
			sub[i] = d.arrays.Events[idx]
		}
		batch, err := d.encoder.Encode(sub)
		if err != nil {
			d.markDrop(&builtin.Request{Events: part}, encodingFailed(err))
			continue
		}
		d.reject(batch.Rejected, part)
		for r := range batch.Requests {
			for i, x := range batch.Requests[r].Events {
				batch.Requests[r].Events[i] = part[x]
			}
		}
		d.sendAll(ctx, &batch)
	}
}

// reject drops the events an encoder could not turn into a payload (a
// template that rendered invalid JSON, a formatter's error), logged once per
// distinct reason: the reason names the template or formatter. part maps a
// rejection's index to the batch's; nil when they are the same.
func (d *delivery) reject(rejected []builtin.Rejection, part []int) {
	var groups []droppedGroup
	for _, r := range rejected {
		idx := r.Index
		if part != nil {
			idx = part[idx]
		}
		reason := r.Err.Error()
		groups = addDrop(groups, idx, reason)
		d.set(idx, builtin.Result{Outcome: builtin.Drop, Reason: reason}, encodingFailed(r.Err))
	}
	d.logDrops("An event could not be encoded", "it", groups, zap.String("format", d.format))
}

// set records r for events[idx]; why is the reason when r drops it.
func (d *delivery) set(idx int, r builtin.Result, why deadletter.Dropped) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.Outcome == builtin.Drop {
		d.noteDrop(idx, why)
	}
	d.results[idx] = r
}

// noteDrop counts a dropped event and keeps why; d.mu is held.
func (d *delivery) noteDrop(idx int, why deadletter.Dropped) {
	d.dropped++
	if d.why == nil {
		d.why = make([]deadletter.Dropped, len(d.arrays.Events))
	}
	d.why[idx] = why
}

// droppedAt says whether events[i] was dropped, and why.
func (d *delivery) droppedAt(i int) (deadletter.Dropped, bool) {
	if d.why == nil || d.results[i].Outcome != builtin.Drop {
		return deadletter.Dropped{}, false
	}
	return d.why[i], true
}

func (d *delivery) markRetry(req *builtin.Request, err error, throttle time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, idx := range req.Events {
		d.results[idx] = builtin.Result{Outcome: builtin.Retry, Reason: err.Error()}
	}
	d.retryErr = err
	d.throttle = max(d.throttle, throttle)
}

func (d *delivery) markDrop(req *builtin.Request, why deadletter.Dropped) {
	for _, idx := range req.Events {
		d.set(idx, builtin.Result{Outcome: builtin.Drop, Reason: why.Detail}, why)
	}
}

func (d *delivery) result() attemptResult {
	r := resultOf(d.results, d.retryErr, d.throttle, d.dropped)
	r.resent = d.resent
	return r
}

// id is the id of events[i].
func (d *delivery) id(i int) string {
	d.idMu.Lock()
	defer d.idMu.Unlock()
	return d.arrays.ID(i)
}

// key is the idempotency key of req: the event's id for a request of one
// event, else a digest of the body, which the same events encode to on
// every retry.
func (d *delivery) key(req *builtin.Request) string {
	if len(req.Events) == 1 {
		return d.id(req.Events[0])
	}
	return mapping.IDString(xxh3.Hash128(req.Body))
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
	// ackWait is how long the attempt waited for Splunk's acknowledgement,
	// which max_elapsed_time does not count: splunk_hec::ack bounds it.
	ackWait time.Duration
}

// resultOf sums up an attempt from the outcome of each event.
func resultOf(outcomes []builtin.Result, retryErr error, throttle time.Duration, dropped int) attemptResult {
	r := attemptResult{dropped: dropped}
	for _, o := range outcomes {
		if o.Outcome == builtin.Drop && r.firstDrop == "" {
			r.firstDrop = o.Reason
		}
		if o.Outcome == builtin.Retry {
			r.retryErr, r.throttle = retryErr, throttle
		}
	}
	return r
}
