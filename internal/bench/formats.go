package bench

// Format is how the benchmarks configure the exporter for one wire format:
// the settings that go under the exporter's config (as collector YAML
// would give them) and the path the format's receiver listens on.
type Format struct {
	Name     string
	Settings map[string]any
	Path     string
}

// Formats are the wire formats benchmarked, each with the least settings
// its Check accepts. A format that the build does not have yet is skipped
// by the benchmarks with the reason.
var Formats = []Format{
	{Name: "json", Path: "/webhook"},
	{Name: "splunk_hec", Path: "/services/collector/event", Settings: map[string]any{
		"splunk_hec": map[string]any{"token": "00000000-0000-0000-0000-000000000000"},
	}},
	{Name: "datadog", Path: "/api/v1/events", Settings: map[string]any{
		"datadog": map[string]any{"api_key": "0123456789abcdef0123456789abcdef"},
	}},
	{Name: "datadog_logs", Path: "/api/v2/logs", Settings: map[string]any{
		"datadog_logs": map[string]any{"api_key": "0123456789abcdef0123456789abcdef"},
	}},
	{Name: "elastic", Path: "/security-events/_bulk"},
	{Name: "sentinel", Path: "/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents?api-version=2023-01-01"},
	{Name: "custom", Path: "/alerts", Settings: map[string]any{
		"custom": map[string]any{"template": `{"alert_type": "{{ event_type }}", "alert_severity": "{{ severity }}", "alert_timestamp": "{{ timestamp }}", "alert_data": {{ event_data | tojson }}, "alert_source": "{{ source }}"}`},
	}},
}

// BatchSizes are the events per push.
var BatchSizes = []int{1, 100, 1000}

// ExporterSettings returns the whole exporter config for f sending to
// endpoint, as collector YAML would give it.
func (f Format) ExporterSettings(endpoint string) map[string]any {
	m := map[string]any{"endpoint": endpoint + f.Path, "format": f.Name}
	for k, v := range f.Settings {
		m[k] = v
	}
	return m
}
