package hecsink

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	token       = "11111111-2222-3333-4444-555555555555"
	guidChannel = "0e8b4d8c-5b7a-4f0e-9a57-1c9f2f8f7a10"
	event       = `{"time":1,"event":{"a":1},"fields":{"event_id":"e1"}}`
)

func post(t *testing.T, client *http.Client, url, ch, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Splunk "+token)
	if ch != "" {
		req.Header.Set(ChannelHeader, ch)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// The stand-in refuses what Splunk refuses, with Splunk's answers, and
// acknowledges only what it indexed.
func TestStandInRefusesAsSplunk(t *testing.T) {
	s := New(t, token, true)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	ack := s.URL + AckPath + "?channel=" + guidChannel

	status, body := post(t, client, s.Endpoint(), "", event)
	assert.Equal(t, 400, status)
	assert.JSONEq(t, `{"text":"Data channel is missing","code":10}`, body)
	status, body = post(t, client, s.Endpoint(), "not-a-guid", event)
	assert.Equal(t, 400, status)
	assert.JSONEq(t, `{"text":"Invalid data channel","code":11}`, body)
	status, body = post(t, client, ack, "", `{"acks":[0]}`)
	assert.Equal(t, 400, status, "a query of a channel never used")
	assert.JSONEq(t, `{"text":"Invalid data channel","code":11}`, body)

	s.SetPolicy(Policy{QueriesBeforeIndex: 1})
	status, body = post(t, client, s.Endpoint(), guidChannel, event+event)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"text":"Success","code":0,"ackId":0}`, body)
	for _, bad := range []string{`{"acks":[1]}`, `{"acks":[]}`, `{"ids":[0]}`, `[0]`, `{"acks":["0"]}`, `{"acks":[0],"x":1}`} {
		status, _ = post(t, client, ack, "", bad)
		assert.Equal(t, 400, status, bad)
	}
	status, body = post(t, client, ack, "", `{"acks":[0]}`)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"acks":{"0":false}}`, body, "late: false until it indexes")
	status, body = post(t, client, ack, "", `{"acks":[0]}`)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"acks":{"0":true}}`, body)
	assert.Equal(t, map[string]int{"e1": 2}, s.Indexed())

	s.Forget(false)
	status, _ = post(t, client, ack, "", `{"acks":[0]}`)
	assert.Equal(t, 400, status, "forgotten")
	assert.Len(t, s.Refused(), 10)

	status, body = post(t, client, s.URL+HealthPath, "", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"text":"HEC is healthy","code":17}`, body)
	s.SetHealth(503)
	status, _ = post(t, client, s.URL+HealthPath, "", "")
	assert.Equal(t, 503, status)
}

// A token without acknowledgement takes requests without an ackId, and
// refuses ack queries with code 14.
func TestStandInTokenWithoutAck(t *testing.T) {
	s := New(t, token, false)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	status, body := post(t, client, s.Endpoint(), "", event)
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `{"text":"Success","code":0}`, body)
	assert.Equal(t, map[string]int{"e1": 1}, s.Indexed(), "indexed at once")
	status, body = post(t, client, s.URL+AckPath+"?channel="+guidChannel, "", `{"acks":[0]}`)
	assert.Equal(t, 400, status)
	assert.JSONEq(t, `{"text":"ACK is disabled","code":14}`, body)
}

func TestHECServerIsStrict(t *testing.T) {
	s := New(t, token, false)
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"valid", `{"time":1761739200.5,"event":{"a":1}}{"event":"text"}`, 200, `"code":0`},
		{"an array is not HEC", `[{"event":{"a":1}}]`, 400, `"code":6,"invalid-event-number":0`},
		{"no event", `{"event":{"a":1}}{"time":1}`, 400, `"code":12,"invalid-event-number":1`},
		{"blank event", `{"event":""}`, 400, `"code":13,"invalid-event-number":0`},
		{"trailing garbage", `{"event":{"a":1}}{"event":`, 400, `"code":6,"invalid-event-number":1`},
		{"time not a number", `{"time":"noon","event":{"a":1}}`, 400, `"code":6`},
		{"host not a string", `{"host":1,"event":{"a":1}}`, 400, `"code":6`},
		{"empty", ``, 400, `"code":5`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := testsink.Post(t, s.Endpoint(), http.Header{"Authorization": {"Splunk " + token}}, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, body, tt.want)
		})
	}
}
