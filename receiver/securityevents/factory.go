//go:generate bash ../../internal/tools/mdatagen.sh

// Package securityevents is a receiver for security events as Sentyr's
// webhook guide writes them: JSON objects with event_type, severity,
// timestamp, data (or event_data) and source, posted over HTTP one at a
// time, as a JSON array or as NDJSON. Each event becomes one log record
// that the webhook exporter maps back to the same event.
package securityevents // import "github.com/sentyr/webhookexporter/receiver/securityevents"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/sentyr/webhookexporter/receiver/securityevents/internal/metadata"
)

const (
	// defaultEndpoint is clear of make run's receiver (8088), OTLP (4317,
	// 4318), the collector's metrics (8888) and health check (13133).
	defaultEndpoint = "localhost:8787"
	defaultPath     = "/events"
	// defaultReadTimeout bounds how long a request may take to arrive.
	defaultReadTimeout = time.Minute
)

// NewFactory returns the factory of the securityevents receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	// confighttp sets no bound on reading a body: a sender that stalls
	// would hold its connection and handler for ever.
	server.ReadTimeout = defaultReadTimeout
	return &Config{ServerConfig: server, Path: defaultPath}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(cfg.(*Config), set, next)
}
