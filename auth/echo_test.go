package auth_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/auth"
	"github.com/sentyr/webhookexporter/internal/echosink"
)

// TestExporterEchoedExtensionCredentialsAreRedacted: what the extension's
// RoundTripper adds (API key, bearer token, Basic, OAuth2 access token)
// and a receiver echoes in its 400, 401 or 500 answer, in any usual
// encoding, is in no log line of the exporter and not in its error.
func TestExporterEchoedExtensionCredentialsAreRedacted(t *testing.T) {
	const (
		key    = "ext/k3y+val ue&1"
		bearer = "ext/b3arer+tok&2"
		pass   = "ext/p@ss+w rd&3"
	)
	for _, c := range []struct {
		name    string
		conf    func(ts interface{ TokenURL() string }) map[string]any
		secrets []string
	}{
		{"api_key", func(interface{ TokenURL() string }) map[string]any {
			return map[string]any{"api_key": map[string]any{"value": key}}
		}, []string{key}},
		{"bearer_token", func(interface{ TokenURL() string }) map[string]any {
			return map[string]any{"bearer_token": bearer}
		}, []string{bearer}},
		{"basic", func(interface{ TokenURL() string }) map[string]any {
			return map[string]any{"basic": map[string]any{"username": "svc", "password": pass}}
		}, []string{pass, "svc:" + pass}},
		{"oauth2", func(ts interface{ TokenURL() string }) map[string]any {
			return map[string]any{"oauth2": map[string]any{
				"token_url": ts.TokenURL(), "client_id": auth.TestClientID, "client_secret": auth.TestClientSecret,
			}}
		}, []string{auth.TestClientSecret}},
	} {
		for _, enc := range echosink.EncodingNames() {
			for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
				t.Run(fmt.Sprintf("%s/%s/%d", c.name, enc, status), func(t *testing.T) {
					ts := auth.NewTokenServer(t, time.Hour)
					s := echosink.New(t, status, echosink.Encodings[enc], echosink.Plain)
					core, logs := observer.New(zap.DebugLevel)
					send := exportThroughLogging(t, s.URL, c.conf(ts), func(cfg *webhookexporter.Config) {
						cfg.RetryConfig.Enabled = false
						cfg.ConnectionCheck.Enabled = true
					}, core)

					err := send(events(t, seedData))

					require.Error(t, err)
					secrets := c.secrets
					if c.name == "oauth2" {
						require.NotEmpty(t, s.Requests())
					}
					for _, r := range s.Requests() {
						if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && c.name == "oauth2" {
							secrets = append(secrets, tok)
						}
					}
					outputs := []string{err.Error()}
					for _, e := range logs.All() {
						outputs = append(outputs, e.Message+" "+fmt.Sprint(e.ContextMap()))
					}
					assert.Empty(t, echosink.Leaks(outputs, secrets))
					assert.Contains(t, strings.Join(outputs, "\n"), "[redacted]", "the echo reached the outputs")
				})
			}
		}
	}
}
