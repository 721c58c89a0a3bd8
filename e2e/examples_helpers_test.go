//go:build e2e

package e2e

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestCompleteFragment pins the fragment convention of TestExamplesValidate.
func TestCompleteFragment(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the completed config; "" when in is returned as it is
	}{
		{
			name: "exporters only",
			in:   "exporters:\n  webhook/b: {endpoint: https://b.example}\n  webhook/a: {endpoint: https://a.example}\n",
			want: `
exporters:
  webhook/b: {endpoint: https://b.example}
  webhook/a: {endpoint: https://a.example}
receivers:
  otlp: {protocols: {http: {endpoint: 127.0.0.1:4318}}}
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [webhook/a, webhook/b]}
`,
		},
		{
			name: "extensions only",
			in:   "extensions:\n  webhookauth/token: {bearer_token: x}\n",
			want: `
extensions:
  webhookauth/token: {bearer_token: x}
receivers:
  otlp: {protocols: {http: {endpoint: 127.0.0.1:4318}}}
exporters:
  debug: {}
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [debug]}
`,
		},
		{
			name: "receivers, processors and a service without pipelines",
			in: "receivers:\n  file_log: {include: [a.log]}\nprocessors:\n  memory_limiter: {limit_mib: 100}\n" +
				"extensions:\n  file_storage: {}\nexporters:\n  webhook: {endpoint: https://a.example}\n" +
				"service:\n  telemetry: {metrics: {level: none}}\n",
			want: `
receivers:
  file_log: {include: [a.log]}
processors:
  memory_limiter: {limit_mib: 100}
extensions:
  file_storage: {}
exporters:
  webhook: {endpoint: https://a.example}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    logs: {receivers: [file_log], processors: [memory_limiter], exporters: [webhook]}
`,
		},
		{
			name: "whole config as it is",
			in:   "exporters:\n  debug: {}\nservice:\n  pipelines:\n    logs: {receivers: [otlp], exporters: [debug]}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := complete(tt.in)
			require.NoError(t, err)
			if tt.want == "" {
				assert.Equal(t, tt.in, got)
				return
			}
			var gotMap, wantMap map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(got), &gotMap))
			require.NoError(t, yaml.Unmarshal([]byte(tt.want), &wantMap))
			assert.Equal(t, wantMap, gotMap)
		})
	}
	_, err := complete("just a string")
	assert.Error(t, err, "a block that is not a mapping")
}

func TestReadmeExamplesSkipMarker(t *testing.T) {
	path := t.TempDir() + "/README.md"
	text := "# t\n\n<!-- validate: skip (needs X) -->\n\n```yaml\na: 1\n```\n\nprose\n```yaml\nb: 2\n```\n"
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	got := readmeExamples(t, path)
	require.Len(t, got, 2)
	assert.Equal(t, example{name: "README.md:5", text: "a: 1\n", skip: "(needs X)"}, got[0])
	assert.Equal(t, example{name: "README.md:10", text: "b: 2\n"}, got[1])
}

func TestManifestErrors(t *testing.T) {
	pinned := map[string]string{
		"go.opentelemetry.io/collector/receiver/otlpreceiver":                                "v0.165.0",
		"go.opentelemetry.io/collector/confmap/provider/envprovider":                         "v1.71.0",
		"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver": "v0.165.1",
		"github.com/sentyr/webhookexporter":                                                  "v0.0.0",
	}
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{
			name: "same release",
			manifest: `
dist: {name: x}
exporters:
  - gomod: github.com/sentyr/webhookexporter v1.2.3
    path: ../webhookexporter
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.165.0
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver v0.165.1
providers:
  - gomod: go.opentelemetry.io/collector/confmap/provider/fileprovider v1.71.0
`,
		},
		{
			name: "other releases",
			manifest: `
dist: {name: x}
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver v0.160.0
  - gomod: go.opentelemetry.io/collector/receiver/nopreceiver
exporters:
  - gomod: github.com/sentyr/webhookexporter v0.0.0
`,
			want: []string{
				"go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0, but builder-config.yaml builds v0.165.0",
				"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver v0.160.0 is not at the release of builder-config.yaml ([v0.165.1])",
				`gomod "go.opentelemetry.io/collector/receiver/nopreceiver" has no version`,
				"github.com/sentyr/webhookexporter is in no module proxy: give it `path:`, a checkout of this repository",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, isManifest(tt.manifest))
			var got []string
			for _, err := range manifestErrors(tt.manifest, pinned) {
				got = append(got, err.Error())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestUnlistedAuthenticators pins the authenticator check of
// TestExamplesValidate: an authenticator counts once service::extensions
// lists it, wherever the block names it.
func TestUnlistedAuthenticators(t *testing.T) {
	block := `
extensions:
  webhookauth/sign: {hmac: {secret: x}}
  webhookauth/in: {bearer_token: y}
receivers:
  otlp: {protocols: {http: {endpoint: 127.0.0.1:4318, auth: {authenticator: webhookauth/in}}}}
exporters:
  webhook: {endpoint: https://a.example, auth: {authenticator: webhookauth/sign}}
`
	assert.Equal(t, []string{"webhookauth/in", "webhookauth/sign"}, unlistedAuthenticators(block))
	assert.Equal(t, []string{"webhookauth/in"}, unlistedAuthenticators(block+"service: {extensions: [webhookauth/sign]}\n"))
	assert.Empty(t, unlistedAuthenticators(block+"service: {extensions: [webhookauth/sign, webhookauth/in]}\n"))
}

func TestDummyEnv(t *testing.T) {
	got := dummyEnv("a: ${env:API_KEY}\nb: ${OTLP_ENDPOINT}\nc: ${env:TOKEN_URL:-x}\n")
	assert.Equal(t, []string{
		"API_KEY=e2e-dummy-api_key",
		"OTLP_ENDPOINT=http://127.0.0.1:9/otlp_endpoint",
		"TOKEN_URL=http://127.0.0.1:9/token_url",
	}, got)
}
