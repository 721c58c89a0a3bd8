package delivery

import (
	"math"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
)

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
