package auth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/echosink"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestTokenEndpointEchoIsRedacted: a token endpoint whose refusal echoes
// the request (client_secret as a form field, URL-encoded, and inside
// Basic) in its body or its error_description puts the secret, in none of
// its encodings, into the error or a log line.
func TestTokenEndpointEchoIsRedacted(t *testing.T) {
	const secret = "cl/13nt+s3cr3t &x"
	oauthError := func(echo string) []byte {
		b, _ := json.Marshal(map[string]string{"error": "invalid_client", "error_description": echo})
		return b
	}
	for shapeName, shape := range map[string]echosink.Shape{"plain": echosink.Plain, "oauth2 error": oauthError} {
		for _, enc := range echosink.EncodingNames() {
			for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
				t.Run(fmt.Sprintf("%s/%s/%d", shapeName, enc, status), func(t *testing.T) {
					s := echosink.New(t, status, echosink.Encodings[enc], shape)
					rec := testsink.NewRecorder(t, nil)
					ext, logs := startExtension(t, oauthCfg(s.URL+"/oauth/token", secret))
					client := clientWith(t, ext, rec.URL, "")

					req, err := http.NewRequest(http.MethodPost, rec.URL, strings.NewReader(`{}`))
					require.NoError(t, err)
					_, err = client.Do(req)

					require.Error(t, err)
					outputs := []string{err.Error()}
					for _, e := range logs.All() {
						outputs = append(outputs, e.Message+" "+fmt.Sprint(e.ContextMap()))
					}
					assert.Empty(t, echosink.Leaks(outputs, []string{secret, testClientID + ":" + secret}))
					assert.Contains(t, strings.Join(outputs, "\n"), "[redacted]", "the echo reached the outputs")
					assert.Empty(t, rec.Requests())
				})
			}
		}
	}
}

// TestTokenURLErrorQuotesNoSecret: a refused token_url is quoted without
// user info and query.
func TestTokenURLErrorQuotesNoSecret(t *testing.T) {
	for _, raw := range []string{"ftp://u:SECRET-1@auth.example.com/token?k=SECRET-2", "https://u:SECRET-1@auth example.com/token?k=SECRET-2"} {
		err := oauthCfg(raw, "s").OAuth2.Get().Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "token_url:")
		assert.Contains(t, err.Error(), "auth")
		assert.NotContains(t, err.Error(), "SECRET")
	}
}
