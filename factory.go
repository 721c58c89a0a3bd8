// Package webhookexporter is an OpenTelemetry Collector exporter that
// delivers log records as security events to SIEMs and webhooks.
package webhookexporter // import "github.com/sentyr/webhookexporter"

import (
	"context"
	"iter"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/metadata"
)

const (
	defaultSource                = "sentyr"
	defaultTimeout               = 30 * time.Second
	defaultMaxConcurrentRequests = 8
	// As many as keepalive::max_idle_conns: the exporter talks to one host.
	defaultMaxIdleConnsPerHost  = 100
	defaultDeadLetterMaxSizeMiB = 1024
)

// NewFactory returns the factory of the webhook exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// NewDefaultRetryConfig gives the seed's delay table: 1s, 2s, 4s … capped at
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
	// The seed's timeout. Compression stays off: the seed sends plain JSON
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
		QueueConfig:           metadata.NewDefaultSendingQueueConfig(),
		Format:                FormatJSON,
		Source:                defaultSource,
		MaxConcurrentRequests: defaultMaxConcurrentRequests,
		DeadLetter:            DeadLetterConfig{MaxSizeMiB: defaultDeadLetterMaxSizeMiB},
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	logs, err := exporterhelper.NewLogs(ctx, set, cfg, exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The HTTP client's timeout bounds each request.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		// retry_on_failure runs in pushLogs (see retry.go).
		exporterhelper.WithRetry(relayRetryConfig()),
		exporterhelper.WithQueue(c.QueueConfig),
	)
	if err != nil {
		return nil, err
	}
	return &stampingLogs{Logs: logs, now: time.Now, beginShutdown: exp.beginShutdown}, nil
}

// stampingLogs gives records that carry no time at all an observed time
// before they are queued. Without it their timestamp, and with it their
// event id, would change on every retry.
type stampingLogs struct {
	exporter.Logs
	now func() time.Time
	// beginShutdown tells the exporter's retries to stop, before
	// exporterhelper drains the queue.
	beginShutdown func()
	shutdownOnce  sync.Once
	shutdownErr   error
}

// Shutdown stops the exporter's retries first, as exporterhelper does with
// its own retry sender: the queue then drains with one attempt per batch,
// and what fails is dead-lettered as shutdown.
func (s *stampingLogs) Shutdown(ctx context.Context) error {
	// Once: exporterhelper's retry sender panics when shut down twice.
	s.shutdownOnce.Do(func() {
		s.beginShutdown()
		s.shutdownErr = s.Logs.Shutdown(ctx)
	})
	return s.shutdownErr
}

// Capabilities are the queue's: the exporter itself never changes a batch
// it is given (stamping writes to a copy). Saying that it did would make
// the collector copy every batch for it whenever another consumer shares
// its pipeline, since the pipeline's fanout gives each consumer that
// mutates data its own copy; a copy costs about as much as encoding the
// batch. With sending_queue::batch the queue does change batches, and
// says so.
func (s *stampingLogs) Capabilities() consumer.Capabilities {
	return s.Logs.Capabilities()
}

func (s *stampingLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if hasUntimedRecord(ld) {
		if !s.Logs.Capabilities().MutatesData || ld.IsReadOnly() {
			own := plog.NewLogs()
			ld.CopyTo(own)
			ld = own
		}
		now := pcommon.NewTimestampFromTime(s.now())
		for lr := range untimedRecords(ld) {
			lr.SetObservedTimestamp(now)
		}
	}
	return s.Logs.ConsumeLogs(ctx, ld)
}

func hasUntimedRecord(ld plog.Logs) bool {
	for range untimedRecords(ld) {
		return true
	}
	return false
}

// untimedRecords yields the records of ld with neither a timestamp nor an
// observed timestamp.
func untimedRecords(ld plog.Logs) iter.Seq[plog.LogRecord] {
	return func(yield func(plog.LogRecord) bool) {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if lr.Timestamp() == 0 && lr.ObservedTimestamp() == 0 && !yield(lr) {
						return
					}
				}
			}
		}
	}
}
