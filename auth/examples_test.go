package auth_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.yaml.in/yaml/v3"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/auth"
)

// TestAuthExamplesLoad loads the guide's Example 2 and Example 3 configs:
// every webhookauth extension and webhook exporter in them unmarshals and
// validates, the extension builds, and each exporter's authenticator is
// an extension the service enables. (${env:...} stays unresolved here,
// which these sections accept as literal values, but for a default, which
// stands for it: ${env:NAME:-default}.)
var envDefault = regexp.MustCompile(`\$\{env:\w+:-([^}]*)\}`)

func TestAuthExamplesLoad(t *testing.T) {
	for _, name := range []string{"hmac.yaml", "datadog-oauth2.yaml", "sentinel-oauth2.yaml"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "examples", name))
			require.NoError(t, err)
			var raw map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(envDefault.ReplaceAllString(string(data), "$1")), &raw))
			cm := confmap.NewFromStringMap(raw)
			var top struct {
				Extensions map[component.ID]map[string]any `mapstructure:"extensions"`
				Exporters  map[component.ID]map[string]any `mapstructure:"exporters"`
				Service    struct {
					Extensions []component.ID `mapstructure:"extensions"`
					Pipelines  map[string]any `mapstructure:"pipelines"`
				} `mapstructure:"service"`
			}
			require.NoError(t, cm.Unmarshal(&top, confmap.WithIgnoreUnused()))

			af := auth.NewFactory()
			for id, raw := range top.Extensions {
				require.Equal(t, af.Type(), id.Type())
				cfg := af.CreateDefaultConfig()
				require.NoError(t, confmap.NewFromStringMap(raw).Unmarshal(cfg), id.String())
				require.NoError(t, confmap.Validate(cfg), id.String())
				ext, err := af.Create(t.Context(), extensiontest.NewNopSettings(af.Type()), cfg)
				require.NoError(t, err)
				require.NoError(t, ext.Shutdown(t.Context()))
			}
			ef := webhookexporter.NewFactory()
			require.NotEmpty(t, top.Exporters)
			for id, raw := range top.Exporters {
				require.Equal(t, ef.Type(), id.Type())
				cfg := ef.CreateDefaultConfig().(*webhookexporter.Config)
				require.NoError(t, confmap.NewFromStringMap(raw).Unmarshal(cfg), id.String())
				require.NoError(t, confmap.Validate(cfg), id.String())
				require.True(t, cfg.ClientConfig.Auth.HasValue(), "%s authenticates", id)
				authID := cfg.ClientConfig.Auth.Get().AuthenticatorID
				assert.Contains(t, top.Extensions, authID)
				assert.Contains(t, top.Service.Extensions, authID, "the service enables %s", authID)
			}
		})
	}
}

// TestReadmeAuthenticationYAML validates every YAML block of README's
// Authentication section: the webhookauth extensions and the webhook
// exporters that use them.
func TestReadmeAuthenticationYAML(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	_, section, found := strings.Cut(string(readme), "\n## Authentication\n")
	require.True(t, found, "README has an Authentication section")
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	methods := map[string]bool{}
	for _, part := range strings.Split(section, "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		var top struct {
			Extensions map[component.ID]map[string]any `mapstructure:"extensions"`
			Exporters  map[component.ID]map[string]any `mapstructure:"exporters"`
			Service    any                             `mapstructure:"service"`
		}
		var raw map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(block), &raw), block)
		require.NoError(t, confmap.NewFromStringMap(raw).Unmarshal(&top), block)
		require.NotEmpty(t, top.Extensions, block)
		af := auth.NewFactory()
		for id, ext := range top.Extensions {
			for method := range ext {
				methods[method] = true
			}
			cfg := af.CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(ext).Unmarshal(cfg), id.String())
			require.NoError(t, confmap.Validate(cfg), id.String())
		}
		ef := webhookexporter.NewFactory()
		for id, exp := range top.Exporters {
			cfg := ef.CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(exp).Unmarshal(cfg), id.String())
			require.NoError(t, confmap.Validate(cfg), id.String())
		}
	}
	assert.Equal(t, map[string]bool{"api_key": true, "bearer_token": true, "basic": true, "hmac": true, "oauth2": true},
		methods, "every method has a validated example")
}
