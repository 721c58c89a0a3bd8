package bench

import "github.com/sentyr/webhookexporter/formats"

// Format is how the benchmarks configure the exporter for one wire format:
// the settings that go under the exporter's config (as collector YAML
// would give them) and the path the format's receiver listens on.
type Format struct {
	Name     string
	Settings map[string]any
	Path     string
}

// Formats are the wire formats benchmarked: every built-in format, with
// the least settings its Check accepts and its receiver takes, as its
// table entry gives them.
var Formats = func() []Format {
	var out []Format
	for _, b := range formats.Builtins() {
		out = append(out, Format{Name: b.Name, Settings: b.Service.Settings, Path: b.Service.Path})
	}
	return out
}()

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
