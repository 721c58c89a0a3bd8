package securityevents

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/sentyr/webhookexporter/receiver/securityevents/internal/metadata"
)

func TestConfigLoad(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	load := func(name string) *Config {
		cfg := NewFactory().CreateDefaultConfig()
		sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		require.NoError(t, cfg.(interface{ Validate() error }).Validate())
		return cfg.(*Config)
	}
	def := load("")
	assert.Equal(t, "localhost:8787", def.NetAddr.Endpoint)
	assert.Equal(t, "/events", def.Path)
	assert.Equal(t, time.Minute, def.ReadTimeout, "a stalled body is not waited on for ever")
	assert.Empty(t, def.Verify.Method)

	signed := load("signed")
	assert.Equal(t, "0.0.0.0:9787", signed.NetAddr.Endpoint)
	assert.Equal(t, "/webhook", signed.Path)
	assert.Equal(t, int64(1<<20), signed.MaxRequestBodySize)
	assert.Equal(t, VerifyConfig{Method: "hmac", Secret: "not-a-real-secret", Scheme: "raw", Header: "X-Hub-Signature-256", Prefix: "sha256="}, signed.Verify)

	basic := load("basic")
	assert.Equal(t, "svc", basic.Verify.Username)
}

// TestConfigValidate: each mistake fails at load with the field and the
// fix, never quoting the secret.
func TestConfigValidate(t *testing.T) {
	const secret = "s3cret-VALUE"
	for _, tt := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"path", func(c *Config) { c.Path = "events" }, `path: "events" must start with /`},
		{"negative body size", func(c *Config) { c.MaxRequestBodySize = -1 }, "max_request_body_size: must not be negative"},
		{"unknown method", func(c *Config) { c.Verify = VerifyConfig{Method: "oauth2", Secret: secret} }, `verify: method: "oauth2" is not known; write api_key, bearer_token, basic or hmac`},
		{"no method", func(c *Config) { c.Verify = VerifyConfig{Secret: secret} }, "verify: method: required when other verify settings are given"},
		{"no secret", func(c *Config) { c.Verify = VerifyConfig{Method: methodBearer} }, "verify: secret: required for method bearer_token (if it is written as ${env:NAME}, that variable is unset or empty)"},
		{"basic without username", func(c *Config) { c.Verify = VerifyConfig{Method: methodBasic, Secret: secret} }, "verify: username: required for method basic"},
		{"username elsewhere", func(c *Config) { c.Verify = VerifyConfig{Method: methodBearer, Secret: secret, Username: "u"} }, "verify: username: required for method basic and only for it"},
		{"header on bearer", func(c *Config) { c.Verify = VerifyConfig{Method: methodBearer, Secret: secret, Header: "X"} }, "verify: header: only methods api_key and hmac take a header"},
		{"scheme on api_key", func(c *Config) { c.Verify = VerifyConfig{Method: methodAPIKey, Secret: secret, Scheme: "raw"} }, "verify: scheme, prefix and timestamp_header: only method hmac takes them"},
		{"unknown scheme", func(c *Config) { c.Verify = VerifyConfig{Method: methodHMAC, Secret: secret, Scheme: "sha1"} }, `verify: scheme: "sha1" is not known`},
		{"prefix on sorted_json", func(c *Config) { c.Verify = VerifyConfig{Method: methodHMAC, Secret: secret, Prefix: "sha256="} }, "verify: prefix and timestamp_header: only scheme raw takes them"},
		{"standard_webhooks secret", func(c *Config) {
			c.Verify = VerifyConfig{Method: methodHMAC, Secret: secret, Scheme: "standard_webhooks"}
		}, "verify: secret: standard_webhooks takes whsec_ followed by the base64 of the key"},
		{"standard_webhooks header", func(c *Config) {
			c.Verify = VerifyConfig{Method: methodHMAC, Secret: whsec, Scheme: "standard_webhooks", Header: "X-Signature"}
		}, "verify: header: standard_webhooks reads the webhook-signature header"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.change(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secret)
		})
	}
	for _, v := range []VerifyConfig{
		{Method: methodAPIKey, Secret: secret, Header: "Authorization"},
		{Method: methodBearer, Secret: secret},
		{Method: methodBasic, Secret: secret, Username: "svc"},
		{Method: methodHMAC, Secret: secret},
		{Method: methodHMAC, Secret: secret, Scheme: "seed"},
		{Method: methodHMAC, Secret: secret, Scheme: "raw", Prefix: "sha256=", TimestampHeader: "X-Timestamp"},
		{Method: methodHMAC, Secret: whsec, Scheme: "standard_webhooks"},
	} {
		cfg := createDefaultConfig().(*Config)
		cfg.Verify = v
		assert.NoError(t, cfg.Validate(), "%+v", v)
	}
}
