package webhookexporter

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The exporter's own counters, named as the collector names its component
// metrics. They count events, where exporterhelper's
// otelcol_exporter_send_failed_log_records counts the records of whole
// failed requests. The collector adds the exporter's id to each.
const (
	metricDropped           = "otelcol_exporter_webhook_dropped_log_records"
	metricDeadLetters       = "otelcol_exporter_webhook_dead_letters_written"
	metricDeadLettersFailed = "otelcol_exporter_webhook_dead_letters_failed"
	scopeName               = "github.com/sentyr/webhookexporter"
)

type exporterTelemetry struct {
	dropped, written, failed metric.Int64Counter
}

func newExporterTelemetry(set component.TelemetrySettings) (*exporterTelemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	dropped, err1 := m.Int64Counter(metricDropped, metric.WithUnit("{records}"),
		metric.WithDescription("Log records the exporter gave up on, by reason class."))
	written, err2 := m.Int64Counter(metricDeadLetters, metric.WithUnit("{records}"),
		metric.WithDescription("Dropped log records written to the dead-letter file, by reason class."))
	failed, err3 := m.Int64Counter(metricDeadLettersFailed, metric.WithUnit("{records}"),
		metric.WithDescription("Dropped log records that could not be written to the dead-letter file, by reason class and cause (file_full, write_error)."))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return &exporterTelemetry{dropped: dropped, written: written, failed: failed}, nil
}

// record counts the events dropped for one reason and what became of
// their dead letters.
func (t *exporterTelemetry) record(reason string, events, written, failed int, cause string) {
	ctx := context.Background()
	attr := metric.WithAttributes(attribute.String("reason", reason))
	t.dropped.Add(ctx, int64(events), attr)
	if written > 0 {
		t.written.Add(ctx, int64(written), attr)
	}
	if failed > 0 {
		t.failed.Add(ctx, int64(failed), metric.WithAttributes(attribute.String("reason", reason), attribute.String("cause", cause)))
	}
}
