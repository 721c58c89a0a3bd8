package deadletter

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/sentyr/webhookexporter/internal/metadatatest"
)

// TestTelemetryPerExporter: two webhook exporters in one collector share
// its meter provider; each one's refusals stay a series of its own,
// told apart by the attribute exporterhelper's metrics use.
func TestTelemetryPerExporter(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	for _, name := range []string{"siem", "archive"} {
		tel, err := NewTelemetry(tt.NewTelemetrySettings(), component.MustNewIDWithName("webhook", name))
		require.NoError(t, err)
		tel.Record(Refused, 1000, 1000, 0, "")
	}
	tel, err := NewTelemetry(tt.NewTelemetrySettings(), component.MustNewIDWithName("webhook", "siem"))
	require.NoError(t, err)
	tel.Record(Refused, 3, 1, 2, WriteFailedFull)

	point := func(v int64, attrs ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: v, Attributes: attribute.NewSet(attrs...)}
	}
	siem, archive := attribute.String("exporter", "webhook/siem"), attribute.String("exporter", "webhook/archive")
	refused := attribute.String("reason", Refused)
	metadatatest.AssertEqualExporterWebhookDroppedLogRecords(t, tt, []metricdata.DataPoint[int64]{
		point(1003, siem, refused), point(1000, archive, refused),
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterWebhookDeadLettersWritten(t, tt, []metricdata.DataPoint[int64]{
		point(1001, siem, refused), point(1000, archive, refused),
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterWebhookDeadLettersFailed(t, tt, []metricdata.DataPoint[int64]{
		point(2, siem, refused, attribute.String("cause", WriteFailedFull)),
	}, metricdatatest.IgnoreTimestamp())
}
