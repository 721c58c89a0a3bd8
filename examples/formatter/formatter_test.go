package formatter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/goleak"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/examples/formatter"
	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seedLogs is the guide's example event as a log record.
func seedLogs() plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("file_shared_externally")
	lr.Attributes().PutStr("severity", "warning")
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)))
	body := lr.Body().SetEmptyMap()
	body.PutStr("file_id", "abc123")
	body.PutStr("file_name", "sensitive.pdf")
	body.PutStr("owner", "user@example.com")
	body.PutStr("shared_with", "external@partner.com")
	return ld
}

func TestAlertSelectedByNameFromYAML(t *testing.T) {
	type received struct {
		body        []byte
		contentType string
	}
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{body, r.Header.Get("Content-Type")}
	}))
	defer srv.Close()

	// The exporter's config as a user writes it.
	retrieved, err := confmap.NewRetrievedFromYAML(fmt.Appendf(nil, "endpoint: %s\nformat: alert\n", srv.URL))
	require.NoError(t, err)
	conf, err := retrieved.AsConf()
	require.NoError(t, err)
	factory := webhookexporter.NewFactory()
	cfg := factory.CreateDefaultConfig()
	require.NoError(t, conf.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))

	exp, err := factory.CreateLogs(context.Background(), exportertest.NewNopSettings(factory.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs()))

	select {
	case r := <-got:
		assert.Equal(t, `{"alert_type":"file_shared_externally","alert_severity":"warning","alert_timestamp":"2025-10-29T12:00:00Z",`+
			`"alert_data":{"file_id":"abc123","file_name":"sensitive.pdf","owner":"user@example.com","shared_with":"external@partner.com"},`+
			`"alert_source":"sentyr"}`, string(r.body))
		assert.Equal(t, "application/json", r.contentType)
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver got nothing in 30s")
	}
}

func TestAlertIsRegistered(t *testing.T) {
	assert.Contains(t, builtin.Registered(), formatter.Name)
	assert.Panics(t, func() { formats.Register(formatter.Name, formats.FormatterFunc(formatter.Alert)) },
		"a second registration under the same name fails the build at start")
}

func TestAlertKeepsHostileContentInsideItsStrings(t *testing.T) {
	ev := &formats.Event{Type: `x", "admin": true, "y": "`, Severity: "warning\xff", Data: []formats.Field{{Key: "k\n", Value: pcommon.NewValueStr("</script>")}}}
	b, err := formatter.Alert(ev)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got), "%s", b)
	assert.Len(t, got, 5)
	assert.Equal(t, ev.Type, got["alert_type"])
	assert.Equal(t, "warning\uFFFD", got["alert_severity"])
	assert.Equal(t, map[string]any{"k\n": "</script>"}, got["alert_data"])
}
