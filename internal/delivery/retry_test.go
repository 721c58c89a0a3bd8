package delivery

import (
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

// retry_on_failure multiplies durations of the config: an interval times
// the multiplier, or times 1 + randomization_factor, past the largest
// Duration (a multiplier of 1e300, a max_interval of 200 years) used to
// convert to a negative wait, retried at once. Every wait is between the
// initial interval and max_interval (with jitter, the largest Duration).
func TestRetryBackoffDoesNotOverflow(t *testing.T) {
	longest := time.Duration(math.MaxInt64)
	for name, tc := range map[string]struct {
		cfg  configretry.BackOffConfig
		want []time.Duration
	}{
		"huge multiplier": {
			cfg:  configretry.BackOffConfig{InitialInterval: time.Second, MaxInterval: time.Hour, Multiplier: 1e300},
			want: []time.Duration{time.Second, time.Hour, time.Hour},
		},
		"huge max_interval": {
			cfg:  configretry.BackOffConfig{InitialInterval: 1 << 61, MaxInterval: longest, Multiplier: 2},
			want: []time.Duration{1 << 61, 1 << 62, longest, longest},
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := newBackoff(tc.cfg)
			for i, want := range tc.want {
				assert.Equal(t, want, b.next(), "wait %d", i)
			}
			tc.cfg.RandomizationFactor = 1
			b = newBackoff(tc.cfg)
			for i := range tc.want {
				d := b.next()
				assert.GreaterOrEqual(t, d, time.Duration(0), "wait %d", i)
			}
		})
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{" 120 ", 2 * time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"-5", 0},
	} {
		assert.Equal(t, tt.want, retryAfter(tt.value, now, time.Hour), "Retry-After: %q", tt.value)
	}
}

// A Retry-After is a wait of at most the cap, whatever its form.
func TestRetryAfterIsCapped(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, value := range []string{"2147483647", "99999999999999999999", now.Add(24 * time.Hour).Format(http.TimeFormat)} {
		assert.Equal(t, time.Minute, retryAfter(value, now, time.Minute), value)
	}
	assert.Equal(t, 30*time.Second, retryAfter("30", now, time.Minute))
	assert.Equal(t, maxRetryAfter, retryAfterCap(configretry.BackOffConfig{}))
	assert.Equal(t, time.Second, retryAfterCap(configretry.BackOffConfig{MaxInterval: time.Second}))
	assert.Equal(t, time.Hour, retryAfterCap(configretry.BackOffConfig{MaxInterval: time.Second, MaxElapsedTime: time.Hour}))
}

func TestPartialFailureRetriesOnlyFailedEvents(t *testing.T) {
	var a mapping.Arrays
	(&mapping.Mapper{Now: time.Now}).MapInto(fileEvents("abc123", "def456", "ghi789"), &a, nil)
	a.Results = []builtin.Result{{}, {Outcome: builtin.Retry, Reason: "busy"}, {Outcome: builtin.Drop, Reason: "invalid"}}

	r := resultOf(a.Results, errors.New("busy"), 3*time.Second, 1)

	require.Error(t, r.retryErr)
	assert.Equal(t, 3*time.Second, r.throttle, "Retry-After reaches the retry loop")
	assert.Equal(t, 1, r.dropped)
	retrying(&a)
	require.Equal(t, 1, len(a.Events), "only the failed part is tried again")
	assert.Equal(t, "def456", a.Records[0].Record.Body().Map().AsRaw()["file_id"])
}

func TestOnlyDroppedEventsArePermanent(t *testing.T) {
	results := []builtin.Result{{}, {Outcome: builtin.Drop}, {}}

	r := resultOf(results, nil, 0, 1)

	assert.NoError(t, r.retryErr)
	assert.Equal(t, 1, r.dropped)
	assert.Zero(t, resultOf(make([]builtin.Result, 3), nil, 0, 0).retryErr)
}

// fileEvents is a batch of one record per file id, its body a map.
func fileEvents(ids ...string) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range ids {
		lrs.AppendEmpty().Body().SetEmptyMap().PutStr("file_id", id)
	}
	return ld
}
