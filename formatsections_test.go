package webhookexporter

import (
	"maps"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// Config declares no format's section itself: it takes builtin.Sections
// whole, so that a format added to the table needs no line here.
func TestConfigTakesTheFormatsSections(t *testing.T) {
	f, ok := reflect.TypeFor[Config]().FieldByName("Sections")
	require.True(t, ok)
	require.True(t, f.Anonymous)
	require.Equal(t, reflect.TypeFor[builtin.Sections](), f.Type)
	require.Equal(t, ",squash", f.Tag.Get("mapstructure"))
}

// Every built-in format's settings, written in the collector's YAML, reach
// the format as the format reads them.
func TestEveryFormatsSectionReachesIt(t *testing.T) {
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			conf := map[string]any{"endpoint": "https://receiver.example.com" + b.Service.Path, "format": b.Name}
			maps.Copy(conf, b.Service.Settings)
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(conf).Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))

			want := &builtin.Settings{Source: defaultSource}
			require.NoError(t, confmap.NewFromStringMap(conf).Unmarshal(want, confmap.WithIgnoreUnused()))
			require.Equal(t, want, cfg.formatSettings())
		})
	}
}
