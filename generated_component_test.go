// Written in the form mdatagen generates.

package webhookexporter

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/metadata"
)

func TestComponentFactoryType(t *testing.T) {
	require.Equal(t, "webhook", NewFactory().Type().String())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestComponentLifecycle(t *testing.T) {
	factory := NewFactory()
	cfg := factory.CreateDefaultConfig()
	// The endpoint of metadata.yaml's tests: it does not resolve, so nothing leaves the machine.
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"endpoint": "https://testing.invalid:1234/webhook"}).Unmarshal(cfg))

	t.Run("logs-shutdown", func(t *testing.T) {
		c, err := factory.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		require.NoError(t, c.Shutdown(context.Background()))
	})
	t.Run("logs-lifecycle", func(t *testing.T) {
		c, err := factory.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		host := componenttest.NewNopHost()
		require.NoError(t, c.Start(context.Background(), host))
		require.NotPanics(t, func() { _ = c.ConsumeLogs(context.Background(), plog.NewLogs()) })
		require.NoError(t, c.Shutdown(context.Background()))
	})
}
