package auth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

func oauthCfg(tokenURL, secret string) *Config {
	cfg := createDefaultConfig().(*Config)
	o := cfg.OAuth2.GetOrInsertDefault()
	o.TokenURL, o.ClientID, o.ClientSecret = tokenURL, testClientID, configopaque.String(secret)
	return cfg
}

// TestOAuth2ConcurrentRequestsShareOneToken: 200 requests at once cost
// one token request, and every one carries the server's live token.
func TestOAuth2ConcurrentRequestsShareOneToken(t *testing.T) {
	ts := newTokenServer(t, time.Hour)
	rec := testsink.NewRecorder(t, ts.Protected)
	ext, _ := startExtension(t, oauthCfg(ts.TokenURL(), testClientSecret))
	client := clientWith(t, ext, rec.URL, "")

	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() { post(t, client, rec.URL, []byte(`{"a":1}`), nil, http.StatusOK) })
	}
	wg.Wait()
	assert.Len(t, rec.Requests(), 200)
	assert.EqualValues(t, 1, ts.Requests(), "one token request for all")
}

// TestOAuth2RefreshInsideExpiryBuffer: a token that lives 2 minutes is
// reused until it is within the 1-minute buffer of expiry, then
// replaced. The extension's clock is moved instead of waiting.
func TestOAuth2RefreshInsideExpiryBuffer(t *testing.T) {
	ts := newTokenServer(t, 2*time.Minute)
	rec := testsink.NewRecorder(t, ts.Protected)
	ext, _ := startExtension(t, oauthCfg(ts.TokenURL(), testClientSecret))
	var offset atomic.Int64
	ext.oauth.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	client := clientWith(t, ext, rec.URL, "")

	for _, step := range []struct {
		after       time.Duration
		wantFetches int64
	}{
		{0, 1},
		{30 * time.Second, 1},
		{55 * time.Second, 1}, // 65s left: outside the buffer
		{61 * time.Second, 2}, // 59s left: inside the buffer
		{61*time.Second + 55*time.Second, 2},
		{61*time.Second + 61*time.Second, 3},
	} {
		offset.Store(int64(step.after))
		post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
		assert.Equal(t, step.wantFetches, ts.Requests(), "token requests after %s", step.after)
	}
	got := rec.Requests()
	auth := func(i int) string { return got[i].Header.Get("Authorization") }
	assert.Equal(t, auth(0), auth(2))
	assert.NotEqual(t, auth(2), auth(3), "the refreshed token is used")
}

// TestOAuth2RetryAfter401: when the endpoint rejects a token the cache
// still holds (revoked early), the request is sent once more with one new
// token, and the caller sees the success.
func TestOAuth2RetryAfter401(t *testing.T) {
	for _, compression := range []configcompression.Type{"", configcompression.TypeGzip} {
		t.Run("compression="+string(compression), func(t *testing.T) {
			ts := newTokenServer(t, time.Hour)
			rec := testsink.NewRecorder(t, ts.Protected)
			ext, logs := startExtension(t, oauthCfg(ts.TokenURL(), testClientSecret))
			client := clientWith(t, ext, rec.URL, compression)

			post(t, client, rec.URL, []byte(`{"n":1}`), nil, http.StatusOK)
			first := rec.Requests()[0].Header.Get("Authorization")
			ts.Revoke(strings.TrimPrefix(first, "Bearer "))

			post(t, client, rec.URL, []byte(`{"n":2}`), nil, http.StatusOK)
			got := rec.Requests()
			require.Len(t, got, 3, "the rejected send and one resend")
			assert.EqualValues(t, 2, ts.Requests(), "exactly one new token")
			assert.Equal(t, first, got[1].Header.Get("Authorization"))
			assert.NotEqual(t, first, got[2].Header.Get("Authorization"))
			assert.Equal(t, got[1].Raw, got[2].Raw, "the resend carries the same body")
			assert.NotEmpty(t, got[2].Raw)
			assert.Equal(t, 1, logs.FilterMessageSnippet("401").Len())
		})
	}
}

// TestOAuth2RetriesOnlyOnce: an endpoint that keeps answering 401 sees
// two sends per request, not a loop, and the caller gets the 401.
func TestOAuth2RetriesOnlyOnce(t *testing.T) {
	ts := newTokenServer(t, time.Hour)
	rec := testsink.NewRecorder(t, testsink.Status(func(*http.Request, int) int { return http.StatusUnauthorized }))
	ext, _ := startExtension(t, oauthCfg(ts.TokenURL(), testClientSecret))
	post(t, clientWith(t, ext, rec.URL, ""), rec.URL, []byte(`{}`), nil, http.StatusUnauthorized)
	assert.Len(t, rec.Requests(), 2)
	assert.EqualValues(t, 2, ts.Requests())
}

// TestOAuth2TokenRequestFailures: failures of the token endpoint reach
// the caller as retryable errors that name the endpoint, the status and
// the OAuth2 error code, never the secret; nothing reaches the webhook.
func TestOAuth2TokenRequestFailures(t *testing.T) {
	ts := newTokenServer(t, time.Hour)
	down := testsink.NewRecorder(t, testsink.Status(func(*http.Request, int) int { return http.StatusServiceUnavailable }))
	for _, tt := range []struct {
		name     string
		tokenURL string
		secret   string
		want     []string
	}{
		{"wrong client secret", ts.TokenURL(), "wr0ng-s3cr3t-value", []string{
			"OAuth2 token request to " + ts.TokenURL() + " failed", "401 Unauthorized", `error "invalid_client"`, "check client_id and client_secret"}},
		{"token endpoint down", down.URL + "/token?tenant=t1", testClientSecret, []string{
			"OAuth2 token request to " + down.URL + "/token?... failed", "503 Service Unavailable"}},
		{"token endpoint unreachable", "http://127.0.0.1:1/token", testClientSecret, []string{
			"OAuth2 token request to http://127.0.0.1:1/token failed", "connection refused"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := testsink.NewRecorder(t, nil)
			ext, logs := startExtension(t, oauthCfg(tt.tokenURL, tt.secret))
			req, err := http.NewRequest(http.MethodPost, rec.URL, bytes.NewReader([]byte(`{}`)))
			require.NoError(t, err)
			_, err = clientWith(t, ext, rec.URL, "").Do(req)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), tt.secret)
			assert.NotContains(t, err.Error(), "t1", "the token URL's query may hold a credential")
			assert.False(t, consumererror.IsPermanent(err), "the exporter retries")
			assert.Empty(t, rec.Requests())
			assert.Equal(t, 1, logs.FilterMessage("OAuth2 token request failed").Len())
		})
	}
}

// TestOAuth2TokenRequestFields: scopes and endpoint_params reach the
// token endpoint.
func TestOAuth2TokenRequestFields(t *testing.T) {
	ts := newTokenServer(t, time.Hour)
	rec := testsink.NewRecorder(t, nil)
	cfg := oauthCfg(ts.TokenURL(), testClientSecret)
	o := cfg.OAuth2.Get()
	o.Scopes = []string{"events.write", "events.read"}
	o.EndpointParams = url.Values{"audience": {"https://api.datadoghq.com"}}
	ext, _ := startExtension(t, cfg)
	post(t, clientWith(t, ext, rec.URL, ""), rec.URL, []byte(`{}`), nil, http.StatusOK)
	require.Len(t, ts.Forms(), 1)
	assert.Equal(t, "client_credentials", ts.Forms()[0].Get("grant_type"))
	assert.Equal(t, "events.write events.read", ts.Forms()[0].Get("scope"))
	assert.Equal(t, "https://api.datadoghq.com", ts.Forms()[0].Get("audience"))
}

// TestOAuth2ClientSecretFile: the secret comes from the file, and a
// corrected file is used by the next token request.
func TestOAuth2ClientSecretFile(t *testing.T) {
	ts := newTokenServer(t, time.Hour)
	rec := testsink.NewRecorder(t, ts.Protected)
	path := t.TempDir() + "/client_secret"
	writeSecret(t, path, "stale-secret\n", time.Now().Add(-time.Hour))
	cfg := oauthCfg(ts.TokenURL(), "")
	cfg.OAuth2.Get().ClientSecretFile = path
	ext, _ := startExtension(t, cfg)
	client := clientWith(t, ext, rec.URL, "")

	req, err := http.NewRequest(http.MethodPost, rec.URL, http.NoBody)
	require.NoError(t, err)
	_, err = client.Do(req)
	require.ErrorContains(t, err, "invalid_client")

	writeSecret(t, path, testClientSecret+"\n", time.Now())
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
}

// TestOAuth2TokenRedirectIsNotFollowed: a token endpoint that answers 307
// does not get client_secret sent on to its Location.
func TestOAuth2TokenRedirectIsNotFollowed(t *testing.T) {
	ts := newTokenServer(t, time.Hour)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ts.TokenURL(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(moved.Close)
	rec := testsink.NewRecorder(t, ts.Protected)
	ext, _ := startExtension(t, oauthCfg(moved.URL+"/oauth/token", testClientSecret))
	client := clientWith(t, ext, rec.URL, "")

	req, err := http.NewRequest(http.MethodPost, rec.URL, strings.NewReader(`{}`))
	require.NoError(t, err)
	_, err = client.Do(req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "307")
	assert.Zero(t, ts.Requests(), "nothing reaches the Location")
	assert.Empty(t, rec.Requests())
}
