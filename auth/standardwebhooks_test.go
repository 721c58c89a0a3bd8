package auth

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

var (
	whsecOld = "whsec_" + base64.StdEncoding.EncodeToString([]byte("old signing key, 32 bytes long!!"))
	whsecNew = "whsec_" + base64.StdEncoding.EncodeToString([]byte("new signing key, 32 bytes long!!"))
)

func swCfg(secrets ...configopaque.String) *Config {
	return hmacCfg(HMACConfig{Scheme: SchemeStandardWebhooks, Secrets: secrets})
}

// TestStandardWebhooksVerifiedByLibrary checks requests with the
// reference Go library, compressed or not: the signature covers the
// bytes as received.
func TestStandardWebhooksVerifiedByLibrary(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(whsecOld)
	require.NoError(t, err)
	for _, compression := range []configcompression.Type{"", configcompression.TypeGzip} {
		t.Run("compression="+string(compression), func(t *testing.T) {
			rec := testsink.NewRecorder(t, nil)
			ext, _ := startExtension(t, swCfg(configopaque.String(whsecOld)))
			client := clientWith(t, ext, rec.URL, compression)
			for name, payload := range seedPayloads {
				post(t, client, rec.URL, []byte(payload), http.Header{"Idempotency-Key": {"evt-" + name}}, http.StatusOK)
			}
			got := rec.Requests()
			require.Len(t, got, len(seedPayloads))
			for _, r := range got {
				assert.NoError(t, wh.Verify(r.Raw, r.Header))
				assert.NoError(t, VerifyStandardWebhooks(r.Header, r.Raw, whsecOld, 0))
				assert.True(t, strings.HasPrefix(r.Header.Get(HeaderWebhookID), "evt-"), "the event id is the webhook-id")
				assert.Error(t, wh.Verify(append([]byte{' '}, r.Raw...), r.Header), "a changed body fails")
			}
		})
	}
}

// TestStandardWebhooksRetryKeepsID: the exporter sends the same
// Idempotency-Key on every retry, so the webhook-id stays the same; a
// request without one gets an id derived from its body, stable as well.
func TestStandardWebhooksRetryKeepsID(t *testing.T) {
	rec := testsink.NewRecorder(t, testsink.Status(func(_ *http.Request, n int) int {
		if n%2 == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}))
	ext, _ := startExtension(t, swCfg(configopaque.String(whsecOld)))
	client := clientWith(t, ext, rec.URL, "")
	body := []byte(seedPayloads["seed example"])
	key := http.Header{"Idempotency-Key": {"3f2a9c0d5e6b7a8190aabbccddeeff00"}}
	post(t, client, rec.URL, body, key, http.StatusServiceUnavailable)
	post(t, client, rec.URL, body, key, http.StatusOK)
	post(t, client, rec.URL, body, nil, http.StatusServiceUnavailable)
	post(t, client, rec.URL, body, nil, http.StatusOK)

	got := rec.Requests()
	require.Len(t, got, 4)
	assert.Equal(t, "3f2a9c0d5e6b7a8190aabbccddeeff00", got[0].Header.Get(HeaderWebhookID))
	assert.Equal(t, got[0].Header.Get(HeaderWebhookID), got[1].Header.Get(HeaderWebhookID))
	assert.NotEmpty(t, got[2].Header.Get(HeaderWebhookID))
	assert.Equal(t, got[2].Header.Get(HeaderWebhookID), got[3].Header.Get(HeaderWebhookID))
	for _, r := range got {
		assert.NoError(t, VerifyStandardWebhooks(r.Header, r.Raw, whsecOld, 0))
	}
}

// TestStandardWebhooksRotation signs with two secrets; a receiver with
// either one accepts, one with neither does not.
func TestStandardWebhooksRotation(t *testing.T) {
	rec := testsink.NewRecorder(t, nil)
	ext, _ := startExtension(t, swCfg(configopaque.String(whsecOld), configopaque.String(whsecNew)))
	post(t, clientWith(t, ext, rec.URL, ""), rec.URL, []byte(`{"a":1}`), nil, http.StatusOK)
	r := rec.Requests()[0]
	assert.Len(t, strings.Fields(r.Header.Get(HeaderWebhookSignature)), 2, "space-separated v1 entries")
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a third key"))
	for _, tt := range []struct {
		secret string
		ok     bool
	}{{whsecOld, true}, {whsecNew, true}, {other, false}} {
		wh, err := standardwebhooks.NewWebhook(tt.secret)
		require.NoError(t, err)
		assert.Equal(t, tt.ok, wh.Verify(r.Raw, r.Header) == nil, "library")
		assert.Equal(t, tt.ok, VerifyStandardWebhooks(r.Header, r.Raw, tt.secret, 0) == nil, "ours")
	}
}

// TestVerifyStandardWebhooksTolerance checks the timestamp window with
// signatures made for fixed times rather than by waiting.
func TestVerifyStandardWebhooksTolerance(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(whsecOld)
	require.NoError(t, err)
	body := []byte(`{"a":1}`)
	for _, tt := range []struct {
		name string
		at   time.Time
		want error
	}{
		{"now", time.Now(), nil},
		{"4 minutes ago", time.Now().Add(-4 * time.Minute), nil},
		{"10 minutes ago", time.Now().Add(-10 * time.Minute), ErrTimestampTooOld},
		{"10 minutes ahead", time.Now().Add(10 * time.Minute), ErrTimestampTooNew},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := wh.Sign("msg_1", tt.at, body)
			require.NoError(t, err)
			h := http.Header{}
			h.Set(HeaderWebhookID, "msg_1")
			h.Set(HeaderWebhookTimestamp, strconv.FormatInt(tt.at.Unix(), 10))
			h.Set(HeaderWebhookSignature, sig)
			assert.ErrorIs(t, VerifyStandardWebhooks(h, body, whsecOld, 0), tt.want)
		})
	}
	assert.ErrorIs(t, VerifyStandardWebhooks(http.Header{}, body, whsecOld, 0), ErrNoSignature)
}
