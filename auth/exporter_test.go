package auth_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/auth"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// host offers the started extension to the exporter, as the collector does.
type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// exportThrough starts the extension configured by authConf (collector
// YAML as a map) and a webhook exporter using it, delivering to endpoint.
func exportThrough(t *testing.T, endpoint string, authConf map[string]any, tune func(*webhookexporter.Config)) func(plog.Logs) error {
	t.Helper()
	return exportThroughLogging(t, endpoint, authConf, tune, zapcore.NewNopCore())
}

// exportThroughLogging is exportThrough with the exporter logging to core.
func exportThroughLogging(t *testing.T, endpoint string, authConf map[string]any, tune func(*webhookexporter.Config), core zapcore.Core) func(plog.Logs) error {
	t.Helper()
	id := component.MustNewIDWithName("webhookauth", "test")
	af := auth.NewFactory()
	acfg := af.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(authConf).Unmarshal(acfg))
	require.NoError(t, confmap.Validate(acfg))
	ext, err := af.Create(context.Background(), extensiontest.NewNopSettings(af.Type()), acfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), nil))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })

	ef := webhookexporter.NewFactory()
	cfg := ef.CreateDefaultConfig().(*webhookexporter.Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.ClientConfig.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = 5 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 20 * time.Millisecond
	if tune != nil {
		tune(cfg)
	}
	require.NoError(t, confmap.Validate(cfg))
	set := exportertest.NewNopSettings(ef.Type())
	set.Logger = zap.New(core)
	exp, err := ef.CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host{exts: map[component.ID]component.Component{id: ext}}))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return func(ld plog.Logs) error { return exp.ConsumeLogs(context.Background(), ld) }
}

// events builds one log record per body, as security events.
func events(t *testing.T, bodies ...map[string]any) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, b := range bodies {
		lr := lrs.AppendEmpty()
		lr.SetEventName("file_shared_externally")
		lr.Attributes().PutStr("severity", "warning")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)))
		require.NoError(t, lr.Body().SetEmptyMap().FromRaw(b))
	}
	return ld
}

var seedData = map[string]any{
	"file_id": "abc123", "file_name": "sensitive.pdf",
	"owner": "user@example.com", "shared_with": "external@partner.com",
}

// TestExporterSendsMethodHeaders: each simple method's header on a
// request the webhook exporter made.
func TestExporterSendsMethodHeaders(t *testing.T) {
	for _, tt := range []struct {
		name   string
		conf   map[string]any
		header string
		want   string
	}{
		{"api_key", map[string]any{"api_key": map[string]any{"value": "k-1"}}, "X-API-Key", "k-1"},
		{"api_key custom header", map[string]any{"api_key": map[string]any{"value": "Splunk hec-2", "header": "Authorization"}},
			"Authorization", "Splunk hec-2"},
		{"bearer_token", map[string]any{"bearer_token": "tok-3"}, "Authorization", "Bearer tok-3"},
		{"basic", map[string]any{"basic": map[string]any{"username": "your-username", "password": "your-password"}},
			"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("your-username:your-password"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := testsink.NewRecorder(t, nil)
			send := exportThrough(t, rec.URL, tt.conf, nil)
			require.NoError(t, send(events(t, seedData)))
			got := rec.Requests()
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, got[0].Header.Get(tt.header))
		})
	}
}

// TestExporterSeedSchemeVerifiedByPython: JSON events the exporter sends,
// single and batched, plain and gzipped, pass the guide's Python
// verify_signature.
func TestExporterSeedSchemeVerifiedByPython(t *testing.T) {
	const secret = "your-secret-key"
	bodies := []map[string]any{
		seedData,
		{"owner": "Zoë Ångström", "city": "Москва", "note": "shared 🔥 by 👩‍💻"},
		{"one": 1.0, "tiny": 1e-7, "tenth": 0.1, "big": int64(9007199254740993)},
		{"nested": map[string]any{"z": []any{1, map[string]any{"b": []any{}, "a": "x"}}}, "q": `say "hi" C:\path`},
	}
	type pyCase struct {
		Body      []byte `json:"body"`
		Encoding  string `json:"encoding"`
		Signature string `json:"signature"`
		Secret    string `json:"secret"`
	}
	var cases []any
	for _, compression := range []configcompression.Type{"", configcompression.TypeGzip} {
		rec := testsink.NewRecorder(t, nil)
		send := exportThrough(t, rec.URL, map[string]any{"hmac": map[string]any{"secret": secret}},
			func(c *webhookexporter.Config) { c.ClientConfig.Compression = compression })
		for _, b := range bodies {
			require.NoError(t, send(events(t, b)))
		}
		require.NoError(t, send(events(t, bodies...)), "a batch")
		got := rec.Requests()
		require.Len(t, got, len(bodies)+1)
		for _, r := range got {
			require.Equal(t, string(compression), r.Header.Get("Content-Encoding"))
			cases = append(cases, pyCase{r.Raw, string(compression), r.Header.Get("X-Signature"), secret})
		}
	}
	for i, verdict := range auth.RunPython(t, "verify_seed.py", cases) {
		assert.Equal(t, "ok", verdict, "request %d", i)
	}
}

// TestExporterStandardWebhooksRetryKeepsID: the exporter's retry of a
// refused delivery carries the same webhook-id, and both verify.
func TestExporterStandardWebhooksRetryKeepsID(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("exporter test key"))
	rec := testsink.NewRecorder(t, testsink.Status(func(_ *http.Request, n int) int {
		if n == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}))
	send := exportThrough(t, rec.URL, map[string]any{"hmac": map[string]any{"scheme": "standard_webhooks", "secret": secret}}, nil)
	require.NoError(t, send(events(t, seedData)))

	got := rec.Requests()
	require.Len(t, got, 2, "one refused delivery and its retry")
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	for _, r := range got {
		assert.NoError(t, wh.Verify(r.Raw, r.Header))
		assert.Equal(t, r.Header.Get("Idempotency-Key"), r.Header.Get("webhook-id"), "the event id")
	}
	assert.NotEmpty(t, got[0].Header.Get("webhook-id"))
	assert.Equal(t, got[0].Header.Get("webhook-id"), got[1].Header.Get("webhook-id"))
}

// TestExporterOAuth2: 200 events delivered as concurrent single-event
// requests (datadog format) cost one token; a token revoked by the
// server is replaced without the exporter seeing a failure.
func TestExporterOAuth2(t *testing.T) {
	ts := auth.NewTokenServer(t, time.Hour)
	rec := testsink.NewRecorder(t, ts.Protected)
	send := exportThrough(t, rec.URL, map[string]any{"oauth2": map[string]any{
		"token_url": ts.TokenURL(), "client_id": auth.TestClientID, "client_secret": auth.TestClientSecret,
	}}, func(c *webhookexporter.Config) {
		c.Format = "datadog"
		c.MaxConcurrentRequests = 50
		c.Datadog.APIKey = configopaque.String("dd-key")
	})

	bodies := make([]map[string]any, 200)
	for i := range bodies {
		bodies[i] = map[string]any{"n": i}
	}
	require.NoError(t, send(events(t, bodies...)))
	require.Len(t, rec.Requests(), 200)
	assert.EqualValues(t, 1, ts.Requests(), "one token for 200 concurrent requests")

	ts.Revoke(strings.TrimPrefix(rec.Requests()[0].Header.Get("Authorization"), "Bearer "))
	require.NoError(t, send(events(t, seedData)), "the 401 is handled inside the authenticator")
	got := rec.Requests()
	require.Len(t, got, 202)
	assert.True(t, ts.Valid(&http.Request{Header: got[201].Header}))
	assert.EqualValues(t, 2, ts.Requests())
}

// TestExporterSeedSchemeRefusesNDJSON: a body that is not one JSON
// document cannot carry a seed signature; the exporter gets a permanent
// error that points to the raw scheme, and sends nothing.
func TestExporterSeedSchemeRefusesNDJSON(t *testing.T) {
	rec := testsink.NewRecorder(t, nil)
	send := exportThrough(t, rec.URL, map[string]any{"hmac": map[string]any{"secret": "k"}},
		func(c *webhookexporter.Config) { c.JSON.Batch = "ndjson" })
	err := send(events(t, seedData, seedData))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use scheme raw")
	assert.True(t, consumererror.IsPermanent(err), "not retried: the same body fails the same way")
	assert.Empty(t, rec.Requests())
}

// TestExporterRedirectSendsNoCredentialElsewhere: with the extension as
// authenticator (its RoundTripper would run again on each hop), a 307 or
// 308 to another host sends it nothing, and the events are retried to the
// endpoint.
func TestExporterRedirectSendsNoCredentialElsewhere(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for name, conf := range map[string]map[string]any{
			"api_key":      {"api_key": map[string]any{"value": "k-redirect"}},
			"bearer_token": {"bearer_token": "tok-redirect"},
			"basic":        {"basic": map[string]any{"username": "u", "password": "pw-redirect"}},
		} {
			t.Run(fmt.Sprintf("%d/%s", status, name), func(t *testing.T) {
				other := testsink.NewRecorder(t, nil)
				rec := testsink.NewRecorder(t, testsink.Status(func(_ *http.Request, n int) int {
					if n == 0 {
						return status
					}
					return http.StatusOK
				}))
				// Set before the first request, which comes from this goroutine.
				rec.Config.Handler = redirectFirst(rec.Config.Handler, other.URL+"/moved")
				send := exportThrough(t, rec.URL, conf, nil)
				require.NoError(t, send(events(t, seedData)))
				assert.Empty(t, other.Requests(), "nothing reaches the Location")
				assert.Len(t, rec.Requests(), 2, "the redirect, then the retry to the endpoint")
			})
		}
	}
}

// redirectFirst sets a Location on every answer of next.
func redirectFirst(next http.Handler, location string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", location)
		next.ServeHTTP(w, r)
	})
}
