package auth

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/tokens"
)

func googleCfg(file string, inline []byte) *Config {
	cfg := createDefaultConfig().(*Config)
	g := cfg.GoogleServiceAccount.GetOrInsertDefault()
	g.CredentialsFile, g.CredentialsJSON = file, configopaque.String(inline)
	return cfg
}

func writeKey(t *testing.T, path string, key []byte) {
	t.Helper()
	// A new file replaces the old, as a mounted secret is rotated.
	tmp := path + ".new"
	require.NoError(t, os.WriteFile(tmp, key, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// One token, signed by the service account's key and taken by a token
// endpoint that checks its RS256 signature with the key's public half,
// serves 1,000 concurrent requests.
func TestGoogleServiceAccountOneTokenForManyRequests(t *testing.T) {
	g := tokens.NewGoogle(t, time.Hour)
	rec := testsink.NewRecorder(t, g.Protected)
	ext, _ := startExtension(t, googleCfg("", g.NewKey(t)))
	client := clientWith(t, ext, rec.URL, "")
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for range 1000 {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			post(t, client, rec.URL, []byte(`{"a":1}`), nil, http.StatusOK)
		})
	}
	wg.Wait()
	assert.Len(t, rec.Requests(), 1000)
	assert.EqualValues(t, 1, g.Fetches(), "one token for all")
	assert.Empty(t, g.Refusals())
}

// A key file replaced by a new key (the old one deleted at Google) is read
// again when the next token is due.
func TestGoogleServiceAccountRotatedKeyFile(t *testing.T) {
	g := tokens.NewGoogle(t, 10*time.Minute)
	rec := testsink.NewRecorder(t, g.Protected)
	path := filepath.Join(t.TempDir(), "key.json")
	writeKey(t, path, g.NewKey(t))
	ext, logs := startExtension(t, googleCfg(path, nil))
	var offset atomic.Int64
	ext.oauth.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	client := clientWith(t, ext, rec.URL, "")
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)

	writeKey(t, path, g.NewKey(t))
	offset.Store(int64(10 * time.Minute))
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
	assert.EqualValues(t, 2, g.Fetches())
	assert.Empty(t, g.Refusals(), "the second token was asked for with the new key")
	assert.Equal(t, path, logs.FilterMessage("Authenticating requests").All()[0].ContextMap()["credentials_file"])
}

// A 401 to a token the cache still holds (revoked early) fetches one new
// token and sends the request once more.
func TestGoogleServiceAccount401RefreshesOnce(t *testing.T) {
	g := tokens.NewGoogle(t, time.Hour)
	rec := testsink.NewRecorder(t, g.Protected)
	ext, _ := startExtension(t, googleCfg("", g.NewKey(t)))
	client := clientWith(t, ext, rec.URL, "")
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
	g.Revoke()
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
	assert.EqualValues(t, 2, g.Fetches())
	assert.Len(t, rec.Requests(), 3, "the refused request went once more")
}

// The private key and the signed assertion appear in no error and no log
// line, even when the token endpoint quotes the request in its refusal.
func TestGoogleServiceAccountLeaksNoKeyNorAssertion(t *testing.T) {
	g := tokens.NewGoogle(t, time.Hour)
	g.Echo.Store(true)
	rec := testsink.NewRecorder(t, g.Protected)
	key := g.NewKey(t)
	cfg := googleCfg("", key)
	// A scope the endpoint does not grant: it refuses, quoting the form.
	cfg.GoogleServiceAccount.Get().Scopes = []string{"https://www.googleapis.com/auth/other"}
	ext, logs := startExtension(t, cfg)
	client := clientWith(t, ext, rec.URL, "")
	req, err := http.NewRequest(http.MethodPost, rec.URL, strings.NewReader(`{}`))
	require.NoError(t, err)
	_, err = client.Do(req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_grant", "the endpoint's answer is quoted")

	var k struct {
		PrivateKey string `json:"private_key"`
	}
	require.NoError(t, json.Unmarshal(key, &k))
	assertions := g.Assertions()
	require.Len(t, assertions, 1)
	assertion := assertions[0]
	parts := strings.Split(assertion, ".")
	require.Len(t, parts, 3)
	var text []string
	text = append(text, err.Error())
	for _, e := range logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		text = append(text, e.Message+" "+string(line))
	}
	for _, s := range text {
		assert.NotContains(t, s, assertion)
		for _, p := range parts[1:] {
			assert.NotContains(t, s, p[:32], "a part of the assertion")
		}
		for _, l := range strings.Split(k.PrivateKey, "\n")[1:4] {
			assert.NotContains(t, s, l, "a line of the private key")
		}
	}
	assert.Empty(t, rec.Requests(), "nothing is sent without a token")
}

// Without a key in the settings, Application Default Credentials: the
// key file that GOOGLE_APPLICATION_CREDENTIALS names, else the metadata
// server (moved by GCE_METADATA_HOST, as in Google's libraries), asked
// once for many requests with the header it requires.
func TestGoogleServiceAccountApplicationDefault(t *testing.T) {
	g := tokens.NewGoogle(t, time.Hour)
	rec := testsink.NewRecorder(t, g.Protected)
	path := filepath.Join(t.TempDir(), "adc.json")
	writeKey(t, path, g.NewKey(t))
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
	ext, _ := startExtension(t, googleCfg("", nil))
	client := clientWith(t, ext, rec.URL, "")
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
	assert.EqualValues(t, 1, g.Fetches(), "the key file of GOOGLE_APPLICATION_CREDENTIALS")

	var asked atomic.Int64
	var query string
	metadata := testsink.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		asked.Add(1)
		query = r.URL.RawQuery
		_, _ = w.Write([]byte(`{"access_token":"ya29.metadata-token","expires_in":3599,"token_type":"Bearer"}`))
	})
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(metadata.URL, "http://"))
	cfg := googleCfg("", nil)
	cfg.GoogleServiceAccount.Get().Scopes = []string{"https://www.googleapis.com/auth/cloud-platform"}
	ext, _ = startExtension(t, cfg)
	api := testsink.NewRecorder(t, nil)
	client = clientWith(t, ext, api.URL, "")
	for range 20 {
		post(t, client, api.URL, []byte(`{}`), nil, http.StatusOK)
	}
	assert.EqualValues(t, 1, asked.Load())
	assert.Equal(t, "scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform", query)
	for _, r := range api.Requests() {
		assert.Equal(t, "Bearer ya29.metadata-token", r.Header.Get("Authorization"))
	}
}

// Settings that cannot work fail at load or at start, naming the field,
// never quoting the key.
func TestGoogleServiceAccountSettings(t *testing.T) {
	for _, c := range []struct {
		g    GoogleServiceAccountConfig
		want string
	}{
		{GoogleServiceAccountConfig{CredentialsFile: "k.json", CredentialsJSON: "{}"}, "both set"},
		{GoogleServiceAccountConfig{CredentialsJSON: "secret-not-json"}, "credentials_json: not a service account key: not JSON"},
		{GoogleServiceAccountConfig{CredentialsJSON: `{"type":"authorized_user","private_key":"secret-pem"}`}, `its type is "authorized_user"`},
		{GoogleServiceAccountConfig{CredentialsFile: "k.json", Scopes: []string{"a b"}}, "scopes[0]"},
	} {
		err := c.g.Validate()
		require.ErrorContains(t, err, c.want)
		assert.NotContains(t, err.Error(), "secret")
	}
	// A key file that is not a key fails start, naming the file only.
	path := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"private_key":"secret-pem"}`), 0o600))
	cfg := googleCfg(path, nil)
	ext, err := NewFactory().Create(t.Context(), extensionSettings(), cfg)
	require.NoError(t, err)
	err = ext.Start(t.Context(), nil)
	require.ErrorContains(t, err, "webhookauth google_service_account: not a service account key")
	assert.NotContains(t, err.Error(), "secret-pem")
}
