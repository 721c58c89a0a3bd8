package builtin

import (
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

const hecEventEndpoint = "https://splunk.example.com:8088/services/collector/event"

// splunk_hec::ack is read from the collector's YAML under the names a user
// writes, and a zero field takes its default.
func TestHECAckSettings(t *testing.T) {
	var s Settings
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint": hecEventEndpoint,
		"splunk_hec": map[string]any{"token": testHECToken, "ack": map[string]any{
			"enabled": true, "poll_interval": "2s", "timeout": "1m", "max_pending": 50, "max_resends": 5,
		}},
	}).Unmarshal(&s))
	want := HECAckConfig{Enabled: true, PollInterval: 2 * time.Second, Timeout: time.Minute, MaxPending: 50, MaxResends: 5}
	assert.Equal(t, want, s.SplunkHEC.Ack)
	b, _ := LookupBuiltin("splunk_hec")
	require.NoError(t, b.Check(&s))

	assert.Equal(t, HECAckConfig{Enabled: true, PollInterval: 10 * time.Second, Timeout: 5 * time.Minute, MaxPending: 1000, MaxResends: 3},
		HECAckConfig{Enabled: true}.WithDefaults())
	assert.Equal(t, 20*time.Minute, HECAckConfig{PollInterval: 20 * time.Minute}.WithDefaults().Timeout,
		"the default wait is never shorter than one interval")
}

// A wrong splunk_hec::ack fails at load with the field and the fix.
func TestHECAckCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		endpoint string
		cfg      HECAckConfig
		want     string
	}{
		{"defaults", hecEventEndpoint, HECAckConfig{Enabled: true}, ""},
		{"off: the endpoint does not matter", "https://proxy.example.com/hec", HECAckConfig{}, ""},
		{"behind a path prefix", "https://proxy.example.com/splunk/services/collector", HECAckConfig{Enabled: true}, ""},
		{"poll too often", hecEventEndpoint, HECAckConfig{Enabled: true, PollInterval: 10 * time.Millisecond},
			"splunk_hec::ack::poll_interval: 10ms is too short; write at least 1s"},
		{"wait shorter than an interval", hecEventEndpoint, HECAckConfig{Enabled: true, PollInterval: time.Minute, Timeout: 30 * time.Second},
			"splunk_hec::ack::timeout: 30s is shorter than poll_interval 1m0s"},
		{"wait shorter than the default interval", hecEventEndpoint, HECAckConfig{Enabled: true, Timeout: time.Second},
			"write at least 10s"},
		{"negative pending", hecEventEndpoint, HECAckConfig{Enabled: true, MaxPending: -1},
			"splunk_hec::ack::max_pending: -1 is out of range; write 1 to 1000000"},
		{"too many pending", hecEventEndpoint, HECAckConfig{Enabled: true, MaxPending: 2_000_000},
			"splunk_hec::ack::max_pending"},
		{"negative resends", hecEventEndpoint, HECAckConfig{Enabled: true, MaxResends: -2},
			"splunk_hec::ack::max_resends: -2 is out of range"},
		{"no HEC path", "https://proxy.example.com/hec", HECAckConfig{Enabled: true},
			`splunk_hec::ack::enabled: the endpoint's path "/hec" has no /services/collector`},
		{"a channel of its own", hecEventEndpoint + "?channel=0e8b4d8c-5b7a-4f0e-9a57-1c9f2f8f7a10", HECAckConfig{Enabled: true},
			"the endpoint names a channel (?channel=); take it out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SplunkHECConfig{Ack: tt.cfg}
			err := cfg.check(tt.endpoint)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestHECAckURLs(t *testing.T) {
	for endpoint, want := range map[string]string{
		"https://splunk.example.com:8088/services/collector/event":                    "https://splunk.example.com:8088/services/collector",
		"https://splunk.example.com:8088/services/collector":                          "https://splunk.example.com:8088/services/collector",
		"https://splunk.example.com:8088/services/collector/event/1.0?index=x":        "https://splunk.example.com:8088/services/collector",
		"https://user:secret@proxy.example.com/splunk/services/collector/event?foo=1": "https://proxy.example.com/splunk/services/collector",
	} {
		ack, err := HECAckURL(endpoint, "0E8B4D8C-5B7A-4F0E-9A57-1C9F2F8F7A10")
		require.NoError(t, err, endpoint)
		assert.Equal(t, want+"/ack?channel=0E8B4D8C-5B7A-4F0E-9A57-1C9F2F8F7A10", ack, "the endpoint's query and user information stay out")
		health, err := HECHealthURL(endpoint)
		require.NoError(t, err)
		assert.Equal(t, want+"/health", health)
	}
	_, err := HECAckURL("https://user:secret@proxy.example.com/hec", "c")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

func TestReadHECAnswer(t *testing.T) {
	for body, want := range map[string]HECAnswer{
		`{"text":"Success","code":0,"ackId":0}`:        {Code: 0, AckID: 0, HasAckID: true},
		`{"text":"Success","code":0,"ackId":77}`:       {Code: 0, AckID: 77, HasAckID: true},
		`{"text":"Success","code":0}`:                  {Code: 0},
		`{"text":"Invalid data channel","code":11}`:    {Code: 11},
		`{"text":"Success","code":0,"ackId":-1}`:       {Code: -1},
		`{"text":"Success","code":0,"ackId":"7"}`:      {Code: -1},
		`<html>502 bad gateway</html>`:                 {Code: -1},
		`{"text":"Server is busy","code":9}`:           {Code: 9},
		`{"text":"Data channel is missing","code":10}`: {Code: 10},
	} {
		assert.Equal(t, want, ReadHECAnswer([]byte(body)), body)
	}
	for code, capacity := range map[int]bool{9: true, 18: true, 19: true, 20: true, 24: true, 25: true, 0: false, 8: false, 11: false, 21: false, 23: false} {
		assert.Equal(t, capacity, HECAnswer{Code: code}.AtCapacity(), "code %d", code)
	}
	assert.True(t, HECAnswer{Code: 11}.ChannelUnknown())
	assert.True(t, HECAnswer{Code: 14}.AckDisabled())
	assert.True(t, HECAnswer{Code: 0}.Success())
}

// Codes 10, 11, 14, 24 and 25 are read as Splunk means them, each with the
// line the user sees.
func TestHECAckCodes(t *testing.T) {
	req := &Request{Events: []int{0, 1, 2}}
	R, X := Retry, Drop
	for _, tt := range []struct {
		name   string
		ack    bool
		status int
		body   string
		want   Outcome
		reason string
	}{
		{"channel missing, ack off", false, 400, `{"text":"Data channel is missing","code":10}`, X,
			"Splunk HEC code 10 (indexer acknowledgement is on for the token and splunk_hec::ack::enabled is false: set splunk_hec::ack::enabled: true, or turn acknowledgement off for the token): Data channel is missing"},
		{"invalid channel, ack off", false, 400, `{"text":"Invalid data channel","code":11}`, X,
			"indexer acknowledgement is on for the token and splunk_hec::ack::enabled is false"},
		{"ack disabled, ack off", false, 400, `{"text":"ACK is disabled","code":14}`, X,
			"take X-Splunk-Request-Channel out of headers"},
		{"channel missing, ack on", true, 400, `{"text":"Data channel is missing","code":10}`, X,
			"did not reach Splunk: a proxy between them may drop it"},
		{"channel forgotten, ack on", true, 400, `{"text":"Invalid data channel","code":11}`, R,
			"Splunk HEC code 11 (Splunk does not know the exporter's channel: the requests waiting for acknowledgement on it are sent again)"},
		{"ack disabled, ack on", true, 400, `{"text":"ACK is disabled","code":14}`, R,
			"Splunk HEC code 14 (indexer acknowledgement is off for the token and splunk_hec::ack::enabled is true: acknowledgement is turned off for this exporter until it restarts"},
		{"queue at capacity", false, 503, `{"text":"Queue at capacity","code":24}`, R,
			"Splunk HEC code 24 (Splunk is at capacity: sent again after a back-off, as after a 503): Queue at capacity"},
		{"ack at capacity", true, 503, `{"text":"Ack at capacity","code":25}`, R, "Splunk HEC code 25 (Splunk is at capacity"},
		{"capacity under a 400", true, 400, `{"text":"Queue at capacity","code":24}`, R, "code 24"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enc := newSplunkHEC(SplunkHECConfig{Token: testHECToken, Ack: HECAckConfig{Enabled: tt.ack}})
			got := enc.ReadResponse(req, tt.status, []byte(tt.body))
			require.Len(t, got, 3)
			for _, r := range got {
				assert.Equal(t, tt.want, r.Outcome)
				assert.Contains(t, r.Reason, tt.reason)
				assert.Equal(t, tt.want == Drop, r.WholeRequest)
			}
		})
	}
	// A code-0 answer with its ackId is a success: acknowledgement decides later.
	enc := newSplunkHEC(SplunkHECConfig{Ack: HECAckConfig{Enabled: true}})
	assert.Nil(t, enc.ReadResponse(req, 200, []byte(`{"text":"Success","code":0,"ackId":3}`)))
}

// With acknowledgement an event carries its id, which a resend keeps, as an
// indexed field apart from its data; without, the envelope is the guide's.
func TestHECAckEventID(t *testing.T) {
	ev := serviceEvent(t, append(seedData, "event_id", "from the data")...)
	on := newSplunkHEC(SplunkHECConfig{Ack: HECAckConfig{Enabled: true}})
	assert.False(t, on.Wire().WithoutIDs, "the encoder reads the ids")
	batch, err := on.Encode([]formats.Event{ev, ev})
	require.NoError(t, err)
	objs := splitHEC(t, batch.Requests[0].Body)
	require.Len(t, objs, 2)
	for _, obj := range objs {
		assert.Equal(t, map[string]any{"event_id": ev.ID}, obj["fields"])
		assert.Equal(t, "from the data", obj["event"].(map[string]any)["event_id"], "the data keep their own key")
	}

	off := newSplunkHEC(SplunkHECConfig{})
	assert.True(t, off.Wire().WithoutIDs)
	batch, err = off.Encode([]formats.Event{ev})
	require.NoError(t, err)
	assert.NotContains(t, splitHEC(t, batch.Requests[0].Body)[0], "fields")
}
