package webhookexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/metadata"
)

// loadConfig unmarshals one entry of testdata/config.yaml over the defaults.
func loadConfig(t *testing.T, id component.ID) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	return cfg.(*Config)
}

func TestLoadDefaultConfig(t *testing.T) {
	cfg := loadConfig(t, component.NewID(metadata.Type))

	want := NewFactory().CreateDefaultConfig().(*Config)
	want.ClientConfig.Endpoint = "https://siem.example.com/webhook"
	assert.Equal(t, want, cfg)

	// The guide's behaviour, spelled out.
	assert.Equal(t, 30*time.Second, cfg.ClientConfig.Timeout)
	assert.False(t, cfg.ClientConfig.Compression.IsCompressed(), "plain JSON, as the guide sends")
	assert.Equal(t, time.Second, cfg.RetryConfig.InitialInterval)
	assert.InDelta(t, 2.0, cfg.RetryConfig.Multiplier, 0)
	assert.Equal(t, 60*time.Second, cfg.RetryConfig.MaxInterval)
	assert.Positive(t, cfg.RetryConfig.RandomizationFactor, "jitter on")
	assert.Equal(t, "json", cfg.Format)
	assert.Equal(t, "sentyr", cfg.Source)
	assert.True(t, cfg.QueueConfig.HasValue(), "a memory queue by default")
}

func TestLoadAllSettings(t *testing.T) {
	cfg := loadConfig(t, component.MustNewIDWithName(metadata.Type.String(), "all"))

	want := NewFactory().CreateDefaultConfig().(*Config)
	want.ClientConfig.Endpoint = "https://siem.example.com/security/events"
	want.ClientConfig.Timeout = 10 * time.Second
	want.ClientConfig.Compression = configcompression.TypeGzip
	want.ClientConfig.Headers = configopaque.MapList{{Name: "X-Tenant", Value: "blue"}}
	want.ClientConfig.TLS.CAFile = "/etc/ssl/siem-ca.pem"
	want.RetryConfig.InitialInterval = 2 * time.Second
	want.RetryConfig.MaxInterval = 120 * time.Second
	want.RetryConfig.MaxElapsedTime = 10 * time.Minute
	queue := *want.QueueConfig.Get()
	queue.NumConsumers = 4
	queue.QueueSize = 5000
	want.QueueConfig = configoptional.Some(queue)
	want.Source = "acme-dlp"
	want.ResourceAttributes = []string{"service.name", "host.name"}
	want.MaxConcurrentRequests = 16
	want.JSON.Batch = "ndjson"
	want.JSON.IncludeID = true
	want.ConnectionCheck.Enabled = true
	want.ConnectionCheck.FailOnError = true
	want.DeadLetter = DeadLetterConfig{Enabled: true, Directory: "_build/deadletter", MaxSizeMiB: 64, Sync: true}
	assert.Equal(t, want, cfg)
}

func TestInvalidConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		conf map[string]any
		want []string
	}{
		{"missing endpoint", map[string]any{}, []string{"endpoint: required", "https://siem.example.com/webhook"}},
		{"not http", map[string]any{"endpoint": "ftp://siem.example.com/x"}, []string{`endpoint: scheme "ftp" is not supported`, "http:// or https://"}},
		{"no host", map[string]any{"endpoint": "https:///webhook"}, []string{"has no host"}},
		{"no scheme", map[string]any{"endpoint": "siem.example.com/x"}, []string{`endpoint: missing scheme in "siem.example.com/x"; write https://siem.example.com/x`}},
		{"no scheme with port", map[string]any{"endpoint": "localhost:8088/x"}, []string{`endpoint: missing scheme in "localhost:8088/x"; write https://localhost:8088/x`}},
		{"not a URL", map[string]any{"endpoint": "https://siem example.com:port"}, []string{"is not a valid URL"}},
		{"unknown format", map[string]any{"endpoint": "https://x.example.com", "format": "xml"},
			[]string{`format: "xml" is not a known format`, "json, splunk_hec, datadog, datadog_logs, elastic, sentinel, secops, custom, body"}},
		{"unknown json batch", map[string]any{"endpoint": "https://x.example.com", "json": map[string]any{"batch": "lines"}},
			[]string{`json::batch: unknown layout "lines"`, `"ndjson"`}},
		{"empty source", map[string]any{"endpoint": "https://x.example.com", "source": " "}, []string{"source: must not be empty"}},
		{"no concurrency", map[string]any{"endpoint": "https://x.example.com", "max_concurrent_requests": 0},
			[]string{"max_concurrent_requests: 0 is not allowed", "1 or more"}},
		{"no timeout", map[string]any{"endpoint": "https://x.example.com", "timeout": "0s"},
			[]string{"timeout: 0s is not allowed", "a shutdown waits at most one timeout", "such as 30s"}},
		{"negative timeout", map[string]any{"endpoint": "https://x.example.com", "timeout": "-5s"}, []string{"timeout: -5s is not allowed"}},
		{"dead letters without a directory", map[string]any{"endpoint": "https://x.example.com", "dead_letter": map[string]any{"enabled": true}},
			[]string{"dead_letter::directory: required", "e.g. /var/lib/otelcol/deadletter"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(tt.conf).Unmarshal(cfg))
			err := confmap.Validate(cfg)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestUnknownFormatWithoutRegisteredFormatters: a build without Go
// formatters does not print an empty list of them.
func TestUnknownFormatWithoutRegisteredFormatters(t *testing.T) {
	require.Empty(t, builtin.Registered(), "this package's tests register no formatter")
	cfg := testCfg("https://siem.example.com/hook")
	cfg.Format = "xml"
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "or the name of a formatter registered in your build")
	assert.NotContains(t, err.Error(), "registered:")
}
