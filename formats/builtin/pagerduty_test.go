package builtin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type pagerDutyPayload struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Timestamp     string         `json:"timestamp"`
		Component     string         `json:"component"`
		Group         string         `json:"group"`
		Class         string         `json:"class"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
}

func encodePagerDuty(t testing.TB, cfg PagerDutyConfig, events ...formats.Event) (Batch, []pagerDutyPayload) {
	t.Helper()
	batch, err := newPagerDuty(cfg).Encode(events)
	require.NoError(t, err)
	var out []pagerDutyPayload
	for _, r := range batch.Requests {
		require.Len(t, r.Events, 1, "one event per request")
		var p pagerDutyPayload
		require.NoError(t, json.Unmarshal(r.Body, &p), "%.300s", r.Body)
		require.Nil(t, judgePagerDuty(r.Body), "the service takes it")
		out = append(out, p)
	}
	return batch, out
}

var testPagerDutyConfig = PagerDutyConfig{RoutingKey: testPagerDutyKey}

func TestPagerDutySeedEvent(t *testing.T) {
	_, got := encodePagerDuty(t, testPagerDutyConfig, serviceEvent(t, seedData...))
	p := got[0]
	assert.Equal(t, testPagerDutyKey, p.RoutingKey)
	assert.Equal(t, "trigger", p.EventAction)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", p.DedupKey, "the event id: a retry adds to the same alert")
	assert.Equal(t, "file_shared_externally: file_id=abc123, file_name=sensitive.pdf, owner=user@example.com, shared_with=external@partner.com", p.Payload.Summary)
	assert.Equal(t, "sentyr", p.Payload.Source)
	assert.Equal(t, "warning", p.Payload.Severity)
	assert.Equal(t, "2025-10-29T12:00:00Z", p.Payload.Timestamp)
	assert.Equal(t, "file_shared_externally", p.Payload.Class, "the class defaults to the event type")
	assert.Equal(t, map[string]any{"file_id": "abc123", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com"}, p.Payload.CustomDetails)
}

func TestPagerDutySeveritiesAndMembers(t *testing.T) {
	cfg := testPagerDutyConfig
	cfg.Component, cfg.Group, cfg.Class = "drive", "prod", "dlp"
	cfg.ComponentAttribute = "service.name"
	for _, tt := range []struct{ severity, want string }{
		{formats.SeverityInfo, "info"}, {formats.SeverityWarning, "warning"}, {formats.SeverityError, "error"}, {formats.SeverityCritical, "critical"}, {"bogus", "info"},
	} {
		ev := serviceEvent(t, "k", "v")
		ev.Severity = tt.severity
		ev.Resource.PutStr("service.name", "scanner")
		ev.Resource.PutStr(attrHostName, "host-7")
		_, got := encodePagerDuty(t, cfg, ev)
		assert.Equal(t, tt.want, got[0].Payload.Severity)
		assert.Equal(t, "scanner", got[0].Payload.Component, "the attribute wins over the setting")
		assert.Equal(t, "prod", got[0].Payload.Group)
		assert.Equal(t, "dlp", got[0].Payload.Class)
		assert.Equal(t, "host-7", got[0].Payload.Source, "the host is the affected system")
	}
}

// Hostile content: the summary is one line of at most 1,024 characters
// ending in the marker, custom_details keeps the event within 512 KB, and
// the work stays linear.
func TestPagerDutyKeepsItsLimits(t *testing.T) {
	big := strings.Repeat("é", 100<<10)
	ev := serviceEvent(t, "a", "line1\nline2\r<!channel>", "b", big, "c", big, "d", big, "e", big, "f", big, "g", big)
	batch, got := encodePagerDuty(t, testPagerDutyConfig, ev)
	p := got[0]
	assert.Equal(t, pagerDutyMaxSummaryChars, utf8.RuneCountInString(p.Payload.Summary))
	assert.True(t, strings.HasSuffix(p.Payload.Summary, cutMarker))
	assert.Contains(t, p.Payload.Summary, "a=line1 line2 <!channel>", "one line")
	assert.LessOrEqual(t, len(batch.Requests[0].Body), pagerDutyMaxEventBytes)
	assert.Contains(t, p.Payload.CustomDetails["_truncated"], "PagerDuty's 512 KB")
	assert.Equal(t, big, p.Payload.CustomDetails["b"], "fields are kept whole in order while they fit")
}

// An event whose attributes alone pass the limit is refused with its
// reason, and the others of the batch are sent.
func TestPagerDutyRejectsAnEventOverItsLimit(t *testing.T) {
	cfg := testPagerDutyConfig
	cfg.GroupAttribute = "team"
	huge := serviceEvent(t, "k", "v")
	huge.Attributes.PutStr("team", strings.Repeat("t", pagerDutyMaxEventBytes))
	batch, got := encodePagerDuty(t, cfg, serviceEvent(t, "k", "v"), huge, serviceEvent(t, "k", "w"))
	require.Len(t, got, 2)
	assert.Equal(t, []int{0}, batch.Requests[0].Events)
	assert.Equal(t, []int{2}, batch.Requests[1].Events)
	require.Len(t, batch.Rejected, 1)
	assert.Equal(t, 1, batch.Rejected[0].Index)
	assert.ErrorContains(t, batch.Rejected[0].Err, "over the 524288 bytes PagerDuty takes")
}

func TestPagerDutyAnswers(t *testing.T) {
	req := &Request{Events: []int{0}}
	assert.Nil(t, readPagerDutyAnswer(req, 202, []byte(`{"status":"success","message":"Event processed","dedup_key":"x"}`)), "202: delivered by its status")
	assert.Nil(t, readPagerDutyAnswer(req, 429, nil), "429: retried by its status, after its Retry-After")
	var errs []string
	for i := range 12 {
		errs = append(errs, fmt.Sprintf("error %d", i))
	}
	body, _ := json.Marshal(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
	got := readPagerDutyAnswer(req, 400, body)
	require.Len(t, got, 1)
	assert.Equal(t, Drop, got[0].Outcome)
	assert.Equal(t, "PagerDuty refused the event (Event object is invalid): error 0; error 1; error 2; error 3; error 4; and 7 more", got[0].Reason)
}

func TestPagerDutyCheckWantsARoutingKey(t *testing.T) {
	b, _ := LookupBuiltin("pagerduty")
	assert.ErrorContains(t, b.Check(&Settings{}), "pagerduty::routing_key: not set")
	assert.NoError(t, b.Check(&Settings{Sections: Sections{PagerDuty: testPagerDutyConfig}}))
}

// The stand-in refuses what the Events API refuses.
func TestPagerDutyServiceRefuses(t *testing.T) {
	ok := pagerDutyService.Sample
	assert.Nil(t, judgePagerDuty([]byte(ok)))
	for name, body := range map[string]string{
		"no routing key":    strings.Replace(ok, `"routing_key":"`+testPagerDutyKey+`",`, "", 1),
		"another key":       strings.Replace(ok, testPagerDutyKey, "R0000000000000000000000000000000", 1),
		"a long summary":    strings.Replace(ok, `"summary":"s"`, `"summary":"`+strings.Repeat("s", 1025)+`"`, 1),
		"no source":         strings.Replace(ok, `"source":"h",`, "", 1),
		"another severity":  strings.Replace(ok, `"severity":"info"`, `"severity":"high"`, 1),
		"another action":    strings.Replace(ok, `"trigger"`, `"page"`, 1),
		"a long dedup key":  strings.Replace(ok, `"k1"`, `"`+strings.Repeat("k", 256)+`"`, 1),
		"over its 512 KB":   strings.Replace(ok, `"source":"h"`, `"source":"`+strings.Repeat("h", pagerDutyMaxEventBytes)+`"`, 1),
		"not even an event": `[1]`,
	} {
		a := judgePagerDuty([]byte(body))
		if assert.NotNil(t, a, name) {
			assert.Contains(t, []int{400, 413}, a.Status, name)
		}
	}
}

func TestThresholdBelow(t *testing.T) {
	assert.False(t, Threshold{}.Below(formats.SeverityInfo), "no threshold sends everything")
	crit := Threshold{MinSeverity: formats.SeverityCritical}
	for _, s := range []string{formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError} {
		assert.True(t, crit.Below(s), s)
	}
	assert.False(t, crit.Below(formats.SeverityCritical))
	warn := Threshold{MinSeverity: formats.SeverityWarning}
	assert.True(t, warn.Below(formats.SeverityInfo))
	assert.False(t, warn.Below(formats.SeverityError))
	assert.NoError(t, warn.Check())
	assert.ErrorContains(t, Threshold{MinSeverity: "high"}.Check(), `min_severity: "high" is not a severity; write info, warning, error or critical`)
}

// min_severity is read with the formats' settings, as collector YAML gives
// it, and leaves out what is below it: of the guide's three events, a
// threshold of critical keeps the critical one.
func TestSettingsReadMinSeverity(t *testing.T) {
	b, _ := LookupBuiltin("json")
	s, err := settingsOf(b, map[string]any{"min_severity": "critical"})
	require.NoError(t, err)
	require.NoError(t, s.Threshold.Check())
	var kept []string
	for _, severity := range []string{formats.SeverityWarning, formats.SeverityWarning, formats.SeverityCritical} {
		if !s.Below(severity) {
			kept = append(kept, severity)
		}
	}
	assert.Equal(t, []string{formats.SeverityCritical}, kept)
}
