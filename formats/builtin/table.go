// Package builtin holds the exporter's formats: one encoder per wire
// format, each a pure function of events to bytes, and the table that
// describes each completely (Builtins): its config section, check,
// constructor, credential, connection check, answer reading and how its
// service answers. Go formatters registered with formats.Register are the
// custom build's own formats; Lookup finds them.
package builtin

import (
	"slices"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Settings carries what the built-in formats read from the exporter's
// configuration: each format's own section plus the endpoint and source that
// some of them depend on. The tags are the collector YAML's names, in which
// Service.Settings gives them.
type Settings struct {
	Endpoint string `mapstructure:"endpoint"`
	Source   string `mapstructure:"source"`
	Sections `mapstructure:",squash"`
	// Threshold is min_severity, for every format: Settings.Below says
	// which events the exporter leaves out.
	Threshold `mapstructure:",squash"`
}

// Sections are the formats' own sections of the exporter's configuration,
// each named after its format. The exporter's Config takes them as they
// are, so a format's section is declared here alone.
type Sections struct {
	// Document is what each event is written as inside the format's
	// envelope: guide (default) or ocsf, an OCSF Detection Finding. It is
	// no format's section: every format that carries documents reads it.
	Document    string            `mapstructure:"document"`
	JSON        JSONConfig        `mapstructure:"json"`
	SplunkHEC   SplunkHECConfig   `mapstructure:"splunk_hec"`
	Datadog     DatadogConfig     `mapstructure:"datadog"`
	DatadogLogs DatadogLogsConfig `mapstructure:"datadog_logs"`
	Elastic     ElasticConfig     `mapstructure:"elastic"`
	Custom      CustomConfig      `mapstructure:"custom"`
	Body        BodyConfig        `mapstructure:"body"`
	PagerDuty   PagerDutyConfig   `mapstructure:"pagerduty"`
	Slack       SlackConfig       `mapstructure:"slack"`
	SecOps      SecOpsConfig      `mapstructure:"secops"`
}

// Builtin is one built-in format: all the exporter needs to know of it.
type Builtin struct {
	Name string
	// Check checks the format's settings at config load.
	Check func(s *Settings) error
	// New builds the format's encoder.
	New func(s *Settings) (Encoder, error)
	// Service is how the format's receiver takes requests and answers
	// them, for the tests, benchmarks and tools that stand in for it.
	// The exporter never reads it.
	Service Service
	// Credential is the credential the format's service wants; nil when
	// its receivers may take requests without one.
	Credential *Credential
	// ConnectionCheck is the service's own check; nil: the exporter's
	// connection check posts a test event through the encoder.
	ConnectionCheck *ConnectionCheck
	// Routes lists the attributes that route an event (an index, a
	// sourcetype, a host, a tag), read from the record's attributes, else
	// the resource's, never from the event's body; nil when none do.
	Routes func(s *Settings) []string
	// Documents lists the documents (document.go) the format carries
	// besides the guide's; any other is refused at load.
	Documents []string
	// EndpointSecrets are the parts of the endpoint that are a credential
	// (a Slack webhook's token is the last segment of its path), to be
	// redacted wherever the endpoint or an answer is shown; nil when the
	// URL's path holds none (user info and query are redacted anyway).
	EndpointSecrets func(endpoint string) []string
}

// Credential is what a format's service authenticates requests with.
type Credential struct {
	// Field is the format's own secret setting ("splunk_hec::token"),
	// "" when it has none; Value reads it.
	Field string
	Value func(s *Settings) configopaque.String
	// Header carries the credential: set in the headers instead, it does as well.
	Header string
	// Missing says what to set when requests carry no credential at all;
	// "" when the service may take them without one.
	Missing string
}

// builtinTable is the one table of built-in formats, in the order they are
// listed to users.
var builtinTable = []Builtin{{
	Name:  "json",
	Check: checkJSONSettings,
	New:   func(s *Settings) (Encoder, error) { return newJSON(s.JSON).carrying(s), nil },
	Service: Service{
		Path: "/webhook", Body: BodyObjectOrArray,
		Accept: answerOK(200, "application/json", `{"status":"ok"}`), Refuse: jsonRefused,
	},
	Documents: []string{DocumentOCSF},
}, {
	Name:  "splunk_hec",
	Check: func(s *Settings) error { return s.SplunkHEC.check(s.Endpoint) },
	New:   func(s *Settings) (Encoder, error) { return newSplunkHEC(s.SplunkHEC).carrying(s), nil },
	Service: Service{
		Path:       "/services/collector/event",
		Settings:   map[string]any{"splunk_hec": map[string]any{"token": testHECToken}},
		TestSecret: testHECToken, CredentialValue: "Splunk " + testHECToken, Body: BodyObjects,
		Accept: answerOK(200, "application/json; charset=UTF-8", `{"text":"Success","code":0}`),
		Refuse: Answer{Status: 403, ContentType: "application/json; charset=UTF-8", Body: `{"text":"Invalid token","code":4}`},
	},
	Credential: &Credential{
		Field: "splunk_hec::token", Value: func(s *Settings) configopaque.String { return s.SplunkHEC.Token },
		Header:  "Authorization",
		Missing: "set splunk_hec::token (or an Authorization header, or auth::authenticator)",
	},
	ConnectionCheck: hecCheck,
	Routes:          func(*Settings) []string { return slices.Clone(hecRoutingAttributes[:]) },
	Documents:       []string{DocumentOCSF},
}, {
	Name:  "datadog",
	Check: func(s *Settings) error { return s.Datadog.check() },
	New:   func(s *Settings) (Encoder, error) { return newDatadog(s.Datadog), nil },
	Service: Service{
		Path:       "/api/v1/events",
		Settings:   map[string]any{"datadog": map[string]any{"api_key": testDatadogKey, "tag_attributes": []any{testRoutingTag}}},
		TestSecret: testDatadogKey, CredentialValue: testDatadogKey, Body: BodyObject,
		Accept: answerOK(202, "application/json", `{"status":"ok","event":{"id":1}}`),
		Refuse: datadogRefused,
	},
	Credential: &Credential{
		Field: "datadog::api_key", Value: func(s *Settings) configopaque.String { return s.Datadog.APIKey },
		Header:  "DD-API-KEY",
		Missing: "set datadog::api_key (or a DD-API-KEY header, or auth::authenticator)",
	},
	ConnectionCheck: datadogCheck,
	Routes:          func(s *Settings) []string { return s.Datadog.TagAttributes },
}, {
	Name:  "datadog_logs",
	Check: func(s *Settings) error { return s.DatadogLogs.check() },
	New:   func(s *Settings) (Encoder, error) { return newDatadogLogs(s.DatadogLogs, s.Source).carrying(s), nil },
	Service: Service{
		Path:       "/api/v2/logs",
		Settings:   map[string]any{"datadog_logs": map[string]any{"api_key": testDatadogKey, "tag_attributes": []any{testRoutingTag}}},
		TestSecret: testDatadogKey, CredentialValue: testDatadogKey, Body: BodyArray,
		Accept: answerOK(202, "application/json", `{}`),
		Refuse: datadogRefused,
	},
	Credential: &Credential{
		Field: "datadog_logs::api_key", Value: func(s *Settings) configopaque.String { return s.DatadogLogs.APIKey },
		Header:  "DD-API-KEY",
		Missing: "set datadog_logs::api_key (or a DD-API-KEY header, or auth::authenticator)",
	},
	Routes:    func(s *Settings) []string { return append([]string{attrHostName}, s.DatadogLogs.TagAttributes...) },
	Documents: []string{DocumentOCSF},
}, {
	Name:  "elastic",
	Check: checkElasticSettings,
	New:   func(s *Settings) (Encoder, error) { return newElasticCarrying(s) },
	Service: Service{
		Path:       "/security-events/_bulk",
		Settings:   map[string]any{"elastic": map[string]any{"api_key": testElasticKey}},
		TestSecret: testElasticKey, CredentialValue: "ApiKey " + testElasticKey, Body: BodyBulk,
		Accept: bulkAccepted, AnswerEach: bulkAnswerOf,
		Refuse: Answer{Status: 401, ContentType: "application/json",
			Body: `{"error":{"type":"security_exception","reason":"unable to authenticate with provided credentials"},"status":401}`},
	},
	// Clusters without security take requests without a credential.
	Credential: &Credential{
		Field: "elastic::api_key", Value: func(s *Settings) configopaque.String { return s.Elastic.APIKey },
		Header: "Authorization",
	},
	ConnectionCheck: elasticCheck,
	Routes:          func(s *Settings) []string { return elasticRoutes(s.Endpoint) },
	Documents:       []string{DocumentOCSF},
}, {
	Name:  "sentinel",
	Check: func(s *Settings) error { return checkSentinelEndpoint(s.Endpoint) },
	New:   func(*Settings) (Encoder, error) { return newSentinel(), nil },
	Service: Service{
		Path: "/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents?api-version=2023-01-01",
		// The token comes from Entra ID; a header stands in for the flow.
		Settings:   map[string]any{"headers": map[string]any{"Authorization": "Bearer " + testSentinelToken}},
		TestSecret: testSentinelToken, CredentialValue: "Bearer " + testSentinelToken, Body: BodyArray,
		Accept: answerOK(204, "", ""),
		Refuse: Answer{Status: 401, ContentType: "application/json",
			Body: `{"error":{"code":"InvalidToken","message":"a valid bearer token for https://monitor.azure.com is required"}}`},
	},
	Credential: &Credential{
		Header:  "Authorization",
		Missing: "set auth::authenticator to a webhookauth extension with oauth2 against Entra ID (see the README's Microsoft Sentinel section)",
	},
}, {
	// Google SecOps: the Chronicle API's logs:import by default; the
	// endpoint's path picks events:import or the legacy Ingestion API.
	Name:  "secops",
	Check: func(s *Settings) error { return s.SecOps.checkDocument(s) },
	New:   func(s *Settings) (Encoder, error) { return newSecOpsCarrying(s) },
	Service: Service{
		Path: testSecOpsPath, Serves: servesSecOpsLogType,
		// The token comes from a Google service account; a header stands in for the flow.
		Settings:   map[string]any{"headers": map[string]any{"Authorization": "Bearer " + testSecOpsToken}},
		TestSecret: testSecOpsToken, CredentialValue: "Bearer " + testSecOpsToken, Body: BodySecOpsLogs,
		MaxBodyBytes: secopsMaxRequestBytes,
		Accept:       answerOK(200, "application/json; charset=UTF-8", "{}\n"),
		Refuse: Answer{Status: 401, ContentType: "application/json; charset=UTF-8",
			Body: `{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}`},
	},
	// A log's data may be an OCSF finding (SecOps has OCSF log types); a
	// UDM event cannot carry one.
	Documents: []string{DocumentOCSF},
	Credential: &Credential{
		Header:  "Authorization",
		Missing: "set auth::authenticator to a webhookauth extension with google_service_account (see docs/secops.md)",
	},
	Routes: func(s *Settings) []string { return secopsRoutes(s.Endpoint) },
}, {
	Name:  "custom",
	Check: func(s *Settings) error { return s.Custom.check() },
	New:   func(s *Settings) (Encoder, error) { return newCustom(s.Custom) },
	Service: Service{
		Path: "/alerts",
		Settings: map[string]any{"custom": map[string]any{
			"template": `{"alert_type": "{{ event_type }}", "alert_severity": "{{ severity }}", "alert_timestamp": "{{ timestamp }}", "alert_data": {{ event_data | tojson }}, "alert_source": "{{ source }}"}`,
		}},
		Body:   BodyObject,
		Accept: answerOK(200, "application/json", `{"status":"ok"}`), Refuse: jsonRefused,
	},
}, {
	Name:  "body",
	Check: func(s *Settings) error { return s.Body.check() },
	New:   func(s *Settings) (Encoder, error) { return newBody(s.Body), nil },
	Service: Service{
		Path: "/webhook", Body: BodyObject,
		Accept: answerOK(200, "application/json", `{"status":"ok"}`), Refuse: jsonRefused,
	},
}, {
	Name:  "pagerduty",
	Check: func(s *Settings) error { return s.PagerDuty.check() },
	New:   func(s *Settings) (Encoder, error) { return newPagerDuty(s.PagerDuty), nil },
	// The routing key travels in the body: the stand-in checks it there.
	Service: pagerDutyService,
	Credential: &Credential{
		Field: "pagerduty::routing_key", Value: func(s *Settings) configopaque.String { return s.PagerDuty.RoutingKey },
	},
	Routes: func(s *Settings) []string { return s.PagerDuty.routes() },
}, {
	Name:            "slack",
	Check:           func(s *Settings) error { return s.Slack.check() },
	New:             func(s *Settings) (Encoder, error) { return newSlack(s.Slack), nil },
	Service:         slackService,
	EndpointSecrets: slackEndpointSecrets,
}, {
	Name:    "teams",
	Check:   func(*Settings) error { return nil },
	New:     func(*Settings) (Encoder, error) { return newTeams(), nil },
	Service: teamsService,
}}

// LookupBuiltin returns the built-in format called name.
func LookupBuiltin(name string) (Builtin, bool) {
	for _, b := range builtinTable {
		if b.Name == name {
			return withDocumentCheck(b), true
		}
	}
	return Builtin{}, false
}

// EndpointSecretsOf are the credentials that format's EndpointSecrets
// finds in urls (the endpoint, the connection check's); none when the
// format's URLs hold none in their paths, or format is not built in.
func EndpointSecretsOf(format string, urls ...string) []string {
	b, ok := LookupBuiltin(format)
	if !ok || b.EndpointSecrets == nil {
		return nil
	}
	var out []string
	for _, u := range urls {
		if u != "" {
			out = append(out, b.EndpointSecrets(u)...)
		}
	}
	return out
}

// Builtins lists the built-in formats, in the order they are listed to users.
func Builtins() []Builtin {
	out := make([]Builtin, len(builtinTable))
	for i, b := range builtinTable {
		out[i] = withDocumentCheck(b)
	}
	return out
}
