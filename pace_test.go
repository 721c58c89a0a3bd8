package webhookexporter

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// fakeTime is a clock whose every wait ends at once, moving its time on
// by the wait: what the exporter waits for is read in its time, not the
// wall clock's.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeTime) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeTime) clock() delivery.Clock {
	return delivery.Clock{Now: c.Now, After: func(d time.Duration) <-chan time.Time {
		c.mu.Lock()
		c.now = c.now.Add(d)
		ch := make(chan time.Time, 1)
		ch <- c.now
		c.mu.Unlock()
		return ch
	}}
}

// stormEvents is the storm of the acceptance: critical events in
// one batch.
const stormEvents = 300

// TestStormKeepsTheServicePace: for every format whose service allows one
// request per interval (Slack: a message a second per webhook), a storm
// of critical events in one batch is all delivered, with no 429 from a
// stand-in that judges the pace by the same fake clock, each request at
// least the interval after the one before in that time.
func TestStormKeepsTheServicePace(t *testing.T) {
	paced := 0
	for _, b := range builtin.Builtins() {
		if b.Service.MinInterval <= 0 {
			continue
		}
		paced++
		t.Run(b.Name, func(t *testing.T) {
			clk := &fakeTime{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
			s := testsink.New(t, b)
			s.Pace(clk.Now)
			var mu sync.Mutex
			var at []time.Time
			s.Answer(func(w http.ResponseWriter, r *testsink.Request) {
				mu.Lock()
				at = append(at, clk.Now())
				mu.Unlock()
				testsink.Write(w, b.Service.Accept(r.Events))
			})
			exp := startRun(t, hostileCfg(t, s), component.MustNewID("webhook"), nil, clk.clock())
			storm := make([]seedEvent, stormEvents)
			for i := range storm {
				storm[i] = seedEvent{"pii_detected", "critical", map[string]any{"n": i}}
			}

			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, storm...)))

			for _, r := range s.Requests() {
				require.Empty(t, r.Refused, "request %d: the stand-in refused it (status %d)", r.N, r.Status)
			}
			assert.Len(t, s.Events(), stormEvents, "every event delivered")
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, at, len(s.Requests()))
			for i := 1; i < len(at); i++ {
				require.GreaterOrEqual(t, at[i].Sub(at[i-1]), b.Service.MinInterval, "request %d after %d", i, i-1)
			}
		})
	}
	require.NotZero(t, paced, "a format's service keeps a pace")
}

// TestDigestFoldsAStorm: with digest::after 1 and a window of a minute,
// a storm of 300 critical events of one type sends its first event, and
// once the window is over the next push sends one digest saying 299 more
// came, before its own event: one message per window, every event counted.
func TestDigestFoldsAStorm(t *testing.T) {
	b, _ := builtin.LookupBuiltin("slack")
	fake := &fakeTime{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	s := testsink.New(t, b)
	s.Pace(fake.Now)
	cfg := hostileCfg(t, s)
	cfg.Digest = builtin.DigestConfig{After: 1, Window: time.Minute}
	require.NoError(t, cfg.Validate())
	clk := fake.clock()
	paced := clk.After
	// The digest's ticker waits a quarter window and the shutdown's drain
	// one timeout: neither ends here, the pushes and the shutdown send
	// what is due.
	clk.After = func(d time.Duration) <-chan time.Time {
		if d == cfg.Digest.Window/4 || d == cfg.ClientConfig.Timeout {
			return nil
		}
		return paced(d)
	}
	exp := startRun(t, cfg, component.MustNewID("webhook"), nil, clk)
	storm := make([]seedEvent, stormEvents)
	for i := range storm {
		storm[i] = seedEvent{"pii_detected", "critical", map[string]any{"n": i}}
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, storm...)))
	require.Len(t, s.Events(), 1, "the window's first event goes as it is, the rest wait for the digest")

	fake.mu.Lock()
	fake.now = fake.now.Add(cfg.Digest.Window + time.Second)
	fake.mu.Unlock()
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedEvent{"file_shared_externally", "warning", map[string]any{"file_id": "abc123"}})))

	events := s.Events()
	require.Len(t, events, 3, "the first event, one digest, the next push's event")
	assert.Contains(t, string(events[1]), "digest_count")
	assert.Contains(t, string(events[1]), "299")
	assert.Contains(t, string(events[2]), "file_shared_externally")
	for _, r := range s.Requests() {
		require.Empty(t, r.Refused, "request %d: the stand-in refused it (status %d)", r.N, r.Status)
	}

	// A storm whose window has not ended when the exporter shuts down:
	// its digest goes at shutdown.
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, storm[:5]...)))
	require.Len(t, s.Events(), 4)
	require.NoError(t, exp.Shutdown(context.Background()))
	events = s.Events()
	require.Len(t, events, 5, "the pending digest is sent at shutdown")
	assert.Contains(t, string(events[4]), "digest_count")
}
