package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/auth/internal/metadata"
)

// startExtension builds the extension through its factory, with every log
// line at debug level and above kept for inspection, and starts it.
func startExtension(t testing.TB, cfg *Config) (*authenticator, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	set := extensionSettings()
	set.Logger = zap.New(core)
	ext, err := NewFactory().Create(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext.(*authenticator), logs
}

func extensionSettings() extension.Settings {
	return extensiontest.NewNopSettings(metadata.Type)
}

// clientWith is the HTTP client an exporter would build from confighttp
// with auth: {authenticator: webhookauth}.
func clientWith(t testing.TB, ext component.Component, endpoint string, compression configcompression.Type) *http.Client {
	t.Helper()
	id := component.NewID(metadata.Type)
	cc := confighttp.NewDefaultClientConfig()
	cc.Endpoint = endpoint
	cc.Compression = compression
	cc.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	client, err := cc.ToClient(context.Background(), map[component.ID]component.Component{id: ext}, componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// post sends body through client and requires the given status.
func post(t testing.TB, client *http.Client, url string, body []byte, header http.Header, wantStatus int) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, wantStatus, resp.StatusCode)
}
