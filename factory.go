//go:generate bash internal/tools/mdatagen.sh

// Package webhookexporter is an OpenTelemetry Collector exporter that
// delivers log records as security events to SIEMs and webhooks.
package webhookexporter // import "github.com/sentyr/webhookexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/metadata"
)

// NewFactory returns the factory of the webhook exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// NewDefaultRetryConfig gives the guide's delay table: 1s, 2s, 4s … capped at
// 60s, with jitter.
func NewDefaultRetryConfig() configretry.BackOffConfig {
	cfg := configretry.NewDefaultBackOffConfig()
	cfg.InitialInterval = time.Second
	cfg.Multiplier = 2
	cfg.MaxInterval = 60 * time.Second
	return cfg
}

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	// The guide's timeout. Compression stays off: the guide sends plain JSON
	// and many webhook receivers refuse gzip.
	client.Timeout = defaultTimeout
	// Go's default keeps 2 idle connections per host; every request
	// beyond them, with several batches or per-event requests in flight,
	// opened a new connection (and TLS session) and closed it after.
	if ka := client.Keepalive.Get(); ka != nil {
		ka.MaxIdleConnsPerHost = defaultMaxIdleConnsPerHost
	}
	return &Config{
		ClientConfig:          client,
		RetryConfig:           NewDefaultRetryConfig(),
		QueueConfig:           configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		Format:                "json",
		Source:                defaultSource,
		MaxConcurrentRequests: defaultMaxConcurrentRequests,
		DeadLetter:            DeadLetterConfig{MaxSizeMiB: defaultDeadLetterMaxSizeMiB},
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	return createLogsClocked(ctx, set, cfg, delivery.SystemClock())
}

// createLogsClocked is createLogs with the clock the retries and the
// shutdown read: tests give one that does not wait.
func createLogsClocked(ctx context.Context, set exporter.Settings, cfg component.Config, clk delivery.Clock) (exporter.Logs, error) {
	return createLogsWith(ctx, set, cfg, func(p *delivery.Pusher) { p.Clock = clk })
}

// createLogsWith is createLogs with the push path set up by setUp before
// start: tests give clocks that do not wait.
func createLogsWith(ctx context.Context, set exporter.Settings, cfg component.Config, setUp func(*delivery.Pusher)) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	setUp(exp.pusher)
	logs, err := exporterhelper.NewLogs(ctx, set, cfg, exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The HTTP client's timeout bounds each request.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		// retry_on_failure runs in the push (see internal/delivery/retry.go).
		exporterhelper.WithRetry(delivery.RelayRetryConfig()),
		exporterhelper.WithQueue(c.QueueConfig),
	)
	if err != nil {
		return nil, err
	}
	return mapping.NewStampingLogs(logs, set.Logger, set.MeterProvider, exp.beginShutdown)
}
