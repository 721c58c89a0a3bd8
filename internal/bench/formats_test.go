package bench_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/bench"
)

// Every built-in format is benchmarked, with its service's settings: a
// format is in the benchmarks by being in the table. The ocsf document is
// benchmarked in json, against the guide's json of the same run.
func TestEveryBuiltinFormatIsBenchmarked(t *testing.T) {
	var names []string
	for _, f := range bench.Formats {
		names = append(names, f.Name)
	}
	var want []string
	for _, b := range builtin.Builtins() {
		want = append(want, b.Name)
	}
	assert.Equal(t, append(want, "json+ocsf"), names)
	ocsf := bench.Formats[len(bench.Formats)-1]
	assert.Equal(t, map[string]any{"endpoint": "http://127.0.0.1:9/webhook", "format": "json", "document": "ocsf"},
		ocsf.ExporterSettings("http://127.0.0.1:9"))
}
