package formats

import (
	"slices"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Settings carries what the built-in formats read from the exporter's
// configuration: each format's own section plus the endpoint and source that
// some of them depend on.
type Settings struct {
	Endpoint    string
	Source      string
	JSON        JSONConfig
	SplunkHEC   SplunkHECConfig
	Datadog     DatadogConfig
	DatadogLogs DatadogLogsConfig
	Elastic     ElasticConfig
	Custom      CustomConfig
	Body        BodyConfig
}

// Builtin is one built-in format: all the exporter needs to know of it.
type Builtin struct {
	Name string
	// Check checks the format's settings at config load.
	Check func(s *Settings) error
	// New builds the format's encoder.
	New func(s *Settings) (Encoder, error)
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
	Check: func(s *Settings) error { return s.JSON.check() },
	New:   func(s *Settings) (Encoder, error) { return newJSON(s.JSON), nil },
}, {
	Name:  "splunk_hec",
	Check: func(s *Settings) error { return s.SplunkHEC.check() },
	New:   func(s *Settings) (Encoder, error) { return newSplunkHEC(s.SplunkHEC), nil },
	Credential: &Credential{
		Field: "splunk_hec::token", Value: func(s *Settings) configopaque.String { return s.SplunkHEC.Token },
		Header:  "Authorization",
		Missing: "set splunk_hec::token (or an Authorization header, or auth::authenticator)",
	},
	ConnectionCheck: hecCheck,
	Routes:          func(*Settings) []string { return slices.Clone(hecRoutingAttributes[:]) },
}, {
	Name:  "datadog",
	Check: func(s *Settings) error { return s.Datadog.check() },
	New:   func(s *Settings) (Encoder, error) { return newDatadog(s.Datadog), nil },
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
	New:   func(s *Settings) (Encoder, error) { return newDatadogLogs(s.DatadogLogs, s.Source), nil },
	Credential: &Credential{
		Field: "datadog_logs::api_key", Value: func(s *Settings) configopaque.String { return s.DatadogLogs.APIKey },
		Header:  "DD-API-KEY",
		Missing: "set datadog_logs::api_key (or a DD-API-KEY header, or auth::authenticator)",
	},
	Routes: func(s *Settings) []string { return append([]string{AttrHostName}, s.DatadogLogs.TagAttributes...) },
}, {
	Name:  "elastic",
	Check: func(s *Settings) error { return s.Elastic.check(s.Endpoint) },
	New:   func(s *Settings) (Encoder, error) { return newElastic(s.Elastic, s.Endpoint) },
	// Clusters without security take requests without a credential.
	Credential: &Credential{
		Field: "elastic::api_key", Value: func(s *Settings) configopaque.String { return s.Elastic.APIKey },
		Header: "Authorization",
	},
	ConnectionCheck: elasticCheck,
	Routes:          func(s *Settings) []string { return elasticRoutes(s.Endpoint) },
}, {
	Name:  "sentinel",
	Check: func(s *Settings) error { return checkSentinelEndpoint(s.Endpoint) },
	New:   func(*Settings) (Encoder, error) { return newSentinel(), nil },
	Credential: &Credential{
		Header:  "Authorization",
		Missing: "set auth::authenticator to a webhookauth extension with oauth2 against Entra ID (see the README's Microsoft Sentinel section)",
	},
}, {
	Name:  "custom",
	Check: func(s *Settings) error { return s.Custom.check() },
	New:   func(s *Settings) (Encoder, error) { return newCustom(s.Custom) },
}, {
	Name:  "body",
	Check: func(s *Settings) error { return s.Body.check() },
	New:   func(s *Settings) (Encoder, error) { return newBody(s.Body), nil },
}}

// LookupBuiltin returns the built-in format called name.
func LookupBuiltin(name string) (Builtin, bool) {
	for _, b := range builtinTable {
		if b.Name == name {
			return b, true
		}
	}
	return Builtin{}, false
}

// Builtins lists the built-in formats, in the order they are listed to users.
func Builtins() []Builtin {
	return slices.Clone(builtinTable)
}
