package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// githubSignature is how GitHub documents X-Hub-Signature-256, written
// out here independently of the package's helpers.
func githubSignature(secret string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// TestRawScheme signs the bytes as sent, compressed or not, in GitHub's
// form with prefix sha256=, and with a timestamp header.
func TestRawScheme(t *testing.T) {
	for _, compression := range []configcompression.Type{"", configcompression.TypeGzip} {
		t.Run("github form, compression="+string(compression), func(t *testing.T) {
			rec := testsink.NewRecorder(t, nil)
			cfg := hmacCfg(HMACConfig{Scheme: SchemeRaw, Secret: "gh-secret", Header: "X-Hub-Signature-256", Prefix: "sha256="})
			ext, _ := startExtension(t, cfg)
			post(t, clientWith(t, ext, rec.URL, compression), rec.URL, []byte(seedPayloads["emoji"]), nil, http.StatusOK)
			r := rec.Requests()[0]
			assert.Equal(t, githubSignature("gh-secret", r.Raw), r.Header.Get("X-Hub-Signature-256"))
			assert.True(t, VerifyRaw(r.Raw, r.Header.Get("X-Hub-Signature-256"), "sha256=", "gh-secret"))
			assert.False(t, VerifyRaw(append(r.Raw, ' '), r.Header.Get("X-Hub-Signature-256"), "sha256=", "gh-secret"))
		})
	}

	t.Run("timestamped", func(t *testing.T) {
		rec := testsink.NewRecorder(t, nil)
		cfg := hmacCfg(HMACConfig{Scheme: SchemeRaw, Secret: "k", TimestampHeader: "X-Timestamp"})
		ext, _ := startExtension(t, cfg)
		fixed := time.Now().Add(-time.Minute).Truncate(time.Second)
		ext.now = func() time.Time { return fixed }
		body := []byte(seedPayloads["floats"])
		post(t, clientWith(t, ext, rec.URL, ""), rec.URL, body, nil, http.StatusOK)
		r := rec.Requests()[0]
		ts := r.Header.Get("X-Timestamp")
		require.Equal(t, strconv.FormatInt(fixed.Unix(), 10), ts)
		sig := r.Header.Get("X-Signature")
		mac := hmac.New(sha256.New, []byte("k"))
		mac.Write([]byte(ts + "." + string(body)))
		assert.Equal(t, hex.EncodeToString(mac.Sum(nil)), sig, "covers <ts>.<body>")

		assert.NoError(t, VerifyRawTimestamped(r.Raw, sig, "", ts, 0, "k"))
		assert.ErrorIs(t, VerifyRawTimestamped(r.Raw, sig, "", ts, 0, "other"), ErrSignatureMismatch)
		assert.ErrorIs(t, VerifyRawTimestamped(r.Raw, sig, "", strconv.FormatInt(fixed.Unix()+1, 10), 0, "k"), ErrSignatureMismatch)
		assert.ErrorIs(t, VerifyRawTimestamped(r.Raw, sig, "", ts, 30*time.Second, "k"), ErrTimestampTooOld)
		assert.ErrorIs(t, VerifyRawTimestamped(r.Raw, sig, "", "yesterday", 0, "k"), ErrTimestamp)
	})

	t.Run("rotation", func(t *testing.T) {
		rec := testsink.NewRecorder(t, nil)
		ext, _ := startExtension(t, hmacCfg(HMACConfig{Scheme: SchemeRaw, Secrets: []configopaque.String{"a", "b"}}))
		post(t, clientWith(t, ext, rec.URL, ""), rec.URL, []byte(`{}`), nil, http.StatusOK)
		r := rec.Requests()[0]
		sig := r.Header.Get("X-Signature")
		assert.True(t, VerifyRaw(r.Raw, sig, "", "a"))
		assert.True(t, VerifyRaw(r.Raw, sig, "", "b"))
		assert.False(t, VerifyRaw(r.Raw, sig, "", "c"))
	})
}

// TestHMACSecretFileRotation: secret_file holds one secret per line and
// is read again when it changes.
func TestHMACSecretFileRotation(t *testing.T) {
	path := t.TempDir() + "/hmac"
	writeSecret(t, path, "first\n", time.Now().Add(-time.Hour))
	rec := testsink.NewRecorder(t, nil)
	ext, _ := startExtension(t, hmacCfg(HMACConfig{Scheme: SchemeRaw, SecretFile: path}))
	client := clientWith(t, ext, rec.URL, "")
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)
	writeSecret(t, path, "first\nsecond\n", time.Now())
	post(t, client, rec.URL, []byte(`{}`), nil, http.StatusOK)

	got := rec.Requests()
	assert.True(t, VerifyRaw(got[0].Raw, got[0].Header.Get("X-Signature"), "", "first"))
	assert.False(t, VerifyRaw(got[0].Raw, got[0].Header.Get("X-Signature"), "", "second"))
	assert.True(t, VerifyRaw(got[1].Raw, got[1].Header.Get("X-Signature"), "", "second"), "the new file is used")
	assert.True(t, VerifyRaw(got[1].Raw, got[1].Header.Get("X-Signature"), "", "first"))
}
