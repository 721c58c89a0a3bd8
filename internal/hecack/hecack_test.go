package hecack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// One query per interval asks about every request waiting, whatever their
// number; acknowledged requests are not asked again, and with nothing
// waiting nothing is asked.
func TestOneQueryPerIntervalForAllPending(t *testing.T) {
	sink := hecsink.New(t, token, true)
	sink.SetPolicy(hecsink.Policy{QueriesBeforeIndex: 2})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{})
	ctx := context.Background()

	var tickets []*Ticket
	for i := range 5 {
		tk, err := at.send(ctx, events(i*10, 10))
		require.NoError(t, err)
		tickets = append(tickets, tk)
	}
	at.waitPending(5)
	for range 2 {
		at.tick()
		assert.Equal(t, 5, at.acker.Pending(), "false twice: late acknowledgement")
	}
	at.tick()
	for _, tk := range tickets {
		assert.Equal(t, Acked, tk.Wait(ctx))
		tk.Release()
	}
	at.tick()
	at.tick()

	queries := sink.Queries()
	require.Len(t, queries, 3, "one query per interval while requests wait, none after")
	for _, q := range queries {
		assert.Equal(t, []uint64{0, 1, 2, 3, 4}, q.IDs, "every pending id in the one query")
		assert.Equal(t, strings.ToUpper(at.acker.Channel()), q.Channel)
		assert.Equal(t, http.StatusOK, q.Status)
	}
	assert.Empty(t, sink.Refused())
	assert.Len(t, sink.Indexed(), 50)
	assert.Empty(t, at.failed)
}

// The channel is a GUID of the exporter's own, the same on every request.
func TestChannelIsAGUID(t *testing.T) {
	a, err := New(Options{Endpoint: "https://splunk.example.com:8088/services/collector/event", Ack: builtin.HECAckConfig{Enabled: true}, Clock: newFakeClock().clock()})
	require.NoError(t, err)
	defer a.Close()
	b, err := New(Options{Endpoint: "https://splunk.example.com:8088/services/collector/event", Ack: builtin.HECAckConfig{Enabled: true}, Clock: newFakeClock().clock()})
	require.NoError(t, err)
	defer b.Close()
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), a.Channel())
	assert.NotEqual(t, a.Channel(), b.Channel(), "a channel per exporter")
	for range 2 {
		tk, err := a.Reserve(context.Background())
		require.NoError(t, err)
		h := http.Header{}
		tk.SetHeader(h)
		assert.Equal(t, a.Channel(), h.Get(ChannelHeader))
		tk.Release()
	}
}

// The acceptance run: 10,000 events, in batches of 500 and requests of
// 50, through a stand-in that acknowledges late, loses 1% of requests after
// answering code 0, and forgets the channel once. Every event is indexed,
// by id; the only ones indexed twice are those that waited on the
// forgotten channel, which Splunk indexed but could no longer acknowledge.
func TestLateLostAndForgotten(t *testing.T) {
	sink := hecsink.New(t, token, true)
	lost := func(n int) bool { return n%100 == 42 }
	sink.SetPolicy(hecsink.Policy{QueriesBeforeIndex: 2, Lose: lost})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{PollInterval: 10 * time.Second, Timeout: time.Minute})

	evs := events(0, 10_000)
	d := at.run(evs, 500, 50, 1000, func(tick int) {
		if tick == 5 {
			sink.Forget(true)
		}
	})

	assert.Empty(t, d.deadLetters)
	indexed, forgotten, sent := sink.Indexed(), sink.Forgotten(), sink.Sent()
	twice := 0
	for _, ev := range evs {
		n := indexed[ev.ID]
		require.GreaterOrEqual(t, n, 1, "event %s indexed", ev.ID)
		if n > 1 {
			twice++
			assert.Contains(t, forgotten, ev.ID, "indexed twice: only what waited on the forgotten channel")
		}
	}
	assert.Len(t, indexed, len(evs), "no event that was not sent")
	resent := 0
	for _, n := range sent {
		resent += n - 1
	}
	require.Len(t, at.forgotten, 1, "the channel was forgotten once")
	assert.Positive(t, resent)
	t.Logf("events: %d; requests lost after code 0: %d; resent events: %d; indexed twice: %d; waited on the forgotten channel: %d; queries: %d; %s",
		len(evs), countLost(lost, len(evs)/50), resent, twice, len(forgotten), len(sink.Queries()), at.forgotten[0])
	assert.Empty(t, at.disabled)
}

func countLost(lost func(int) bool, n int) int {
	c := 0
	for i := range n {
		if lost(i) {
			c++
		}
	}
	return c
}

// A request lost after its code 0 comes back as timed out, and sent again
// with the same ids it is indexed.
func TestLostRequestTimesOutAndIsResent(t *testing.T) {
	sink := hecsink.New(t, token, true)
	sink.SetPolicy(hecsink.Policy{Lose: func(n int) bool { return n == 1 }})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{PollInterval: 10 * time.Second, Timeout: 30 * time.Second})

	evs := events(0, 30)
	d := at.run(evs, len(evs), 10, 20, nil)

	assert.Empty(t, d.deadLetters)
	sent, indexed := sink.Sent(), sink.Indexed()
	for i, ev := range evs {
		assert.Equal(t, 1, indexed[ev.ID], "event %d indexed once", i)
		want := 1
		if i >= 10 && i < 20 {
			want = 2 // the second request, lost, sent again with its ids
		}
		assert.Equal(t, want, sent[ev.ID], "event %d sent", i)
	}
}

// A stand-in that never acknowledges: each event is sent 1+max_resends
// times with the same id, then dead-lettered as ack_timeout.
func TestNeverAcknowledged(t *testing.T) {
	sink := hecsink.New(t, token, true)
	sink.SetPolicy(hecsink.Policy{Never: true})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{PollInterval: 10 * time.Second, Timeout: 30 * time.Second, MaxResends: 2})

	evs := events(0, 20)
	d := at.run(evs, len(evs), 10, 100, nil)

	assert.Empty(t, sink.Indexed())
	sent := sink.Sent()
	require.Len(t, d.deadLetters, len(evs))
	for _, ev := range evs {
		assert.Equal(t, 3, sent[ev.ID], "sent once and resent twice, with the same id")
		assert.Equal(t, "ack_timeout", d.deadLetters[ev.ID])
	}
	assert.Zero(t, at.acker.Pending())
	assert.Empty(t, sink.Refused())
}

// When max_pending requests wait, the next Reserve waits until one is
// resolved, or until its context ends.
func TestMaxPendingWaits(t *testing.T) {
	sink := hecsink.New(t, token, true)
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{MaxPending: 2})
	ctx := context.Background()

	first, err := at.send(ctx, events(0, 1))
	require.NoError(t, err)
	second, err := at.send(ctx, events(1, 1))
	require.NoError(t, err)
	at.waitPending(2)

	ended, cancel := context.WithCancel(ctx)
	cancel()
	_, err = at.acker.Reserve(ended)
	require.ErrorIs(t, err, context.Canceled, "full: a caller whose context ends stops waiting")

	got := make(chan *Ticket, 1)
	go func() {
		tk, err := at.acker.Reserve(ctx)
		assert.NoError(t, err)
		got <- tk
	}()
	select {
	case <-got:
		t.Fatal("a third request found room while two waited")
	default:
	}
	at.tick() // both acknowledged: room again
	assert.Equal(t, Acked, first.Wait(ctx))
	assert.Equal(t, Acked, second.Wait(ctx))
	select {
	case tk := <-got:
		tk.Release()
	case <-time.After(hangGuard):
		t.Fatal("the waiting Reserve never got room")
	}
	first.Release()
	second.Release()

	// Room a caller gave up on comes back too.
	a, err := at.acker.Reserve(ctx)
	require.NoError(t, err)
	b, err := at.acker.Reserve(ctx)
	require.NoError(t, err)
	a.Release()
	c, err := at.acker.Reserve(ctx)
	require.NoError(t, err)
	b.Release()
	c.Release()
}

// A forgotten channel: a query answered code 11 sends again everything
// that waited on it.
func TestForgottenChannelResendsPending(t *testing.T) {
	sink := hecsink.New(t, token, true)
	sink.SetPolicy(hecsink.Policy{QueriesBeforeIndex: 5})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{})
	ctx := context.Background()

	var tickets []*Ticket
	for i := range 3 {
		tk, err := at.send(ctx, events(i*4, 4))
		require.NoError(t, err)
		tickets = append(tickets, tk)
	}
	at.waitPending(3)
	sink.Forget(false)
	at.tick()
	for _, tk := range tickets {
		assert.Equal(t, Lost, tk.Wait(ctx))
		tk.Release()
	}
	assert.Zero(t, at.acker.Pending())
	require.Equal(t, []string{"channel " + at.acker.Channel() + " forgotten: 3 requests (12 events) sent again"}, at.forgotten)
	q := sink.Queries()
	require.Len(t, q, 1)
	assert.Equal(t, http.StatusBadRequest, q[0].Status)

	// The channel lives on: a request sent now is acknowledged on it.
	sink.SetPolicy(hecsink.Policy{})
	tk, err := at.send(ctx, events(100, 1))
	require.NoError(t, err)
	at.waitPending(1)
	at.tick()
	assert.Equal(t, Acked, tk.Wait(ctx))
	tk.Release()
}

// Sent on a channel Splunk forgot before the exporter knew: its ackId may
// be another request's on the channel's new life, so it is sent again.
func TestAckIDFromAForgottenLife(t *testing.T) {
	sink := hecsink.New(t, token, true)
	sink.SetPolicy(hecsink.Policy{QueriesBeforeIndex: 5})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{})
	ctx := context.Background()

	old, err := at.send(ctx, events(0, 1))
	require.NoError(t, err)
	at.waitPending(1)
	sink.Forget(false)
	// The same id again, from the channel's new life: the first holder
	// cannot be told apart from the second.
	fresh, err := at.send(ctx, events(1, 1))
	require.NoError(t, err)
	assert.Equal(t, Lost, old.Wait(ctx))
	assert.Equal(t, 1, at.acker.Pending())
	sink.SetPolicy(hecsink.Policy{})
	at.tick()
	assert.Equal(t, Acked, fresh.Wait(ctx))
	old.Release()
	fresh.Release()
}

// A token without acknowledgement answers code 0 without an ackId: the
// exporter turns acknowledgement off with a warning, and what it sent
// counts as delivered, as without acknowledgement.
func TestTokenWithoutAck(t *testing.T) {
	sink := hecsink.New(t, token, false)
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{})
	ctx := context.Background()

	tk, err := at.send(ctx, events(0, 3))
	require.NoError(t, err)
	assert.Equal(t, Unverified, tk.Wait(ctx))
	assert.True(t, tk.Wait(ctx).Delivered())
	tk.Release()
	require.Equal(t, []string{"Splunk answered code 0 without an ackId: the token has indexer acknowledgement off"}, at.disabled)
	assert.False(t, at.acker.Enabled())

	next, err := at.acker.Reserve(ctx)
	require.NoError(t, err)
	h := http.Header{}
	next.SetHeader(h)
	assert.Empty(t, h.Get(ChannelHeader), "off: no channel")
	assert.Equal(t, Unverified, next.Wait(ctx))
	next.Release()
	at.tick()
	assert.Empty(t, sink.Queries(), "off: no queries")
}

// An ack query answered code 14 (the token's acknowledgement was turned
// off): what waited counts as delivered, and acknowledgement is off.
func TestAckQueryDisabled(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc(hecsink.EventPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"text":"Success","code":0,"ackId":7}`))
	})
	mux.HandleFunc(hecsink.AckPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"text":"ACK is disabled","code":14}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	at := newAckTest(t, srv.URL+hecsink.EventPath, builtin.HECAckConfig{})
	ctx := context.Background()

	tk, err := at.send(ctx, events(0, 2))
	require.NoError(t, err)
	at.waitPending(1)
	at.tick()
	assert.Equal(t, Unverified, tk.Wait(ctx))
	tk.Release()
	assert.False(t, at.acker.Enabled())
	require.Len(t, at.disabled, 1)
	assert.Contains(t, at.disabled[0], "code 14 (ACK is disabled)")
}

// A query that fails is asked again at the next interval; the request
// still times out when its wait is over. What the answer echoes (the
// token) reaches no error, and an endless answer is read bounded.
func TestFailedQueryIsRetriedAndBounded(t *testing.T) {
	var acks int
	mux := http.NewServeMux()
	mux.HandleFunc(hecsink.EventPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"text":"Success","code":0,"ackId":0}`))
	})
	mux.HandleFunc(hecsink.AckPath, func(w http.ResponseWriter, r *http.Request) {
		acks++
		echoAck(map[bool]int{true: http.StatusServiceUnavailable, false: http.StatusOK}[acks == 1], acks > 1)(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	at := newAckTest(t, srv.URL+hecsink.EventPath, builtin.HECAckConfig{PollInterval: 10 * time.Second, Timeout: 30 * time.Second})
	ctx := context.Background()

	tk, err := at.send(ctx, events(0, 1))
	require.NoError(t, err)
	at.waitPending(1)
	for range 3 {
		at.tick()
	}
	assert.Equal(t, TimedOut, tk.Wait(ctx))
	tk.Release()
	assert.Equal(t, 3, acks, "asked at every interval")
	require.Len(t, at.failed, 3)
	for _, err := range at.failed {
		assert.NotContains(t, err.Error(), token)
		assert.Contains(t, err.Error(), at.acker.Channel(), "the channel is named")
	}
	assert.Contains(t, at.failed[0].Error(), "answered 503 (HEC code -1)")
	assert.Contains(t, at.failed[1].Error(), "an answer longer than")
}

// HEC's health check answering 503 makes the caller wait; it is asked at
// most once per poll interval.
func TestHealth(t *testing.T) {
	sink := hecsink.New(t, token, true)
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{})
	ctx := context.Background()

	require.NoError(t, at.acker.Healthy(ctx))
	sink.SetHealth(http.StatusServiceUnavailable)
	require.NoError(t, at.acker.Healthy(ctx), "the last answer holds for one interval")
	at.clock.advance(at.cfg.PollInterval)
	at.clock.waitIdle(t)
	err := at.acker.Healthy(ctx)
	require.ErrorIs(t, err, ErrUnhealthy)
	assert.Equal(t, "the Splunk HEC is not healthy: its health check answered 503 (HEC code 18); the events wait, as after a 503", err.Error())
	sink.SetHealth(http.StatusOK)
	at.tick()
	assert.NoError(t, at.acker.Healthy(ctx))

	var off *Acker
	assert.NoError(t, off.Healthy(ctx))
}

// A nil acker (acknowledgement off) gives tickets that change nothing.
func TestNilAcker(t *testing.T) {
	var a *Acker
	tk, err := a.Reserve(context.Background())
	require.NoError(t, err)
	h := http.Header{}
	tk.SetHeader(h)
	assert.Empty(t, h)
	tk.Answered(200, []byte(`{"text":"Success","code":0}`), nil)
	assert.Equal(t, Unverified, tk.Wait(context.Background()))
	tk.Release()
	a.Close()
	assert.Zero(t, a.Pending())
}

// Close ends every wait: what waited is not settled.
func TestCloseCancelsWaits(t *testing.T) {
	sink := hecsink.New(t, token, true)
	sink.SetPolicy(hecsink.Policy{Never: true})
	at := newAckTest(t, sink.Endpoint(), builtin.HECAckConfig{})
	ctx := context.Background()

	tk, err := at.send(ctx, events(0, 1))
	require.NoError(t, err)
	at.waitPending(1)
	at.acker.Close()
	assert.Equal(t, Canceled, tk.Wait(ctx))
	tk.Release()
	_, err = at.acker.Reserve(ctx)
	assert.True(t, errors.Is(err, ErrClosed))
}

// An answer says true only of what was asked: an id registered while the
// query was on its way, or never asked, stays waiting for its own answer.
func TestTrueOnlyForWhatWasAsked(t *testing.T) {
	var next atomic.Uint64
	asked, answer := make(chan string, 1), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc(hecsink.EventPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"text":"Success","code":0,"ackId":%d}`, next.Add(1)-1)
	})
	mux.HandleFunc(hecsink.AckPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		asked <- string(body)
		<-answer
		_, _ = w.Write([]byte(`{"acks":{"0":true,"1":true,"9":true}}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	at := newAckTest(t, srv.URL+hecsink.EventPath, builtin.HECAckConfig{})
	ctx := context.Background()

	first, err := at.send(ctx, events(0, 1))
	require.NoError(t, err)
	at.waitPending(1)
	at.clock.advance(at.cfg.PollInterval)
	assert.Equal(t, `{"acks":[0]}`, <-asked)
	second, err := at.send(ctx, events(1, 1))
	require.NoError(t, err)
	close(answer)
	at.clock.waitIdle(t)

	assert.Equal(t, Acked, first.Wait(ctx))
	assert.Equal(t, 1, at.acker.Pending(), "the second request was not asked about")
	first.Release()
	second.Release()
	assert.Zero(t, at.acker.Pending())
}
