package bench

import (
	"cmp"
	"maps"
	"time"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// Format is how the benchmarks configure the exporter for one wire format:
// the settings that go under the exporter's config (as collector YAML
// would give them) and the path the format's receiver listens on.
type Format struct {
	// Name names the case in the benchmarks: the format's name, or
	// "<format>+<document>" for a format carrying a document other than
	// the guide's, whose Format is then the format's name.
	Name     string
	Format   string
	Settings map[string]any
	Path     string
	// MinInterval is the pace the format's service keeps (Service.MinInterval),
	// which the exporter keeps too: a push then takes that long per request.
	MinInterval time.Duration
}

// documentCases are the documents benchmarked, each in the format whose
// guide payload is its baseline in the same run.
var documentCases = []struct{ format, document string }{{"json", builtin.DocumentOCSF}}

// Formats are the wire formats benchmarked: every built-in format, with
// the least settings its Check accepts and its receiver takes, as its
// table entry gives them; then each document case.
var Formats = func() []Format {
	var out []Format
	for _, b := range builtin.Builtins() {
		out = append(out, Format{Name: b.Name, Settings: b.Service.Settings, Path: b.Service.Path, MinInterval: b.Service.MinInterval})
	}
	for _, c := range documentCases {
		b, _ := builtin.LookupBuiltin(c.format)
		settings := maps.Clone(b.Service.Settings)
		if settings == nil {
			settings = map[string]any{}
		}
		settings["document"] = c.document
		out = append(out, Format{Name: c.format + "+" + c.document, Format: c.format, Settings: settings, Path: b.Service.Path, MinInterval: b.Service.MinInterval})
	}
	return out
}()

// BatchSizes are the events per push.
var BatchSizes = []int{1, 100, 1000}

// ExporterSettings returns the whole exporter config for f sending to
// endpoint, as collector YAML would give it.
func (f Format) ExporterSettings(endpoint string) map[string]any {
	m := map[string]any{"endpoint": endpoint + f.Path, "format": cmp.Or(f.Format, f.Name)}
	for k, v := range f.Settings {
		m[k] = v
	}
	return m
}
