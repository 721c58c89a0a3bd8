package deadletter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/sentyr/webhookexporter/internal/metadata"
)

// The exporter's own counters are declared in metadata.yaml and built by
// the generated metadata.TelemetryBuilder; documentation.md lists them. They
// count events, where exporterhelper's otelcol_exporter_send_failed_log_records
// counts the records of whole failed requests.
//
// Every data point carries the exporter's id as "exporter", the attribute of
// exporterhelper's own metrics. The collector (v0.165.0) tags a component's
// meter with its id only under the alpha feature gate
// telemetry.newPipelineTelemetry, and then as scope attributes: without the
// attribute, two webhook exporters would add up into one series.
type Telemetry struct {
	tb       *metadata.TelemetryBuilder
	exporter attribute.KeyValue
}

func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	return &Telemetry{tb: tb, exporter: attribute.String("exporter", id.String())}, nil
}

// Record counts the events dropped for one reason and what became of
// their dead letters.
func (t *Telemetry) Record(reason string, events, written, failed int, cause string) {
	ctx := context.Background()
	r := attribute.String("reason", reason)
	attrs := metric.WithAttributes(t.exporter, r)
	t.tb.ExporterWebhookDroppedLogRecords.Add(ctx, int64(events), attrs)
	if written > 0 {
		t.tb.ExporterWebhookDeadLettersWritten.Add(ctx, int64(written), attrs)
	}
	if failed > 0 {
		t.tb.ExporterWebhookDeadLettersFailed.Add(ctx, int64(failed), metric.WithAttributes(t.exporter, r, attribute.String("cause", cause)))
	}
}

// AtCapacity counts an answer of Splunk HEC saying it is at capacity,
// by its code.
func (t *Telemetry) AtCapacity(code int) {
	t.tb.ExporterWebhookHecAtCapacity.Add(context.Background(), 1, metric.WithAttributes(t.exporter, attribute.Int("code", code)))
}
