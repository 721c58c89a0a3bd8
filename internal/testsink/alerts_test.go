package testsink

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
)

// alertEvent is an event of the given id, as the mapping makes one.
func alertEvent(id string) formats.Event {
	v := pcommon.NewValueStr("abc123")
	return formats.Event{
		ID: id, Type: "file_shared_externally", Severity: formats.SeverityCritical,
		Timestamp: time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC), Source: "sentyr",
		Data: []formats.Field{{Key: "file_id", Value: v}},
	}
}

// encodeFor encodes events with the table settings of b's stand-in s.
func encodeFor(t *testing.T, b builtin.Builtin, s *Sink, events ...formats.Event) builtin.Batch {
	t.Helper()
	settings := &builtin.Settings{Endpoint: s.Endpoint(), Source: "sentyr"}
	require.NoError(t, confmap.NewFromStringMap(s.Settings()).Unmarshal(settings, confmap.WithIgnoreUnused()))
	enc, err := b.New(settings)
	require.NoError(t, err)
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	return batch
}

func post(ctx context.Context, t *testing.T, url string, body []byte) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// A PagerDuty event that the service processed but whose answer never
// came is sent again by the exporter, encoded again from the same record:
// the stand-in holds one alert, as PagerDuty merges events by dedup_key.
func TestPagerDutyRetryAfterATimeoutIsOneAlert(t *testing.T) {
	b, _ := builtin.LookupBuiltin("pagerduty")
	s := New(t, b)
	release := make(chan struct{})
	s.Answer(func(w http.ResponseWriter, r *Request) {
		if r.N == 0 {
			<-release // processed, the answer held until the client gave up
		}
		Write(w, b.Service.Accept(r.Events))
	})
	ctx, cancel := context.WithCancel(context.Background())
	arrived := s.Arrived()
	go func() { <-arrived; cancel() }()
	_, err := post(ctx, t, s.Endpoint(), encodeFor(t, b, s, alertEvent("0123456789abcdef0123456789abcdef")).Requests[0].Body)
	require.Error(t, err, "the first answer never came")
	close(release)

	status, err := post(context.Background(), t, s.Endpoint(), encodeFor(t, b, s, alertEvent("0123456789abcdef0123456789abcdef")).Requests[0].Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusAccepted, status)
	s.Wait(t, 2)
	assert.Len(t, s.Taken(), 2, "both requests reached the service")
	assert.Equal(t, 1, s.Alerts(), "one incident")

	status, err = post(context.Background(), t, s.Endpoint(), encodeFor(t, b, s, alertEvent("fedcba9876543210fedcba9876543210")).Requests[0].Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusAccepted, status)
	assert.Equal(t, 2, s.Alerts(), "another event is another incident")
}

// The PagerDuty stand-in answers what the service answers to an event
// without a routing key or with a summary over its limit.
func TestPagerDutyStandInRefuses(t *testing.T) {
	s := NewFormat(t, "pagerduty")
	status, err := post(context.Background(), t, s.Endpoint(), []byte(`{"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, status)
	require.Len(t, s.Requests(), 1)
	assert.Contains(t, s.Requests()[0].Refused, "'routing_key' is missing")
	assert.Empty(t, s.Taken())
}

// The Slack stand-in takes a message a second by the clock its test sets,
// and answers a faster one 429 with Retry-After, as Slack does.
func TestSlackStandInJudgesItsPace(t *testing.T) {
	b, _ := builtin.LookupBuiltin("slack")
	s := New(t, b)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Pace(func() time.Time { return now })
	sample := []byte(b.Service.Sample)
	statuses := func(n int) (out []int) {
		for range n {
			status, err := post(context.Background(), t, s.Endpoint(), sample)
			require.NoError(t, err)
			out = append(out, status)
		}
		return out
	}
	assert.Equal(t, []int{200, 429, 429}, statuses(3), "three messages within a second")
	resp, err := http.Post(s.Endpoint(), "application/json", bytes.NewReader(sample))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	now = now.Add(999 * time.Millisecond)
	assert.Equal(t, []int{429}, statuses(1))
	now = now.Add(time.Millisecond)
	assert.Equal(t, []int{200, 429}, statuses(2), "a second after the last message taken")
	assert.Len(t, s.Taken(), 2)
}

// The Slack stand-in refuses a message whose text would reach the channel
// as a mention or a link.
func TestSlackStandInRefusesMarkup(t *testing.T) {
	b, _ := builtin.LookupBuiltin("slack")
	s := New(t, b)
	for _, body := range []string{`{"text":"<!channel> hi"}`, `{"text":"t","blocks":[{"type":"section","text":{"type":"plain_text","text":"<https://evil|click>"}}]}`} {
		status, err := post(context.Background(), t, s.Endpoint(), []byte(body))
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, status, body)
	}
	// What the encoder makes of the same content is taken.
	ev := alertEvent("0123456789abcdef0123456789abcdef")
	ev.Type = "<!channel>"
	ev.Data = append(ev.Data, formats.Field{Key: "link", Value: pcommon.NewValueStr("<https://evil|click> *bold*")})
	status, err := post(context.Background(), t, s.Endpoint(), encodeFor(t, b, s, ev).Requests[0].Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, s.Taken(), 1)
}
