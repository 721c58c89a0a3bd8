package hecack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/goleak"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const token = "11111111-2222-3333-4444-555555555555"

const hangGuard = hecsink.HangGuard

// fakeClock is a clock the test moves by hand (see hecsink.Clock).
type fakeClock struct{ *hecsink.Clock }

func newFakeClock() *fakeClock {
	return &fakeClock{hecsink.NewClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))}
}

func (c *fakeClock) clock() Clock            { return Clock{Now: c.Now, After: c.After} }
func (c *fakeClock) advance(d time.Duration) { c.Advance(d) }
func (c *fakeClock) waitIdle(t testing.TB)   { c.WaitIdle(t) }

// ackTest is an acker against a strict stand-in, moved by a fake clock.
type ackTest struct {
	t        testing.TB
	endpoint string
	clock    *fakeClock
	acker    *Acker
	cfg      builtin.HECAckConfig
	client   *http.Client
	enc      builtin.Encoder

	mu        sync.Mutex
	forgotten []string
	failed    []error
	disabled  []string
}

func newAckTest(t testing.TB, endpoint string, cfg builtin.HECAckConfig) *ackTest {
	cfg.Enabled = true
	at := &ackTest{t: t, endpoint: endpoint, clock: newFakeClock(), cfg: cfg.WithDefaults()}
	at.client = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(at.client.CloseIdleConnections)
	var err error
	at.acker, err = New(Options{
		Endpoint: endpoint, Ack: cfg, Client: at.client, Clock: at.clock.clock(),
		Header: func(h http.Header) { h.Set("Authorization", "Splunk "+token) },
		Observer: Observer{
			QueryFailed: func(err error) { note(&at.mu, &at.failed, err) },
			ChannelForgotten: func(channel string, requests, events int) {
				note(&at.mu, &at.forgotten, fmt.Sprintf("channel %s forgotten: %d requests (%d events) sent again", channel, requests, events))
			},
			Disabled: func(reason string) { note(&at.mu, &at.disabled, reason) },
		},
	})
	require.NoError(t, err)
	t.Cleanup(at.acker.Close)
	b, _ := builtin.LookupBuiltin("splunk_hec")
	at.enc, err = b.New(&builtin.Settings{Endpoint: endpoint, Sections: builtin.Sections{
		SplunkHEC: builtin.SplunkHECConfig{Token: token, Ack: cfg},
	}})
	require.NoError(t, err)
	at.clock.waitIdle(t)
	return at
}

func note[T any](mu *sync.Mutex, list *[]T, v T) {
	mu.Lock()
	defer mu.Unlock()
	*list = append(*list, v)
}

// tick moves the clock one poll interval and waits for the poll to end.
func (at *ackTest) tick() {
	at.clock.advance(at.cfg.PollInterval)
	at.clock.waitIdle(at.t)
}

// waitPending waits until n requests wait for acknowledgement.
func (at *ackTest) waitPending(n int) {
	at.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for at.acker.Pending() != n {
		if time.Now().After(deadline) {
			at.t.Fatalf("%d requests wait for acknowledgement, never %d", at.acker.Pending(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// events are n events with ids of their own, from first on.
func events(first, n int) []formats.Event {
	out := make([]formats.Event, n)
	for i := range out {
		out[i] = formats.Event{
			ID: fmt.Sprintf("%032x", first+i), Type: "login_failed", Severity: formats.SeverityWarning,
			Timestamp: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), Source: "sentyr",
			Body: pcommon.NewValueEmpty(), Attributes: pcommon.NewMap(), Resource: pcommon.NewMap(),
		}
	}
	return out
}

func ids(evs []formats.Event) []string {
	out := make([]string, len(evs))
	for i := range evs {
		out[i] = evs[i].ID
	}
	return out
}

// send sends one request of evs as the exporter will: room first, the
// channel on the request, the answer read bounded and recorded.
func (at *ackTest) send(ctx context.Context, evs []formats.Event) (*Ticket, error) {
	t, err := at.acker.Reserve(ctx)
	if err != nil {
		return nil, err
	}
	batch, err := at.enc.Encode(evs)
	if err != nil || len(batch.Requests) != 1 {
		t.Release()
		return nil, fmt.Errorf("encoding: %v (%d requests)", err, len(batch.Requests))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, at.endpoint, bytes.NewReader(batch.Requests[0].Body))
	if err != nil {
		t.Release()
		return nil, err
	}
	at.enc.Wire().Headers(req.Header)
	t.SetHeader(req.Header)
	resp, err := at.client.Do(req)
	if err != nil {
		t.Release()
		return nil, err
	}
	body, err := readBounded(resp, builtin.AnswerBytes)
	if err != nil {
		t.Release()
		return nil, err
	}
	t.Answered(resp.StatusCode, body, ids(evs))
	return t, nil
}

// delivery is what a batch became: the events dead-lettered as
// ack_timeout, by id.
type delivery struct {
	deadLetters map[string]string
}

// rounds hands the clock between a sender and the test: the sender sends
// a round of requests only when allowed, and says when they are sent and
// when their outcomes are read, so that the clock moves only while the
// sender waits.
type rounds struct {
	start, sent, over chan struct{}
}

// deliver sends events in batches of batch events, one batch after the
// other as one queue consumer does, each in requests of per events, as the
// push path will once wired: every request of a round sent before any
// wait, then each outcome read; what timed out or was lost is sent again
// in the next round with the same ids, up to max_resends times, then
// dead-lettered as ack_timeout.
func (at *ackTest) deliver(ctx context.Context, evs []formats.Event, batch, per int, r rounds) (delivery, error) {
	d := delivery{deadLetters: map[string]string{}}
	for i := 0; i < len(evs); i += batch {
		if err := at.deliverBatch(ctx, evs[i:min(i+batch, len(evs))], per, r, d); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (at *ackTest) deliverBatch(ctx context.Context, evs []formats.Event, per int, r rounds, d delivery) error {
	type job struct {
		events  []formats.Event
		attempt int
	}
	var jobs []job
	for i := 0; i < len(evs); i += per {
		jobs = append(jobs, job{events: evs[i:min(i+per, len(evs))]})
	}
	for len(jobs) > 0 {
		select {
		case <-r.start:
		case <-ctx.Done():
			return ctx.Err()
		}
		tickets := make([]*Ticket, len(jobs))
		for i, j := range jobs {
			t, err := at.send(ctx, j.events)
			if err != nil {
				return err
			}
			tickets[i] = t
		}
		r.sent <- struct{}{}
		var next []job
		for i, t := range tickets {
			out := t.Wait(ctx)
			t.Release()
			switch {
			case out.Delivered():
			case out == Canceled:
				return ctx.Err()
			case jobs[i].attempt < at.cfg.MaxResends:
				next = append(next, job{events: jobs[i].events, attempt: jobs[i].attempt + 1})
			default:
				for _, id := range ids(jobs[i].events) {
					d.deadLetters[id] = out.String()
				}
			}
		}
		jobs = next
		r.over <- struct{}{}
	}
	return nil
}

// run delivers evs in the background and moves the clock while the
// sender waits, at most maxTicks intervals in all; between is called
// before each tick, to act on the sink.
func (at *ackTest) run(evs []formats.Event, batch, per, maxTicks int, between func(tick int)) delivery {
	at.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		d   delivery
		err error
	}
	done := make(chan result, 1)
	r := rounds{start: make(chan struct{}), sent: make(chan struct{}, 1), over: make(chan struct{}, 1)}
	go func() {
		d, err := at.deliver(ctx, evs, batch, per, r)
		done <- result{d, err}
	}()
	tick := 0
	for {
		select {
		case r.start <- struct{}{}:
		case res := <-done:
			require.NoError(at.t, res.err)
			return res.d
		}
		<-r.sent
	round:
		for {
			if at.acker.Pending() == 0 {
				// Every request of the round has its outcome: the
				// sender reads them, and the clock waits for it.
				select {
				case <-r.over:
					break round
				case <-time.After(hangGuard):
					at.t.Fatal("the sender never read the outcomes of its round")
				}
			}
			select {
			case <-r.over:
				break round
			default:
			}
			if tick == maxTicks {
				cancel()
				<-done
				at.t.Fatalf("the delivery was not over after %d poll intervals", maxTicks)
			}
			if between != nil {
				between(tick)
			}
			at.tick()
			tick++
		}
	}
}

// echoAck is a hostile ack endpoint: it answers with status and a body
// that echoes the request's credential, then, endless, writes filler for
// ever.
func echoAck(status int, endless bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"text":"you sent %s","acks":{`, r.Header.Get("Authorization"))
		if !endless {
			return
		}
		filler := bytes.Repeat([]byte(`"1":false,`), 1024)
		for r.Context().Err() == nil {
			if _, err := w.Write(filler); err != nil {
				return
			}
		}
	}
}
