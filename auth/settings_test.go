package auth

import (
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap/zapcore"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestConfigRefusesWhatCannotBeSent: header names that are not HTTP
// tokens and credentials with a line break fail at load, naming the field
// and never quoting the credential, instead of failing every request.
func TestConfigRefusesWhatCannotBeSent(t *testing.T) {
	const secretPart = "s3cr3t-part"
	for _, tt := range []struct {
		name      string
		configure func(cfg *Config)
		field     string
	}{
		{"api_key value", func(cfg *Config) {
			cfg.APIKey = configoptional.Some(APIKeyConfig{Value: secretPart + "\n", Header: "X-API-Key"})
		}, "value: contains a line break"},
		{"api_key header", func(cfg *Config) {
			cfg.APIKey = configoptional.Some(APIKeyConfig{Value: secretPart, Header: "X API Key"})
		}, `header: "X API Key" is not a valid HTTP header name`},
		{"bearer_token", func(cfg *Config) { cfg.BearerToken = secretPart + "\r\n" }, "bearer_token: contains a line break"},
		{"basic username", func(cfg *Config) {
			cfg.Basic = configoptional.Some(BasicConfig{Username: "svc\r" + secretPart, Password: secretPart})
		}, "username: contains a line break"},
		{"basic password", func(cfg *Config) {
			cfg.Basic = configoptional.Some(BasicConfig{Username: "svc", Password: secretPart + "\n"})
		}, "password: contains a line break"},
		{"hmac header", func(cfg *Config) {
			cfg.HMAC = configoptional.Some(HMACConfig{Scheme: SchemeSortedJSON, Secret: secretPart, Header: "X-Signature:"})
		}, `header: "X-Signature:" is not a valid HTTP header name`},
		{"hmac timestamp_header", func(cfg *Config) {
			cfg.HMAC = configoptional.Some(HMACConfig{Scheme: SchemeRaw, Secret: secretPart, Header: "X-Signature", TimestampHeader: "X Timestamp"})
		}, `timestamp_header: "X Timestamp" is not a valid HTTP header name`},
		{"hmac prefix", func(cfg *Config) {
			cfg.HMAC = configoptional.Some(HMACConfig{Scheme: SchemeRaw, Secret: secretPart, Header: "X-Signature", Prefix: "sha256=\n"})
		}, "prefix: contains a line break"},
		{"oauth2 client_id", func(cfg *Config) {
			cfg.OAuth2 = configoptional.Some(OAuth2Config{TokenURL: "https://auth.example.com/token", ClientID: "id\n" + secretPart, ClientSecret: secretPart})
		}, "client_id: contains a line break"},
		{"oauth2 client_secret", func(cfg *Config) {
			cfg.OAuth2 = configoptional.Some(OAuth2Config{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: secretPart + "\n"})
		}, "client_secret: contains a line break"},
		{"oauth2 endpoint_params", func(cfg *Config) {
			cfg.OAuth2 = configoptional.Some(OAuth2Config{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: secretPart,
				EndpointParams: url.Values{"audience": {"https://api.example.com\n" + secretPart}}})
		}, "endpoint_params::audience: contains a line break"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{}
			tt.configure(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.field)
			assert.NotContains(t, err.Error(), secretPart)
		})
	}
}

// TestOAuth2UnsafeSettingsWarnOnce: a token client that does not check
// certificates, and a token_url in clear text to another host, are each
// logged once at start; a loopback http:// token_url is not.
func TestOAuth2UnsafeSettingsWarnOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		configure func(o *OAuth2Config)
		warning   string // "" for none
	}{
		{"insecure_skip_verify", func(o *OAuth2Config) { o.TLS.InsecureSkipVerify = true }, "oauth2::tls::insecure_skip_verify is true"},
		{"http token_url", func(o *OAuth2Config) { o.TokenURL = "http://auth.example.com/oauth/token?tenant=x" }, "oauth2::token_url is plain http://"},
		{"http token_url on loopback", func(o *OAuth2Config) { o.TokenURL = "http://127.0.0.1:8080/oauth/token" }, ""},
		{"https token_url", func(*OAuth2Config) {}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oauthCfg("https://auth.example.com/oauth/token", testClientSecret)
			tt.configure(cfg.OAuth2.Get())
			require.NoError(t, confmap.Validate(cfg))
			_, logs := startExtension(t, cfg)
			if tt.warning == "" {
				assert.Zero(t, logs.FilterLevelExact(zapcore.WarnLevel).Len())
				return
			}
			got := logs.FilterMessageSnippet(tt.warning)
			require.Equal(t, 1, got.Len(), "warned once")
			assert.Equal(t, zapcore.WarnLevel, got.All()[0].Level)
			assert.NotContains(t, got.All()[0].ContextMap()["token_url"], "tenant", "no query in the line")
			assert.Equal(t, 1, logs.FilterLevelExact(zapcore.WarnLevel).Len())
		})
	}
}

// TestOAuth2TokensShorterThanTheBuffer: tokens that live 30s under the
// default 1m expiry_buffer used to be fetched again for every request.
// Each is now kept for half its lifetime, and the mismatch is logged once
// however many tokens come.
func TestOAuth2TokensShorterThanTheBuffer(t *testing.T) {
	ts := newTokenServer(t, 30*time.Second)
	rec := testsink.NewRecorder(t, ts.Protected)
	ext, logs := startExtension(t, oauthCfg(ts.TokenURL(), testClientSecret))
	var offset atomic.Int64
	ext.oauth.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	client := clientWith(t, ext, rec.URL, "")

	for _, step := range []struct {
		after       time.Duration
		wantFetches int64
	}{
		{0, 1},
		{0, 1},
		{10 * time.Second, 1},
		{16 * time.Second, 2}, // past half the first token's life
		{26 * time.Second, 2},
		{32 * time.Second, 3},
	} {
		offset.Store(int64(step.after))
		post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
		assert.Equal(t, step.wantFetches, ts.Requests(), "token requests after %s", step.after)
	}
	warned := logs.FilterMessageSnippet("OAuth2 tokens live no longer than oauth2::expiry_buffer")
	require.Equal(t, 1, warned.Len(), "warned once, at the first token")
	fields := warned.All()[0].ContextMap()
	assert.Equal(t, time.Minute, fields["expiry_buffer"])
	assert.Equal(t, 30*time.Second, fields["lifetime"])
}
