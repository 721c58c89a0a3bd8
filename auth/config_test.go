package auth

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/sentyr/webhookexporter/auth/internal/metadata"
)

// loadConfig unmarshals one entry of testdata/config.yaml over the
// defaults, as the collector does.
func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestLoadConfig(t *testing.T) {
	for _, tt := range []struct {
		name  string
		check func(t *testing.T, cfg *Config)
	}{
		{"key", func(t *testing.T, cfg *Config) {
			assert.Equal(t, APIKeyConfig{Value: "k-123", Header: "X-API-Key"}, *cfg.APIKey.Get())
		}},
		{"splunk", func(t *testing.T, cfg *Config) {
			assert.Equal(t, APIKeyConfig{Value: "Splunk hec-token", Header: "Authorization"}, *cfg.APIKey.Get())
		}},
		{"token", func(t *testing.T, cfg *Config) { assert.Equal(t, configopaque.String("tok-456"), cfg.BearerToken) }},
		{"token_file", func(t *testing.T, cfg *Config) { assert.Equal(t, "/run/secrets/token", cfg.BearerTokenFile) }},
		{"basic", func(t *testing.T, cfg *Config) {
			assert.Equal(t, BasicConfig{Username: "svc", Password: "pw-789"}, *cfg.Basic.Get())
		}},
		{"sign", func(t *testing.T, cfg *Config) {
			assert.Equal(t, HMACConfig{Scheme: SchemeSortedJSON, Secret: "your-secret-key", Header: "X-Signature"}, *cfg.HMAC.Get())
		}},
		{"github", func(t *testing.T, cfg *Config) {
			assert.Equal(t, HMACConfig{Scheme: SchemeRaw, SecretFile: "/run/secrets/github", Header: "X-Hub-Signature-256", Prefix: "sha256="}, *cfg.HMAC.Get())
		}},
		{"svix", func(t *testing.T, cfg *Config) {
			assert.Len(t, cfg.HMAC.Get().Secrets, 2)
			assert.Equal(t, SchemeStandardWebhooks, cfg.HMAC.Get().Scheme)
		}},
		{"oauth", func(t *testing.T, cfg *Config) {
			o := cfg.OAuth2.Get()
			assert.Equal(t, "https://auth.example.com/oauth/token", o.TokenURL)
			assert.Equal(t, configopaque.String("cs-000"), o.ClientSecret)
			assert.Equal(t, time.Minute, o.ExpiryBuffer, "the guide's buffer by default")
			assert.Equal(t, 10*time.Second, o.Timeout)
		}},
		{"oauth_all", func(t *testing.T, cfg *Config) {
			o := cfg.OAuth2.Get()
			assert.Equal(t, "/run/secrets/client_secret", o.ClientSecretFile)
			assert.Equal(t, []string{"events_write"}, o.Scopes)
			assert.Equal(t, url.Values{"audience": {"https://api.datadoghq.com"}}, o.EndpointParams)
			assert.Equal(t, 5*time.Second, o.Timeout)
			assert.Equal(t, 2*time.Minute, o.ExpiryBuffer)
			assert.Equal(t, "/etc/ssl/auth-ca.pem", o.TLS.CAFile)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadConfig(t, tt.name)
			require.NoError(t, confmap.Validate(cfg))
			assert.Len(t, cfg.methods(), 1)
			tt.check(t, cfg)
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		want []string
	}{
		{"none", []string{"no authentication method configured; configure exactly one of api_key, bearer_token, basic, hmac, oauth2 or google_service_account",
			"a secret written as ${env:NAME} counts as not set when that variable is unset or empty"}},
		{"two", []string{"2 authentication methods configured (bearer_token, basic); configure exactly one of api_key, bearer_token, basic, hmac, oauth2 or google_service_account"}},
		{"bearer_both", []string{"bearer_token and bearer_token_file are both set"}},
		{"key_missing", []string{"api_key: value: required; set value or value_file (if it is written as ${env:NAME}, that variable is unset or empty)"}},
		{"basic_no_user", []string{"basic: username: required"}},
		{"hmac_scheme", []string{`hmac: scheme: "sha1" is not known; write one of sorted_json (default), raw, standard_webhooks`}},
		{"hmac_two_secrets", []string{"hmac: set exactly one of secret, secrets (a list, for rotation) or secret_file"}},
		{"hmac_prefix_seed", []string{`hmac: prefix: only the raw scheme takes a prefix (scheme is "sorted_json")`}},
		{"hmac_whsec", []string{"hmac: secret: not a Standard Webhooks secret; write whsec_ followed by the base64 key"}},
		{"oauth_missing", []string{`oauth2: token_url: "ftp://auth.example.com/token" is not an http:// or https:// URL`,
			"client_id: required", "client_secret: required; set client_secret or client_secret_file (if it is written as ${env:NAME}"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, tt.name))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "not base64!", "a secret is never quoted")
		})
	}
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, component.StabilityLevelAlpha, f.Stability())
	cfg := f.CreateDefaultConfig()
	assert.Error(t, confmap.Validate(cfg), "no method until the user picks one")
	_, err := f.Create(t.Context(), extensionSettings(), cfg)
	assert.Error(t, err)
}

// TestEmptySecretNamesEnvVariable: a secret that resolved to nothing says
// that the variable behind it may be unset, since its name is gone by now.
func TestEmptySecretNamesEnvVariable(t *testing.T) {
	for name, cfg := range map[string]*HMACConfig{
		"none":          {Header: "X-Signature"},
		"empty in list": {Header: "X-Signature", Secrets: []configopaque.String{"k", ""}},
	} {
		t.Run(name, func(t *testing.T) {
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "if it is written as ${env:NAME}, that variable is unset or empty")
		})
	}
}
