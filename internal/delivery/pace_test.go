package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each request takes the slot one interval after the one before, waited
// for on the pusher's clock; a request after a quiet spell goes at once.
func TestPaceGivesSlotsOneIntervalApart(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var waits []time.Duration
	clk := Clock{Now: func() time.Time { return now }, After: func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		ch := make(chan time.Time, 1)
		ch <- now
		return ch
	}}
	p := &pace{interval: time.Second, clock: &clk}
	for range 3 {
		require.NoError(t, p.wait(context.Background()))
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, waits, "the first goes at once, the others wait their slot")
	now = now.Add(time.Minute)
	require.NoError(t, p.wait(context.Background()))
	assert.Len(t, waits, 2, "after a quiet spell the next request goes at once")
}

// A wait ends with its context: the end of a shutdown's drain cuts it,
// however far its slot.
func TestPaceWaitEndsWithItsContext(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	never := make(chan time.Time)
	clk := Clock{Now: func() time.Time { return now }, After: func(time.Duration) <-chan time.Time { return never }}
	p := &pace{interval: time.Hour, clock: &clk}
	require.NoError(t, p.wait(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.wait(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "one request every 1h0m0s")
}

// A format without a pace waits for nothing.
func TestNoPaceWaitsForNothing(t *testing.T) {
	var p *pace
	assert.NoError(t, p.wait(context.Background()))
}
