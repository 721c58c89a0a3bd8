package formats

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

// Builtin is one built-in format: its name, the check of its settings at
// config load and the constructor of its encoder.
type Builtin struct {
	Name  string
	Check func(s *Settings) error
	New   func(s *Settings) (Encoder, error)
}

// builtinTable is the one table of built-in formats, in the order they are
// listed to users.
var builtinTable = []Builtin{
	{"json", func(s *Settings) error { return s.JSON.Check() },
		func(s *Settings) (Encoder, error) { return NewJSON(s.JSON), nil }},
	{"splunk_hec", func(s *Settings) error { return s.SplunkHEC.Check() },
		func(s *Settings) (Encoder, error) { return NewSplunkHEC(s.SplunkHEC), nil }},
	{"datadog", func(s *Settings) error { return s.Datadog.Check() },
		func(s *Settings) (Encoder, error) { return NewDatadog(s.Datadog), nil }},
	{"datadog_logs", func(s *Settings) error { return s.DatadogLogs.Check() },
		func(s *Settings) (Encoder, error) { return NewDatadogLogs(s.DatadogLogs, s.Source), nil }},
	{"elastic", func(s *Settings) error { return s.Elastic.Check(s.Endpoint) },
		func(s *Settings) (Encoder, error) { return NewElastic(s.Elastic, s.Endpoint) }},
	{"sentinel", func(s *Settings) error { return CheckSentinelEndpoint(s.Endpoint) },
		func(*Settings) (Encoder, error) { return NewSentinel(), nil }},
	{"custom", func(s *Settings) error { return s.Custom.Check() },
		func(s *Settings) (Encoder, error) { return NewCustom(s.Custom) }},
	{"body", func(s *Settings) error { return s.Body.Check() },
		func(s *Settings) (Encoder, error) { return NewBody(s.Body), nil }},
}

// LookupBuiltin returns the built-in format called name.
func LookupBuiltin(name string) (Builtin, bool) {
	for _, b := range builtinTable {
		if b.Name == name {
			return b, true
		}
	}
	return Builtin{}, false
}

// BuiltinNames lists the built-in formats' names.
func BuiltinNames() []string {
	names := make([]string, len(builtinTable))
	for i, b := range builtinTable {
		names[i] = b.Name
	}
	return names
}
