// Package authclient gives tests the HTTP client that an exporter with
// auth: {authenticator: webhookauth} builds through confighttp: what a
// receiver that checks the webhookauth methods must accept.
package authclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/sentyr/webhookexporter/auth"
)

// New starts a webhookauth extension of cfg and returns a client that
// authenticates with it, compressing with compression ("" for none).
// Both are stopped when the test ends.
func New(tb testing.TB, cfg *auth.Config, compression configcompression.Type) *http.Client {
	tb.Helper()
	f := auth.NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(tb, err)
	require.NoError(tb, ext.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, ext.Shutdown(context.Background())) })
	id := component.NewID(f.Type())
	cc := confighttp.NewDefaultClientConfig()
	cc.Compression = compression
	cc.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	client, err := cc.ToClient(context.Background(), map[component.ID]component.Component{id: ext}, componenttest.NewNopTelemetrySettings())
	require.NoError(tb, err)
	tb.Cleanup(client.CloseIdleConnections)
	return client
}
