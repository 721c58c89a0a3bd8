package builtin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

var serviceSeedTime = time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)

// serviceEvent is the guide's example event with the given data, in the
// order given (keys, values alternating).
func serviceEvent(t testing.TB, kv ...any) formats.Event {
	t.Helper()
	ev := formats.Event{
		ID:         "0123456789abcdef0123456789abcdef",
		Type:       "file_shared_externally",
		Severity:   formats.SeverityWarning,
		Timestamp:  serviceSeedTime,
		Source:     "sentyr",
		Body:       pcommon.NewValueEmpty(),
		Attributes: pcommon.NewMap(),
		Resource:   pcommon.NewMap(),
	}
	// The data are the record's attributes, as the mapping makes them of
	// a record with no body.
	for i := 0; i < len(kv); i += 2 {
		v := pcommon.NewValueEmpty()
		require.NoError(t, v.FromRaw(kv[i+1]))
		ev.Data = append(ev.Data, formats.Field{Key: kv[i].(string), Value: v})
		v.CopyTo(ev.Attributes.PutEmpty(kv[i].(string)))
	}
	return ev
}

// withAttribute sets a record attribute of ev, which the mapping also
// makes a data member.
func withAttribute(ev *formats.Event, key, value string) {
	ev.Attributes.PutStr(key, value)
	v, _ := ev.Attributes.Get(key)
	ev.Data = append(ev.Data, formats.Field{Key: key, Value: v})
}

var seedData = []any{"file_id", "abc123", "file_name", "sensitive.pdf", "owner", "user@example.com", "shared_with", "external@partner.com"}

// splitHEC reads a body as HEC does: JSON objects one after another.
func splitHEC(t testing.TB, body []byte) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	var out []map[string]any
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err, "the body is a sequence of JSON objects")
		out = append(out, obj)
	}
}

func TestAppendEpoch(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{serviceSeedTime, "1761739200"},
		{serviceSeedTime.Add(123 * time.Millisecond), "1761739200.123"},
		{serviceSeedTime.Add(500 * time.Millisecond), "1761739200.5"},
		// Milliseconds at most, cut rather than rounded: never later than the event.
		{serviceSeedTime.Add(time.Nanosecond), "1761739200"},
		{serviceSeedTime.Add(101 * time.Nanosecond), "1761739200"},
		{serviceSeedTime.Add(123456 * time.Microsecond), "1761739200.123"},
		{serviceSeedTime.Add(time.Second - time.Nanosecond), "1761739200.999"},
		{time.Unix(0, 0), "0"},
		{time.Unix(-5, 5e8), "-4.5"},
		{time.Unix(-1, 5e8), "-0.5"},
		{time.Unix(-5, 5e8-1), "-4.501"},
	} {
		got := string(appendEpoch(nil, tt.t))
		assert.Equal(t, tt.want, got, "%s", tt.t)
		assert.True(t, json.Valid([]byte(got)))
	}
}

func TestHECEnvelope(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  SplunkHECConfig
		ev   formats.Event
		want map[string]any
	}{
		{
			name: "seed defaults",
			ev:   serviceEvent(t, seedData...),
			want: map[string]any{
				"time": 1761739200.0, "host": "sentyr", "source": "sentyr", "sourcetype": "sentyr:file_shared_externally",
				"event": map[string]any{
					"event_type": "file_shared_externally", "severity": "warning", "timestamp": "2025-10-29T12:00:00Z",
					"file_id": "abc123", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com",
				},
			},
		},
		{
			name: "overrides",
			cfg:  SplunkHECConfig{Index: "security", Host: "collector-1", Sourcetype: "sentyr:event"},
			ev:   serviceEvent(t, "file_id", "abc123"),
			want: map[string]any{
				"time": 1761739200.0, "host": "collector-1", "source": "sentyr", "sourcetype": "sentyr:event", "index": "security",
				"event": map[string]any{
					"event_type": "file_shared_externally", "severity": "warning", "timestamp": "2025-10-29T12:00:00Z", "file_id": "abc123",
				},
			},
		},
		{
			name: "data cannot override the envelope",
			ev:   serviceEvent(t, "timestamp", "yesterday", "severity", "low"),
			want: map[string]any{
				"time": 1761739200.0, "host": "sentyr", "source": "sentyr", "sourcetype": "sentyr:file_shared_externally",
				"event": map[string]any{
					"event_type": "file_shared_externally", "severity": "warning", "timestamp": "2025-10-29T12:00:00Z",
					"data.timestamp": "yesterday", "data.severity": "low",
				},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			batch, err := newSplunkHEC(tt.cfg).Encode([]formats.Event{tt.ev})
			require.NoError(t, err)
			require.Len(t, batch.Requests, 1)
			objs := splitHEC(t, batch.Requests[0].Body)
			require.Len(t, objs, 1)
			assert.Equal(t, tt.want, objs[0])
		})
	}
}

func TestHECKeepsSeedKeyOrder(t *testing.T) {
	ev := serviceEvent(t, seedData...)
	body := string(newSplunkHEC(SplunkHECConfig{}).AppendEvent(nil, &ev))
	order := []string{`"time"`, `"host"`, `"source"`, `"sourcetype"`, `"event"`, `"event_type"`, `"severity"`, `"timestamp"`, `"file_id"`, `"shared_with"`}
	last := -1
	for _, k := range order {
		i := strings.Index(body, k)
		require.Greater(t, i, last, "%s comes after the keys before it in %s", k, body)
		last = i
	}
}

func TestHECHostileSourceAndTypeStayValid(t *testing.T) {
	ev := serviceEvent(t, "k", "v")
	ev.Source = "a\"b\\c\n"
	ev.Type = "x\"}\u2028y"
	body := newSplunkHEC(SplunkHECConfig{}).AppendEvent(nil, &ev)
	var obj map[string]any
	require.NoError(t, json.Unmarshal(body, &obj), "%s", body)
	assert.Equal(t, ev.Source+":"+ev.Type, obj["sourcetype"])
	assert.Equal(t, ev.Source, obj["host"])
}

func TestHECSplitsBatchesWithinTheLimit(t *testing.T) {
	const limit = 4096
	enc := newSplunkHEC(SplunkHECConfig{MaxRequestBytes: limit})
	events := make([]formats.Event, 500)
	for i := range events {
		events[i] = serviceEvent(t, "n", i, "pad", strings.Repeat("x", i%300))
	}
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	assert.False(t, batch.Concurrent, "HEC requests go one after the other, in order")
	require.Greater(t, len(batch.Requests), 10)
	next := 0
	for _, r := range batch.Requests {
		assert.LessOrEqual(t, len(r.Body), limit)
		objs := splitHEC(t, r.Body)
		require.Len(t, objs, len(r.Events))
		for i, obj := range objs {
			require.Equal(t, next, r.Events[i], "events in order, none lost or repeated")
			assert.EqualValues(t, next, obj["event"].(map[string]any)["n"])
			next++
		}
	}
	assert.Equal(t, len(events), next)
}

func TestHECSendsAnEventLargerThanTheLimitAlone(t *testing.T) {
	enc := newSplunkHEC(SplunkHECConfig{MaxRequestBytes: 1024})
	events := []formats.Event{serviceEvent(t, "n", 0), serviceEvent(t, "n", 1, "big", strings.Repeat("x", 2000)), serviceEvent(t, "n", 2)}
	batch, err := enc.Encode(events)
	require.NoError(t, err)
	require.Len(t, batch.Requests, 3)
	for i, r := range batch.Requests {
		assert.Equal(t, []int{i}, r.Events)
	}
	assert.Greater(t, len(batch.Requests[1].Body), 1024)
}

func TestHECToken(t *testing.T) {
	h := http.Header{}
	newSplunkHEC(SplunkHECConfig{Token: "11111111-2222-3333-4444-555555555555"}).SetHeaders(h)
	assert.Equal(t, "Splunk 11111111-2222-3333-4444-555555555555", h.Get("Authorization"))
	h = http.Header{}
	newSplunkHEC(SplunkHECConfig{}).SetHeaders(h)
	assert.Empty(t, h.Get("Authorization"), "no token: the user's headers or auth extension decide")
}

func TestHECReadResponse(t *testing.T) {
	const token = "11111111-2222-3333-4444-555555555555"
	enc := newSplunkHEC(SplunkHECConfig{Token: token})
	req := &Request{Events: []int{10, 11, 12, 13, 14}}
	D, R, X := Delivered, Retry, Drop
	for _, tt := range []struct {
		name   string
		status int
		body   string
		want   []Outcome // nil: the status decides
		reason string
	}{
		{"success", 200, `{"text":"Success","code":0}`, nil, ""},
		{"not HEC's answer", 502, `<html>bad gateway</html>`, nil, ""},
		{"too large: split", 413, `{"text":"Content too large","code":6}`, nil, ""},
		{"busy", 503, `{"text":"Server is busy","code":9}`, []Outcome{R, R, R, R, R}, "code 9"},
		{"internal error", 500, `{"text":"Internal server error","code":8}`, []Outcome{R, R, R, R, R}, "code 8"},
		{"queues full", 503, `{"text":"HEC is unhealthy, queues are full","code":18}`, []Outcome{R, R, R, R, R}, "queues are full"},
		{"invalid token", 403, `{"text":"Invalid token","code":4}`, []Outcome{X, X, X, X, X}, "refused the token"},
		{"token disabled", 403, `{"text":"Token disabled","code":1}`, []Outcome{X, X, X, X, X}, "refused the token"},
		{"token required", 401, `{"text":"Token is required","code":2}`, []Outcome{X, X, X, X, X}, "refused the token"},
		{"invalid event 2", 400, `{"text":"Invalid data format","code":6,"invalid-event-number":2}`, []Outcome{D, D, X, R, R}, "code 6"},
		{"invalid first event", 400, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`, []Outcome{X, R, R, R, R}, "code 6"},
		{"event field required", 400, `{"text":"Event field is required","code":12,"invalid-event-number":4}`, []Outcome{D, D, D, D, X}, "code 12"},
		{"incorrect index", 400, `{"text":"Incorrect index","code":7,"invalid-event-number":1}`, []Outcome{D, X, X, X, X}, "splunk_hec::index"},
		{"event number out of range", 400, `{"text":"Invalid data format","code":6,"invalid-event-number":9}`, []Outcome{X, X, X, X, X}, "code 6"},
		{"ack channel", 400, `{"text":"Data channel is missing","code":10}`, []Outcome{X, X, X, X, X}, "indexer acknowledgement"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := enc.ReadResponse(req, tt.status, []byte(tt.body))
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			require.Len(t, got, len(tt.want))
			checked := false
			for i, r := range got {
				assert.Equal(t, tt.want[i], r.Outcome, "event %d", i)
				assert.NotContains(t, r.Reason, token)
				if r.Outcome != Delivered && !checked {
					assert.Contains(t, r.Reason, tt.reason, "the first failed event says why")
					checked = true
				}
			}
		})
	}
}

func TestHECCheck(t *testing.T) {
	for _, tt := range []struct {
		cfg  SplunkHECConfig
		want string
	}{
		{SplunkHECConfig{}, ""},
		{SplunkHECConfig{MaxRequestBytes: 256 << 10}, ""},
		{SplunkHECConfig{MaxRequestBytes: 100}, "splunk_hec::max_request_bytes: 100 is too small; write at least 1024"},
		{SplunkHECConfig{MaxRequestBytes: -1}, "splunk_hec::max_request_bytes: -1 is too small"},
	} {
		err := tt.cfg.check("https://splunk.example.com:8088/services/collector/event")
		if tt.want == "" {
			assert.NoError(t, err)
			continue
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
}
