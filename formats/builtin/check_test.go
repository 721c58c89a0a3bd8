package builtin

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// The built-in formats with a service of their own check it; the others
// leave the check to the exporter's test event.
func TestConnectionChecksOfTheTable(t *testing.T) {
	want := map[string]string{"splunk_hec": http.MethodPost, "elastic": http.MethodGet, "datadog": http.MethodGet}
	for _, b := range Builtins() {
		method, ok := want[b.Name]
		if !ok {
			assert.Nil(t, b.ConnectionCheck, b.Name)
			continue
		}
		require.NotNil(t, b.ConnectionCheck, b.Name)
		assert.Equal(t, method, b.ConnectionCheck.Method, b.Name)
	}
}

func TestConnectionCheckURLsFromTheSettings(t *testing.T) {
	for _, tt := range []struct {
		name, format, endpoint, site, want string
	}{
		{"HEC event endpoint", "splunk_hec", "https://splunk.example.com:8088/services/collector/event?channel=x", "",
			"https://splunk.example.com:8088/services/collector/event?channel=x"},
		{"HEC behind a path prefix", "splunk_hec", "https://proxy.example.com/splunk/services/collector", "",
			"https://proxy.example.com/splunk/services/collector"},
		{"Elasticsearch root", "elastic", "https://user:pw@es.example.com:9200/sentyr/_doc", "", "https://es.example.com:9200/"},
		{"Datadog from the endpoint", "datadog", "https://api.datadoghq.com/api/v1/events", "", "https://api.datadoghq.com/api/v1/validate"},
		{"Datadog from the site", "datadog", "https://dd-proxy.internal/api/v1/events", "datadoghq.eu", "https://api.datadoghq.eu/api/v1/validate"},
		{"an endpoint that does not parse is kept", "elastic", "https://es.example.com:badport/", "", "https://es.example.com:badport/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := LookupBuiltin(tt.format)
			s := &Settings{Endpoint: tt.endpoint, Sections: Sections{Datadog: DatadogConfig{Site: tt.site}}}
			assert.Equal(t, tt.want, b.ConnectionCheck.URL(s))
		})
	}
}

func TestConnectionCheckJudgements(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format string
		status int
		body   string
		ok     bool
		says   string // in the detail on success, the reason on failure
	}{
		{"HEC: No data proves the token", "splunk_hec", 400, `{"text":"No data","code":5}`, true, "token accepted"},
		{"HEC: a channel asked for proves the token (acknowledgement on)", "splunk_hec", 400, `{"text":"Data channel is missing","code":10}`, true, "indexer acknowledgement is on"},
		{"HEC: a receiver that takes no events", "splunk_hec", 200, ``, true, "accepted a request with no events"},
		{"HEC: invalid token", "splunk_hec", 403, `{"text":"Invalid token","code":4}`, false, "Splunk HEC refused the token"},
		{"HEC: disabled token under another status", "splunk_hec", 400, `{"text":"Token disabled","code":1}`, false, "refused the token"},
		{"HEC: busy", "splunk_hec", 503, `{"text":"Server is busy","code":9}`, false, "not healthy"},
		{"HEC: no such endpoint", "splunk_hec", 404, `not found`, false, "no HEC event endpoint"},
		{"HEC: something else", "splunk_hec", 500, `oops`, false, "unexpected answer 500 Internal Server Error (oops)"},
		{"Elasticsearch: root", "elastic", 200, `{"cluster_name":"siem","version":{"number":"8.15.0"}}`, true, "cluster siem, version 8.15.0"},
		{"Elasticsearch: bad key", "elastic", 401, `{"error":"unauthorized"}`, false, "Elasticsearch refused the credentials"},
		{"Elasticsearch: write-only key", "elastic", 403, `{}`, false, "may not read the cluster root"},
		{"Elasticsearch: not a cluster", "elastic", 404, `nope`, false, "unexpected answer 404"},
		{"Datadog: valid", "datadog", 200, `{"valid":true}`, true, "API key valid"},
		{"Datadog: 200 that does not say valid", "datadog", 200, `{}`, false, "does not say the key is valid"},
		{"Datadog: unknown key", "datadog", 403, `{"errors":["Forbidden"]}`, false, "Datadog refused the API key"},
		{"Datadog: something else", "datadog", 502, ``, false, "unexpected answer 502"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := LookupBuiltin(tt.format)
			r := b.ConnectionCheck.Judge(tt.status, []byte(tt.body))
			assert.Equal(t, tt.ok, r.OK)
			if tt.ok {
				assert.Contains(t, r.Detail, tt.says)
				assert.Empty(t, r.Reason+r.Fix)
				return
			}
			assert.Contains(t, r.Reason, tt.says)
			assert.NotEmpty(t, r.Fix, "a failure says what to do")
		})
	}
}

// What a judgement quotes of the answer, which the receiver chooses, is
// bounded and valid UTF-8.
func TestConnectionCheckQuotesABoundedSnippet(t *testing.T) {
	body := []byte(strings.Repeat("é", 4000) + "\xff")
	for _, b := range Builtins() {
		if b.ConnectionCheck == nil {
			continue
		}
		r := b.ConnectionCheck.Judge(http.StatusTeapot, body)
		assert.LessOrEqual(t, len(r.Reason), quotedBytes+100, b.Name)
		assert.True(t, utf8.ValidString(r.Reason), b.Name)
	}
	detail := elasticRootDetail([]byte(`{"cluster_name":"` + strings.Repeat("é", 4000) + `"}`))
	assert.LessOrEqual(t, len(detail), quotedBytes)
	assert.True(t, utf8.ValidString(detail))
}

// quotedBytes is the most a text from outside takes once cut.
const quotedBytes = redact.TextBytes + len(redact.CutMarker) + len("99999 bytes)")

// Each format's credential reads the setting its field names.
func TestCredentialsOfTheTable(t *testing.T) {
	s := &Settings{Sections: Sections{
		SplunkHEC:   SplunkHECConfig{Token: "splunk_hec::token"},
		Datadog:     DatadogConfig{APIKey: "datadog::api_key"},
		DatadogLogs: DatadogLogsConfig{APIKey: "datadog_logs::api_key"},
		Elastic:     ElasticConfig{APIKey: "elastic::api_key"},
		PagerDuty:   PagerDutyConfig{RoutingKey: "pagerduty::routing_key"},
	}}
	fields := 0
	for _, b := range Builtins() {
		c := b.Credential
		if c == nil || c.Field == "" {
			continue
		}
		fields++
		assert.Equal(t, c.Field, string(c.Value(s)), b.Name)
		if b.Name != "pagerduty" { // the routing key goes in the body
			assert.NotEmpty(t, c.Header, b.Name)
		}
	}
	assert.Equal(t, 5, fields)
}
