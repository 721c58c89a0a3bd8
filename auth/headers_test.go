package auth

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

func apiKeyCfg(c APIKeyConfig) *Config {
	cfg := createDefaultConfig().(*Config)
	v := cfg.APIKey.GetOrInsertDefault()
	v.Value, v.ValueFile = c.Value, c.ValueFile
	if c.Header != "" {
		v.Header = c.Header
	}
	return cfg
}

func basicCfg(c BasicConfig) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Basic = configoptional.Some(c)
	return cfg
}

func bearerCfg(token string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.BearerToken = configopaque.String(token)
	return cfg
}

// TestMethodHeaders sends a real request through a confighttp client
// built with the extension and checks the header each method sets.
//
// What it sends passes the method's Verify function with the same secret
// and fails it with another one, and no header fails it too.
func TestMethodHeaders(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cfg    *Config
		header string
		want   string
		verify func(h http.Header, secret string) bool
		secret string
	}{
		{"api key, default header", apiKeyCfg(APIKeyConfig{Value: "k-123"}), "X-API-Key", "k-123",
			func(h http.Header, s string) bool { return VerifyAPIKey(h, "X-API-Key", s) }, "k-123"},
		{"api key, custom header", apiKeyCfg(APIKeyConfig{Value: "Splunk hec-456", Header: "Authorization"}), "Authorization", "Splunk hec-456",
			func(h http.Header, s string) bool { return VerifyAPIKey(h, "Authorization", s) }, "Splunk hec-456"},
		{"bearer", bearerCfg("tok-789"), "Authorization", "Bearer tok-789", VerifyBearer, "tok-789"},
		{"basic", basicCfg(BasicConfig{Username: "svc", Password: "p@ss:word"}), "Authorization",
			"Basic " + base64.StdEncoding.EncodeToString([]byte("svc:p@ss:word")),
			func(h http.Header, s string) bool { return VerifyBasic(h, "svc", s) }, "p@ss:word"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := testsink.NewRecorder(t, nil)
			ext, _ := startExtension(t, tt.cfg)
			client := clientWith(t, ext, rec.URL, "")

			req, err := http.NewRequest(http.MethodPost, rec.URL, http.NoBody)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())

			got := rec.Requests()
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, got[0].Header.Get(tt.header))
			assert.Empty(t, req.Header.Get(tt.header), "the caller's request is not modified")
			assert.True(t, tt.verify(got[0].Header, tt.secret), "what the method sends verifies")
			assert.False(t, tt.verify(got[0].Header, tt.secret+"x"), "another secret does not verify")
			assert.False(t, tt.verify(got[0].Header, tt.secret[:len(tt.secret)-1]), "a shorter secret does not verify")
			assert.False(t, tt.verify(http.Header{}, tt.secret), "no header does not verify")
		})
	}
}

// TestSecretFilesAreReread checks the _file variants: the value comes
// from the file and a changed file is read again.
func TestSecretFilesAreReread(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cfg    func(path string) *Config
		header string
		want   func(secret string) string
	}{
		{"api_key value_file", func(p string) *Config { return apiKeyCfg(APIKeyConfig{ValueFile: p}) },
			"X-API-Key", func(s string) string { return s }},
		{"bearer_token_file", func(p string) *Config {
			cfg := createDefaultConfig().(*Config)
			cfg.BearerTokenFile = p
			return cfg
		}, "Authorization", func(s string) string { return "Bearer " + s }},
		{"basic password_file", func(p string) *Config { return basicCfg(BasicConfig{Username: "svc", PasswordFile: p}) },
			"Authorization", func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+s)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secret")
			writeSecret(t, path, "first-secret\n", time.Now().Add(-time.Hour))
			rec := testsink.NewRecorder(t, nil)
			ext, _ := startExtension(t, tt.cfg(path))
			client := clientWith(t, ext, rec.URL, "")

			post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
			writeSecret(t, path, "second-secret\n", time.Now())
			post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)

			got := rec.Requests()
			require.Len(t, got, 2)
			assert.Equal(t, tt.want("first-secret"), got[0].Header.Get(tt.header), "trailing newline dropped")
			assert.Equal(t, tt.want("second-secret"), got[1].Header.Get(tt.header), "the changed file is read again")
		})
	}
}

// writeSecret writes a file with an explicit modification time, so the
// change is seen without waiting for the clock to tick.
func writeSecret(t testing.TB, path, content string, mtime time.Time) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

func TestMissingSecretFileFailsStart(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.BearerTokenFile = filepath.Join(t.TempDir(), "absent")
	ext, err := NewFactory().Create(t.Context(), extensionSettings(), cfg)
	require.NoError(t, err)
	err = ext.Start(t.Context(), nil)
	require.ErrorContains(t, err, "absent")
	require.ErrorContains(t, err, "bearer_token")
}
