package builtin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// HECAckConfig is splunk_hec::ack, Splunk's indexer acknowledgement: every
// request carries the exporter's channel, Splunk answers it with an ackId,
// and the events of the request count as delivered only once a query of
// that id answers true. A zero field takes its default.
type HECAckConfig struct {
	// Enabled turns acknowledgement on; the token must have it on too
	// (useACK).
	Enabled bool `mapstructure:"enabled"`
	// PollInterval is how often the exporter asks Splunk which requests
	// are indexed: one query per interval for every request waiting
	// (0: 10s).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// Timeout is how long a request waits for its acknowledgement before
	// its events are sent again, with the same event ids (0: 5m).
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxPending bounds the requests sent and not yet acknowledged; a send
	// waits for room rather than go beyond it (0: 1000).
	MaxPending int `mapstructure:"max_pending"`
	// MaxResends is how many times the events of a request that is not
	// acknowledged are sent again before they are dead-lettered as
	// ack_timeout (0: 3).
	MaxResends int `mapstructure:"max_resends"`
	_          struct{}
}

// The defaults of splunk_hec::ack: the query interval and wait are what
// Splunk suggests to clients of indexer acknowledgement.
const (
	DefaultHECAckPollInterval = 10 * time.Second
	DefaultHECAckTimeout      = 5 * time.Minute
	DefaultHECAckMaxPending   = 1000
	DefaultHECAckMaxResends   = 3
)

// The bounds checked at load: max_pending within what Splunk keeps
// unanswered per channel (limits.conf); a query more often than the
// shortest interval costs the indexers more than it tells.
const (
	minHECAckPollInterval = time.Second
	maxHECAckMaxPending   = 1_000_000
	maxHECAckMaxResends   = 100
)

// WithDefaults is c with its zero fields at their defaults.
func (c HECAckConfig) WithDefaults() HECAckConfig {
	if c.PollInterval == 0 {
		c.PollInterval = DefaultHECAckPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = max(DefaultHECAckTimeout, c.PollInterval)
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultHECAckMaxPending
	}
	if c.MaxResends == 0 {
		c.MaxResends = DefaultHECAckMaxResends
	}
	return c
}

// check checks splunk_hec::ack against the endpoint its queries derive from.
func (c HECAckConfig) check(endpoint string) error {
	if c.PollInterval != 0 && c.PollInterval < minHECAckPollInterval {
		return fmt.Errorf("splunk_hec::ack::poll_interval: %s is too short; write at least %s (each interval sends one query for every request waiting), or leave it out for %s",
			c.PollInterval, minHECAckPollInterval, DefaultHECAckPollInterval)
	}
	d := c.WithDefaults()
	if c.Timeout < 0 || d.Timeout < d.PollInterval {
		return fmt.Errorf("splunk_hec::ack::timeout: %s is shorter than poll_interval %s, so no query would be asked before the wait ends; write at least %s, or leave it out for %s",
			c.Timeout, d.PollInterval, d.PollInterval, DefaultHECAckTimeout)
	}
	if c.MaxPending < 0 || c.MaxPending > maxHECAckMaxPending {
		return fmt.Errorf("splunk_hec::ack::max_pending: %d is out of range; write 1 to %d requests, or leave it out for %d",
			c.MaxPending, maxHECAckMaxPending, DefaultHECAckMaxPending)
	}
	if c.MaxResends < 0 || c.MaxResends > maxHECAckMaxResends {
		return fmt.Errorf("splunk_hec::ack::max_resends: %d is out of range; write 1 to %d, or leave it out for %d",
			c.MaxResends, maxHECAckMaxResends, DefaultHECAckMaxResends)
	}
	if !c.Enabled {
		return nil
	}
	if _, err := HECAckURL(endpoint, "0"); err != nil {
		return fmt.Errorf("splunk_hec::ack::enabled: %w", err)
	}
	if u, err := url.Parse(endpoint); err == nil && u.Query().Has("channel") {
		return errors.New("splunk_hec::ack::enabled: the endpoint names a channel (?channel=); take it out: with acknowledgement the exporter sends its own channel")
	}
	return nil
}

// hecServicePath is the path of HEC's services in endpoint's path, which
// ends with it or goes on with /event, /raw or a version.
const hecServicePath = "/services/collector"

// HECAckURL is where the acknowledgement queries of channel go: the
// endpoint's /services/collector with /ack, behind the same path prefix.
func HECAckURL(endpoint, channel string) (string, error) {
	u, err := hecServiceURL(endpoint, "/ack")
	if err != nil {
		return "", err
	}
	u.RawQuery = url.Values{"channel": {channel}}.Encode()
	return u.String(), nil
}

// HECHealthURL is HEC's health endpoint next to endpoint's.
func HECHealthURL(endpoint string) (string, error) {
	u, err := hecServiceURL(endpoint, "/health")
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// hecServiceURL is endpoint with the path of the HEC service named by
// suffix, without the endpoint's query or user information.
func hecServiceURL(endpoint, suffix string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the endpoint %q is not a URL with a host", redactedURL(endpoint))
	}
	i := strings.Index(u.Path, hecServicePath)
	if i < 0 {
		return nil, fmt.Errorf("the endpoint's path %q has no %s: acknowledgement queries go to %s/ack next to the event endpoint; point endpoint at https://<splunk>:8088%s/event",
			u.Path, hecServicePath, hecServicePath, hecServicePath)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path[:i+len(hecServicePath)] + suffix}, nil
}

// redactedURL is endpoint without user information, or a placeholder when
// it does not parse.
func redactedURL(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// HECAnswer is what HEC's body says of an answer to a request of events.
type HECAnswer struct {
	// Code is HEC's code, -1 when the body is not HEC's answer.
	Code int
	// AckID is the request's acknowledgement id when HasAckID.
	AckID    uint64
	HasAckID bool
}

// ReadHECAnswer reads HEC's code and ackId from an answer's body, which
// the caller has bounded (AnswerBytes).
func ReadHECAnswer(body []byte) HECAnswer {
	var r struct {
		Code  *int    `json:"code"`
		AckID *uint64 `json:"ackId"`
	}
	if json.Unmarshal(body, &r) != nil || r.Code == nil {
		return HECAnswer{Code: -1}
	}
	a := HECAnswer{Code: *r.Code}
	if r.AckID != nil {
		a.AckID, a.HasAckID = *r.AckID, true
	}
	return a
}

// Success says HEC took the request (code 0).
func (a HECAnswer) Success() bool { return a.Code == hecCodeSuccess }

// ChannelUnknown says the server does not know the channel (code 11):
// what was waiting for acknowledgement on it will never be answered.
func (a HECAnswer) ChannelUnknown() bool { return a.Code == hecCodeInvalidChannel }

// AckDisabled says the token has acknowledgement off (code 14).
func (a HECAnswer) AckDisabled() bool { return a.Code == hecCodeAckDisabled }

// AtCapacity says HEC refused for want of room (codes 9, 18-20, 24, 25):
// the request is sent again after a back-off, as after a 503.
func (a HECAnswer) AtCapacity() bool {
	switch c := a.Code; {
	case c == hecCodeBusy, c > hecCodeHealthy && c <= hecCodeUnhealthyLast:
		return true
	case c == hecCodeQueueAtCapacity, c == hecCodeAckAtCapacity:
		return true
	}
	return false
}
