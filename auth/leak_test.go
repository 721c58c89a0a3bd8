package auth

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestSecretsNeverLogged runs every method, through successes and
// failures, with all log output at debug level captured, and looks for
// each secret (and each access token) in the log lines, their fields and
// the errors returned.
func TestSecretsNeverLogged(t *testing.T) {
	swKey := "LEAK-standard-webhooks-key-bytes"
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte(swKey))
	secrets := []string{"LEAK-api-key", "LEAK-bearer", "LEAK-basic-pw", "LEAK-hmac-seed", "LEAK-hmac-raw",
		whsec, swKey, testClientSecret, "LEAK-wrong-client-secret"}

	ts := newTokenServer(t, time.Hour)
	var outputs []string
	var allLogs []*observer.ObservedLogs
	send := func(cfg *Config, body string, endpointStatus testsink.Handler, revokeAfterFirst bool) {
		rec := testsink.NewRecorder(t, endpointStatus)
		ext, logs := startExtension(t, cfg)
		allLogs = append(allLogs, logs)
		client := clientWith(t, ext, rec.URL, "")
		for i := range 2 {
			req, err := http.NewRequest(http.MethodPost, rec.URL, strings.NewReader(body))
			require.NoError(t, err)
			resp, err := client.Do(req)
			if err != nil {
				outputs = append(outputs, err.Error())
				continue
			}
			require.NoError(t, resp.Body.Close())
			if i == 0 && revokeAfterFirst {
				for _, r := range rec.Requests() {
					ts.Revoke(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
				}
			}
		}
		for _, r := range rec.Requests() {
			if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && cfg.OAuth2.HasValue() {
				secrets = append(secrets, tok)
			}
		}
	}

	send(apiKeyCfg(APIKeyConfig{Value: "LEAK-api-key"}), `{}`, nil, false)
	send(bearerCfg("LEAK-bearer"), `{}`, nil, false)
	send(basicCfg(BasicConfig{Username: "svc", Password: "LEAK-basic-pw"}), `{}`, nil, false)
	send(hmacCfg(HMACConfig{Secret: "LEAK-hmac-seed"}), `{"a":1}`, nil, false)
	send(hmacCfg(HMACConfig{Secret: "LEAK-hmac-seed"}), `not json`, nil, false)
	send(hmacCfg(HMACConfig{Scheme: SchemeRaw, Secret: "LEAK-hmac-raw", TimestampHeader: "X-Ts"}), `{}`, nil, false)
	send(swCfg(configopaque.String(whsec)), `{}`, nil, false)
	send(oauthCfg(ts.TokenURL(), testClientSecret), `{}`, ts.Protected, true)
	send(oauthCfg(ts.TokenURL(), "LEAK-wrong-client-secret"), `{}`, ts.Protected, false)

	// A broken Standard Webhooks secret is reported without quoting it.
	bad := swCfg("whsec_LEAK!!not-base64")
	secrets = append(secrets, "whsec_LEAK!!not-base64", "LEAK!!not-base64")
	outputs = append(outputs, fmt.Sprint(bad.HMAC.Get().Validate()))

	entries := 0
	for _, logs := range allLogs {
		for _, e := range logs.All() {
			entries++
			outputs = append(outputs, e.Message, fmt.Sprint(e.ContextMap()))
		}
	}
	require.Positive(t, entries, "the runs logged something")
	require.GreaterOrEqual(t, len(secrets), 11, "access tokens were collected")
	for _, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s)
		}
	}
	joined := strings.Join(outputs, "\n")
	assert.Contains(t, joined, "invalid_client", "the failures were captured")
	assert.Contains(t, joined, "401", "the token retry was captured")
	assert.Contains(t, joined, "json.loads", "the guide scheme's refusal was captured")
}
