package delivery

import (
	"context"
	"fmt"
	"slices"

	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/hecack"
)

// Splunk HEC's indexer acknowledgement (splunk_hec::ack): each request
// carries the exporter's channel and holds a ticket; once every request of
// an attempt is sent, the attempt waits for the tickets, and only events
// whose ackId answered true count as delivered. So the results, the
// settled store, the telemetry and the queue see an event as settled only
// once it is indexed. Without acknowledgement the acker is nil, and so is
// every ticket: nothing here runs.

// StartAck turns acknowledgement on, once the sender is connected: its
// client and headers (the token) ask the acknowledgement queries. The
// acker reads AckClock if set, else the push path's clock.
func (p *Pusher) StartAck(cfg builtin.HECAckConfig) error {
	clock := p.AckClock
	if clock.Now == nil {
		clock = hecack.Clock(p.Clock)
	}
	cfg = cfg.WithDefaults()
	a, err := hecack.New(hecack.Options{
		Endpoint: p.sender.url, Ack: cfg, Client: p.sender.Client, Header: p.sender.wire.Headers, Clock: clock,
		Observer: hecack.Observer{
			// At most one query per poll interval, so at most one line.
			QueryFailed: func(err error) {
				p.logger.Warn("A Splunk HEC acknowledgement query failed; it is asked again at the next poll_interval", zap.Error(err))
			},
			ChannelForgotten: func(channel string, requests, events int) {
				p.logger.Warn("Splunk forgot the exporter's acknowledgement channel (a restart, or the channel was idle); the events that waited on it are sent again with the same ids",
					zap.String("channel", channel), zap.Int("requests", requests), zap.Int("events", events))
			},
			Disabled: func(reason string) {
				p.logger.Warn(reason+"; the exporter sends without acknowledgement from now on: turn indexer acknowledgement on for the token, or set splunk_hec::ack::enabled to false",
					zap.String("endpoint", p.sender.endpoint))
			},
		},
	})
	if err != nil {
		return fmt.Errorf("splunk_hec::ack: %w", err)
	}
	p.acker, p.deliverer.acker, p.maxResends = a, a, cfg.MaxResends
	p.deliverer.ackTimeout = cfg.Timeout.String()
	p.deliverer.atCapacity = func(int) {}
	if p.keeper.Telemetry != nil {
		p.deliverer.atCapacity = p.keeper.Telemetry.AtCapacity
	}
	p.logger.Info("Splunk HEC indexer acknowledgement is on", zap.String("channel", a.Channel()),
		zap.Duration("poll_interval", cfg.PollInterval), zap.Duration("timeout", cfg.Timeout))
	return nil
}

// ackedRequest is a request sent with a ticket whose answer took it.
type ackedRequest struct {
	events []int
	ticket *hecack.Ticket
}

// reserve takes a ticket for a request, waiting while max_pending
// requests wait for acknowledgement; nil without acknowledgement.
func (d *delivery) reserve(ctx context.Context) (*hecack.Ticket, error) {
	t, err := d.acker.Reserve(ctx)
	if err != nil {
		return nil, fmt.Errorf("waiting for room among the requests waiting for Splunk's acknowledgement: %w", err)
	}
	return t, nil
}

// answered hands the answer of req (nil when it got none) to its ticket,
// and keeps the ticket to wait for when the answer delivered events.
func (d *delivery) answered(req *builtin.Request, t *hecack.Ticket, resp *response, delivered bool) {
	if t == nil {
		return
	}
	if resp == nil {
		t.Release()
		return
	}
	ids := make([]string, len(req.Events))
	for i, idx := range req.Events {
		ids[i] = d.id(idx)
	}
	t.Answered(resp.status, resp.body, ids)
	if ans := builtin.ReadHECAnswer(resp.body); ans.AtCapacity() {
		d.atCapacity(ans.Code)
	}
	if !delivered {
		t.Release()
		return
	}
	d.mu.Lock()
	d.acked = append(d.acked, ackedRequest{events: slices.Clone(req.Events), ticket: t})
	d.mu.Unlock()
}

// anyDelivered says whether results deliver an event.
func anyDelivered(results []builtin.Result) bool {
	return slices.ContainsFunc(results, func(r builtin.Result) bool { return r.Outcome == builtin.Delivered })
}

// awaitAcks waits for the tickets of the requests sent: the events of a
// request that is not acknowledged are tried again, and those sent
// max_resends times more without acknowledgement are given up on as
// ack_timeout. tries counts, per event id, the waits that timed out in
// this push.
func (d *delivery) awaitAcks(ctx context.Context, tries map[string]int, maxResends int) {
	var drops []droppedGroup
	for _, s := range d.acked {
		o := s.ticket.Wait(ctx)
		s.ticket.Release()
		if o.Delivered() {
			continue
		}
		err := d.ackError(o)
		var retry []int
		for _, idx := range s.events {
			if d.results[idx].Outcome != builtin.Delivered {
				continue
			}
			if o == hecack.TimedOut {
				id := d.id(idx)
				if tries[id]++; tries[id] > maxResends {
					d.set(idx, builtin.Result{Outcome: builtin.Drop, Reason: err.Error()},
						deadletter.Dropped{Reason: deadletter.AckTimeout, Detail: err.Error()})
					drops = addDrop(drops, idx, err.Error())
					continue
				}
			}
			retry = append(retry, idx)
		}
		if len(retry) > 0 {
			d.markRetry(&builtin.Request{Events: retry}, err, 0)
		}
	}
	d.acked = nil
	d.logDrops("Splunk never acknowledged an event sent "+fmt.Sprint(maxResends+1)+" times", "it", drops,
		zap.String("channel", d.acker.Channel()))
}

// ackError says why the events of a request whose ticket ended with o are
// not delivered.
func (d *delivery) ackError(o hecack.Outcome) error {
	switch o {
	case hecack.TimedOut:
		return fmt.Errorf("no acknowledgement from Splunk for the request on channel %s within splunk_hec::ack::timeout (%s)", d.acker.Channel(), d.ackTimeout)
	case hecack.Lost:
		return fmt.Errorf("the request's acknowledgement on channel %s is lost (Splunk forgot the channel or did not take the request); its events are sent again", d.acker.Channel())
	}
	return fmt.Errorf("the wait for Splunk's acknowledgement on channel %s ended before it came (%s)", d.acker.Channel(), o)
}

// healthy asks HEC's health check before an attempt: on a 503 the events
// wait as after a 503, without being sent.
func (d *delivery) healthy(ctx context.Context) error {
	err := d.acker.Healthy(ctx)
	if err != nil {
		d.logger.Warn("Splunk HEC's health check answered 503 Service Unavailable: the server is full; the events are not sent and are tried again as after a 503",
			zap.String("endpoint", d.sender.endpoint), zap.Int("events", len(d.results)))
		d.mu.Lock()
		defer d.mu.Unlock()
		for i := range d.results {
			if d.results[i].Outcome == builtin.Drop {
				continue // rejected by the encoder
			}
			d.results[i] = builtin.Result{Outcome: builtin.Retry, Reason: err.Error()}
		}
		d.retryErr = err
	}
	return err
}

// AckPending is how many requests wait for acknowledgement; 0 without it.
func (p *Pusher) AckPending() int { return p.acker.Pending() }
