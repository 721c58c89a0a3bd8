package builtin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHECTimeHasMillisecondsAtMost: HEC's time is <sec>.<ms> in Splunk's
// documentation, and Fluent Bit's HEC input keeps milliseconds only. Finer
// digits are cut, never rounded up, for every event of a batch.
func TestHECTimeHasMillisecondsAtMost(t *testing.T) {
	stamps := []time.Duration{101 * time.Nanosecond, 123456789 * time.Nanosecond, time.Second - 1, 500 * time.Millisecond, 0}
	events := make([]formats.Event, len(stamps))
	for i, d := range stamps {
		events[i] = serviceEvent(t, "file_id", "abc123")
		events[i].Timestamp = serviceSeedTime.Add(d)
	}
	batch, err := newSplunkHEC(SplunkHECConfig{}).Encode(events)
	require.NoError(t, err)
	require.Len(t, batch.Requests, 1)
	got := regexp.MustCompile(`"time":([0-9.]+)`).FindAllStringSubmatch(string(batch.Requests[0].Body), -1)
	var times []string
	for _, m := range got {
		times = append(times, m[1])
	}
	assert.Equal(t, []string{"1761739200", "1761739200.123", "1761739200.999", "1761739200.5", "1761739200"}, times)
}

// appendEpoch's ten-digit path writes what strconv writes, at its bounds
// and anywhere between, with and without milliseconds.
func TestAppendEpochTenDigitsAsStrconv(t *testing.T) {
	secs := []int64{1e9 - 1, 1e9, 1e9 + 1, 1761739200, 9999999999, 1e10, 1e10 + 1}
	for i := range int64(2000) {
		secs = append(secs, 1e9+i*4_499_983)
	}
	for _, sec := range secs {
		for _, ms := range []int64{0, 1, 10, 100, 120, 999} {
			want := strconv.FormatInt(sec, 10)
			if ms > 0 {
				want += strings.TrimRight(fmt.Sprintf(".%03d", ms), "0")
			}
			got := string(appendEpoch(nil, time.Unix(sec, ms*1e6+999)))
			if got != want {
				t.Fatalf("appendEpoch(%d s %d ms) = %s, want %s", sec, ms, got, want)
			}
		}
	}
}
