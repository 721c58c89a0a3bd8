// Package hecack is Splunk HEC's indexer acknowledgement for one exporter:
// its channel, the requests sent on it waiting for their ackId to answer
// true, and the poller that asks Splunk about all of them in one query per
// interval.
//
// A caller sends each request with a Ticket:
//
//	t, err := acker.Reserve(ctx) // waits while max_pending requests wait for acknowledgement
//	t.SetHeader(req.Header)      // the channel
//	... send, read the answer (bounded) ...
//	t.Answered(status, body, eventIDs)
//	... once every request of the batch is sent ...
//	switch t.Wait(ctx) { ... }   // Acked or Unverified: delivered; TimedOut or Lost: send again; Canceled: not settled
//	t.Release()                  // always (defer): frees the ticket's room
//
// A nil *Acker (acknowledgement off) gives nil tickets, whose Wait says
// Unverified: the caller's code is the same either way.
package hecack // import "github.com/sentyr/webhookexporter/internal/hecack"

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// ChannelHeader carries a request's channel.
const ChannelHeader = "X-Splunk-Request-Channel"

// ackAnswerBytesPerID is what an ack answer may take per id asked on top
// of builtin.AnswerBytes: the largest id, quoted, with false and a comma.
const ackAnswerBytesPerID = 32

// Outcome is what became of a request sent with a Ticket.
type Outcome uint8

const (
	// Acked: a query of the request's ackId answered true; its events are indexed.
	Acked Outcome = iota + 1
	// Unverified: Splunk does not acknowledge for the token; the events
	// count as delivered as code 0 says, as without acknowledgement.
	Unverified
	// TimedOut: no true came within splunk_hec::ack::timeout; the events
	// are sent again with the same ids.
	TimedOut
	// Lost: Splunk forgot the channel, or the request was not taken with
	// an ackId; the events are sent again.
	Lost
	// Canceled: the wait ended first (the caller's context, or Close);
	// nothing is known, the events are not settled.
	Canceled
)

// Delivered says the events of the request count as delivered.
func (o Outcome) Delivered() bool { return o == Acked || o == Unverified }

func (o Outcome) String() string {
	switch o {
	case Acked:
		return "acknowledged"
	case Unverified:
		return "unverified"
	case TimedOut:
		return "ack_timeout"
	case Lost:
		return "channel_lost"
	case Canceled:
		return "canceled"
	}
	return "unknown"
}

// ErrUnhealthy says HEC's health check answered 503: the caller waits, as
// after a 503, rather than send into a full server.
var ErrUnhealthy = errors.New("the Splunk HEC is not healthy")

// ErrClosed says the acker was closed while a caller waited for room.
var ErrClosed = errors.New("the exporter is shutting down")

// Clock is the time the poller reads and waits on; tests move it by hand.
type Clock struct {
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// SystemClock is the real time.
func SystemClock() Clock { return Clock{Now: time.Now, After: time.After} }

// Observer hears what the caller logs and counts; a nil func is not called.
// It is called without the acker's lock, so it may call the acker.
type Observer struct {
	// QueryFailed: an ack query failed; it is asked again next interval.
	QueryFailed func(err error)
	// ChannelForgotten: Splunk forgot the channel; requests (events) that
	// waited on it are sent again.
	ChannelForgotten func(channel string, requests, events int)
	// Disabled: acknowledgement is off for the exporter from now on.
	Disabled func(reason string)
}

// Options build an Acker.
type Options struct {
	// Endpoint is the exporter's event endpoint; the ack and health URLs
	// are derived from it.
	Endpoint string
	Ack      builtin.HECAckConfig
	// Client is the exporter's client (TLS, auth); Header sets the
	// exporter's headers (the token) on each query.
	Client *http.Client
	Header func(http.Header)
	// Clock: zero is SystemClock.
	Clock    Clock
	Observer Observer
}

// Acker is the acknowledgement of one exporter. Its zero value is not
// ready: use New.
type Acker struct {
	channel   string
	ackURL    string
	healthURL string
	cfg       builtin.HECAckConfig
	client    *http.Client
	header    func(http.Header)
	clock     Clock
	observer  Observer

	// slots holds a token per ticket that holds room: max_pending.
	slots   chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	stopped chan struct{}
	once    sync.Once

	mu       sync.Mutex
	gen      uint64 // the channel's life: a forgotten channel starts a new one
	pending  map[uint64]*Ticket
	disabled bool
	closed   bool
	// health is the last health check, kept for one poll interval.
	healthAt  time.Time
	healthErr error
}

// New returns the acker of an exporter, its poller started when
// acknowledgement is on. Close stops it.
func New(opts Options) (*Acker, error) {
	cfg := opts.Ack.WithDefaults()
	channel, err := newGUID()
	if err != nil {
		return nil, err
	}
	a := &Acker{
		channel: channel, cfg: cfg, client: opts.Client, header: opts.Header,
		clock: opts.Clock, observer: opts.Observer,
		slots: make(chan struct{}, cfg.MaxPending), stopped: make(chan struct{}),
		pending: map[uint64]*Ticket{}, disabled: !cfg.Enabled,
	}
	if a.clock.Now == nil {
		a.clock = SystemClock()
	}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	if a.header == nil {
		a.header = func(http.Header) {}
	}
	if a.healthURL, err = builtin.HECHealthURL(opts.Endpoint); err != nil && cfg.Enabled {
		return nil, err
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	if !cfg.Enabled {
		close(a.stopped)
		return a, nil
	}
	if a.ackURL, err = builtin.HECAckURL(opts.Endpoint, channel); err != nil {
		a.cancel()
		return nil, err
	}
	go a.run()
	return a, nil
}

// newGUID is a random (version 4) GUID, the form Splunk takes for a channel.
func newGUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// Channel is the exporter's channel, the same for the life of the process.
func (a *Acker) Channel() string {
	if a == nil {
		return ""
	}
	return a.channel
}

// Enabled says acknowledgement is on: the token has not turned it off.
func (a *Acker) Enabled() bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.disabled
}

// Pending is the number of requests waiting for acknowledgement.
func (a *Acker) Pending() int {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending)
}

// Close stops the poller; the requests still waiting end Canceled. It
// returns once the poller has stopped.
func (a *Acker) Close() {
	if a == nil {
		return
	}
	a.once.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		a.cancel()
		<-a.stopped
		a.mu.Lock()
		defer a.mu.Unlock()
		for id, t := range a.pending {
			delete(a.pending, id)
			a.resolve(t, Canceled)
		}
	})
}

// Ticket is one request's place among those waiting for acknowledgement.
type Ticket struct {
	a     *Acker
	gen   uint64
	id    uint64
	ids   []string
	until time.Time

	// holds says the ticket holds room (a token in a.slots); registered,
	// that it is in a.pending. Both under a.mu.
	holds      bool
	registered bool
	done       chan struct{}
	outcome    Outcome
}

// Reserve takes room for one request, waiting while max_pending requests
// wait for acknowledgement, until ctx ends (its error) or the acker closes
// (ErrClosed). With acknowledgement off it returns at once.
func (a *Acker) Reserve(ctx context.Context) (*Ticket, error) {
	if a == nil {
		return nil, nil
	}
	t := &Ticket{a: a, done: make(chan struct{})}
	a.mu.Lock()
	off, closed := a.disabled, a.closed
	a.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !off {
		select {
		case a.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-a.ctx.Done():
			return nil, ErrClosed
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t.gen, t.holds = a.gen, !off
	if a.disabled {
		a.resolve(t, Unverified)
	}
	return t, nil
}

// SetHeader sets the channel on a request sent with t.
func (t *Ticket) SetHeader(h http.Header) {
	if t == nil || t.resolved() {
		return
	}
	h.Set(ChannelHeader, t.a.channel)
}

// resolved says t has its outcome.
func (t *Ticket) resolved() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// Answered records HEC's answer (status, body bounded by the caller) to
// the request of eventIDs sent with t. A code 0 with an ackId waits for
// acknowledgement; a code 0 without one turns acknowledgement off (the
// token has it off); code 11 resends what waited on the channel; any
// other answer leaves the request to the caller's retries.
func (t *Ticket) Answered(status int, body []byte, eventIDs []string) {
	if t == nil {
		return
	}
	a := t.a
	ans := builtin.ReadHECAnswer(body)
	var notes []func()
	a.mu.Lock()
	switch taken := status/100 == 2 && ans.Success(); {
	case t.resolved():
	case a.closed:
		a.resolve(t, Canceled)
	case taken && ans.HasAckID && t.gen != a.gen:
		// Sent on a channel Splunk has forgotten since: its id may be
		// another request's on the channel's new life.
		a.resolve(t, Lost)
	case taken && ans.HasAckID:
		if old := a.pending[ans.AckID]; old != nil {
			// An id given twice: the first request cannot be told apart.
			delete(a.pending, ans.AckID)
			a.resolve(old, Lost)
		}
		t.id, t.ids, t.until, t.registered = ans.AckID, eventIDs, a.clock.Now().Add(a.cfg.Timeout), true
		a.pending[t.id] = t
	case taken:
		notes = a.disable("Splunk answered code 0 without an ackId: the token has indexer acknowledgement off")
		a.resolve(t, Unverified)
	case ans.ChannelUnknown():
		notes = a.forget()
		a.resolve(t, Lost)
	case ans.AckDisabled():
		// Refused: the caller's retry sends it again, without the wait.
		notes = a.disable("Splunk answered code 14 (ACK is disabled): the token has indexer acknowledgement off")
		a.resolve(t, Lost)
	default:
		a.resolve(t, Lost)
	}
	a.mu.Unlock()
	run(notes)
}

// Wait waits for t's outcome, or for ctx to end (Canceled).
func (t *Ticket) Wait(ctx context.Context) Outcome {
	if t == nil {
		return Unverified
	}
	select {
	case <-t.done:
		return t.outcome
	case <-ctx.Done():
		return Canceled
	}
}

// Release gives t's room back if it still holds it: the caller no longer
// waits for it. It is safe to call more than once.
func (t *Ticket) Release() {
	if t == nil {
		return
	}
	a := t.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.registered && a.pending[t.id] == t {
		delete(a.pending, t.id)
	}
	a.resolve(t, Canceled)
}

// resolve gives t its outcome once and its room back. Under a.mu.
func (a *Acker) resolve(t *Ticket, o Outcome) {
	if t.holds {
		t.holds = false
		<-a.slots
	}
	if !t.resolved() {
		t.outcome = o
		close(t.done)
	}
}

// forget ends the channel's life: what waited on it is Lost. Under a.mu;
// the returned notes are run without it.
func (a *Acker) forget() []func() {
	a.gen++
	requests, events := len(a.pending), 0
	for id, t := range a.pending {
		events += len(t.ids)
		delete(a.pending, id)
		a.resolve(t, Lost)
	}
	if f := a.observer.ChannelForgotten; f != nil {
		return []func(){func() { f(a.channel, requests, events) }}
	}
	return nil
}

// disable turns acknowledgement off for good: what waited is Unverified,
// as code 0 without acknowledgement. Under a.mu.
func (a *Acker) disable(reason string) []func() {
	if a.disabled {
		return nil
	}
	a.disabled = true
	for id, t := range a.pending {
		delete(a.pending, id)
		a.resolve(t, Unverified)
	}
	if f := a.observer.Disabled; f != nil {
		return []func(){func() { f(reason) }}
	}
	return nil
}

func run(notes []func()) {
	for _, f := range notes {
		f()
	}
}

// run is the poller: one query per interval for every request waiting.
func (a *Acker) run() {
	defer close(a.stopped)
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.clock.After(a.cfg.PollInterval):
		}
		a.poll()
	}
}

// poll asks about every request waiting, then times out those whose wait
// is over, whether or not the query was answered.
func (a *Acker) poll() {
	a.mu.Lock()
	gen := a.gen
	asked := maps.Clone(a.pending)
	a.mu.Unlock()
	ids := slices.Sorted(maps.Keys(asked))

	var notes []func()
	if len(ids) > 0 {
		// A query never outlasts its interval: the next one asks again.
		ctx, cancel := context.WithTimeout(a.ctx, a.cfg.PollInterval)
		acks, status, ans, err := a.query(ctx, ids)
		cancel()
		refused := status == http.StatusBadRequest
		a.mu.Lock()
		switch {
		case gen != a.gen:
		case ans.ChannelUnknown(), refused && !ans.AckDisabled():
			// A query written as Splunk documents it, refused: Splunk
			// does not know the channel or its ids (a restart forgot
			// them), and will never answer for them.
			notes = a.forget()
		case ans.AckDisabled():
			notes = a.disable("the ack query answered code 14 (ACK is disabled): the token has indexer acknowledgement off")
		case err == nil:
			for _, id := range acks {
				// Only what was asked, of the request it was asked for:
				// an id given again since is another request's.
				if t := a.pending[id]; t != nil && t == asked[id] {
					delete(a.pending, id)
					a.resolve(t, Acked)
				}
			}
		}
		a.mu.Unlock()
		if err != nil && a.observer.QueryFailed != nil && a.ctx.Err() == nil {
			a.observer.QueryFailed(err)
		}
	}
	a.mu.Lock()
	now := a.clock.Now()
	for id, t := range a.pending {
		if !now.Before(t.until) {
			delete(a.pending, id)
			a.resolve(t, TimedOut)
		}
	}
	a.mu.Unlock()
	run(notes)
}

// query asks which of ids are indexed and returns those that are; a
// refused query returns its status and HEC's answer with the error.
func (a *Acker) query(ctx context.Context, ids []uint64) ([]uint64, int, builtin.HECAnswer, error) {
	none := builtin.HECAnswer{Code: -1}
	body := append(make([]byte, 0, len(ids)*8+12), `{"acks":[`...)
	for i, id := range ids {
		if i > 0 {
			body = append(body, ',')
		}
		body = strconv.AppendUint(body, id, 10)
	}
	body = append(body, "]}"...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.ackURL, bytes.NewReader(body))
	if err != nil {
		return nil, 0, none, err
	}
	a.header(req.Header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, 0, none, fmt.Errorf("ack query of channel %s: %w", a.channel, unwrapURL(err))
	}
	answer, err := readBounded(resp, builtin.AnswerBytes+ackAnswerBytesPerID*int64(len(ids)))
	if err != nil {
		return nil, resp.StatusCode, none, fmt.Errorf("ack query of channel %s: %w", a.channel, err)
	}
	if resp.StatusCode != http.StatusOK {
		ans := builtin.ReadHECAnswer(answer)
		return nil, resp.StatusCode, ans, fmt.Errorf("ack query of channel %s answered %d (HEC code %d)", a.channel, resp.StatusCode, ans.Code)
	}
	var r struct {
		Acks map[string]bool `json:"acks"`
	}
	if err := json.Unmarshal(answer, &r); err != nil || r.Acks == nil {
		return nil, resp.StatusCode, none, fmt.Errorf("ack query of channel %s: the answer is not {\"acks\":{...}}", a.channel)
	}
	var acked []uint64
	for k, ok := range r.Acks {
		// Ids not asked are left out by the caller's lookup.
		if id, err := strconv.ParseUint(k, 10, 64); ok && err == nil {
			acked = append(acked, id)
		}
	}
	return acked, resp.StatusCode, none, nil
}

// Healthy asks HEC's health check, at most once per poll interval: a 503
// returns ErrUnhealthy, anything else nil (the send then says what is
// wrong).
func (a *Acker) Healthy(ctx context.Context) error {
	if a == nil || a.healthURL == "" {
		return nil
	}
	a.mu.Lock()
	now := a.clock.Now()
	if !a.healthAt.IsZero() && now.Sub(a.healthAt) < a.cfg.PollInterval {
		err := a.healthErr
		a.mu.Unlock()
		return err
	}
	a.mu.Unlock()
	err := a.health(ctx)
	a.mu.Lock()
	a.healthAt, a.healthErr = now, err
	a.mu.Unlock()
	return err
}

func (a *Acker) health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.PollInterval)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.healthURL, http.NoBody)
	if err != nil {
		return nil
	}
	a.header(req.Header)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil
	}
	answer, err := readBounded(resp, builtin.AnswerBytes)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		return nil
	}
	return fmt.Errorf("%w: its health check answered 503 (HEC code %d); the events wait, as after a 503", ErrUnhealthy, builtin.ReadHECAnswer(answer).Code)
}

// readBounded reads at most limit bytes of resp's body and closes it; a
// longer answer is an error, the rest read off the connection up to as
// much again so that it may be reused.
func readBounded(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		_, _ = io.CopyN(io.Discard, resp.Body, limit)
		return nil, fmt.Errorf("an answer longer than %d bytes", limit)
	}
	return b, nil
}

// unwrapURL drops the URL that net/http puts in a request's error: the
// channel names the query, and an endpoint may carry what is not for logs.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
