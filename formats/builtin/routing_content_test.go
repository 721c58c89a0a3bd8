package builtin

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// routingSettings are settings under which every built-in format that can
// route does: a /_bulk endpoint, tag attributes for both Datadog formats.
func routingSettings() *Settings {
	return &Settings{
		Endpoint: "https://es.example.com:9200/_bulk",
		Source:   "sentyr",
		Sections: Sections{
			Elastic:     ElasticConfig{Index: "sentyr-events"},
			Datadog:     DatadogConfig{APIKey: "k", TagAttributes: []string{"tenant"}},
			DatadogLogs: DatadogLogsConfig{APIKey: "k", TagAttributes: []string{"tenant"}},
			Custom:      CustomConfig{Template: `{"t": "{{ event_type }}", "d": {{ event_data | tojson }}}`},
		},
	}
}

// routingSettingsOf is routingSettings with the endpoint of a format whose
// endpoint says where it sends: SecOps's names the default log type.
func routingSettingsOf(format string) *Settings {
	s := routingSettings()
	if format == "secops" {
		s.Endpoint = "https://chronicle.us.rep.googleapis.com" + testSecOpsPath
	}
	return s
}

// Where a test event's legitimate routing attribute is set.
const (
	routeNowhere = iota
	routeOnRecord
	routeOnResource
)

// contentEvent is an event whose body (and so its data, as the mapping
// makes it) holds one key set to an attacker's value, and whose record or
// resource sets attr to the legitimate value.
func contentEvent(bodyKey, attr string, where int) formats.Event {
	body := pcommon.NewValueMap()
	body.Map().PutStr(bodyKey, "attacker-value")
	ev := formats.Event{
		ID: "0123456789abcdef0123456789abcdef", Type: "file_shared_externally", Severity: formats.SeverityWarning,
		Timestamp: serviceSeedTime, Source: "sentyr",
		Data:       []formats.Field{{Key: bodyKey, Value: pcommon.NewValueStr("attacker-value")}},
		Body:       body,
		Attributes: pcommon.NewMap(),
		Resource:   pcommon.NewMap(),
	}
	switch where {
	case routeOnRecord:
		ev.Attributes.PutStr(attr, "legit-route")
	case routeOnResource:
		ev.Resource.PutStr(attr, "legit-route")
	}
	return ev
}

// encodedBodies is all that an encoder sends for ev, request after request.
func encodedBodies(t *testing.T, enc Encoder, ev formats.Event) []byte {
	t.Helper()
	batch, err := enc.Encode([]formats.Event{ev})
	require.NoError(t, err)
	require.Empty(t, batch.Rejected)
	var all []byte
	for _, r := range batch.Requests {
		// A request's URL is where it goes too (SecOps's log type).
		all = append(append(append(all, r.URL...), readableData(r.Body)...), '\n')
	}
	return all
}

// base64Data is a SecOps log's base64 data.
var base64Data = regexp.MustCompile(`"data":"([A-Za-z0-9+/=]*)"`)

// readableData is body with SecOps's base64 data decoded, so that a key
// in it can be told and replaced.
func readableData(body []byte) []byte {
	return base64Data.ReplaceAllFunc(body, func(m []byte) []byte {
		raw, err := base64.StdEncoding.DecodeString(string(base64Data.FindSubmatch(m)[1]))
		if err != nil {
			return m
		}
		return append([]byte(`"data":`), raw...)
	})
}

// Event content never routes, in every built-in format: an event whose
// body sets a routing attribute's name is sent exactly as the same event
// with that body key under a neutral name (of the same length, so that
// sizes and packing are the same): where its record or resource sets the
// attribute, the request goes where the attribute says; where neither
// does, to the default route. The body key stays in the data as content.
func TestEventContentNeverRoutes(t *testing.T) {
	var attrs []string
	for _, b := range Builtins() {
		if b.Routes == nil {
			continue
		}
		for _, a := range b.Routes(routingSettingsOf(b.Name)) {
			if !slices.Contains(attrs, a) {
				attrs = append(attrs, a)
			}
		}
	}
	require.Subset(t, attrs, []string{attrSplunkIndex, attrSplunkSourcetype, attrSplunkSource, attrHostName, attrElasticIndex, "tenant"},
		"the table states the routing attributes of every format that routes")
	routed := map[string]bool{}
	for _, b := range Builtins() {
		s := routingSettingsOf(b.Name)
		enc, err := b.New(s)
		require.NoError(t, err, b.Name)
		var routes []string
		if b.Routes != nil {
			routes = b.Routes(s)
		}
		for _, attr := range attrs {
			neutral := strings.Repeat("q", len(attr))
			for _, where := range []int{routeNowhere, routeOnRecord, routeOnResource} {
				got := encodedBodies(t, enc, contentEvent(attr, attr, where))
				want := bytes.ReplaceAll(encodedBodies(t, enc, contentEvent(neutral, attr, where)), []byte(neutral), []byte(attr))
				assert.Equal(t, string(want), string(got), "%s: body key %s, attribute set %d", b.Name, attr, where)
				if where != routeNowhere && slices.Contains(routes, attr) {
					// The attribute routes at all: its value is nowhere
					// in the data, so it is where the format routes.
					assert.Contains(t, string(got), "legit-route", "%s: %s", b.Name, attr)
					routed[b.Name] = true
				}
			}
		}
	}
	assert.Equal(t, map[string]bool{"splunk_hec": true, "elastic": true, "datadog": true, "datadog_logs": true, "pagerduty": true, "secops": true}, routed)
}
