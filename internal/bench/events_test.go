package bench_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/internal/bench"
)

// The benchmarks are only as honest as their events: realistic, 6-12 data
// fields, the seed's types, and the same records on every call.
func TestLogsAreRealisticAndDeterministic(t *testing.T) {
	ld := bench.Logs(10)
	again := bench.Logs(10)
	require.Equal(t, 10, ld.LogRecordCount())

	types := map[string]bool{}
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	lrsAgain := again.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		lr := lrs.At(i)
		require.Equal(t, pcommon.ValueTypeMap, lr.Body().Type())
		fields := lr.Body().Map().Len()
		assert.GreaterOrEqual(t, fields, 6, "record %d", i)
		assert.LessOrEqual(t, fields, 12, "record %d", i)
		assert.NotZero(t, lr.Timestamp())
		name := lr.EventName()
		if v, ok := lr.Attributes().Get("event.name"); ok {
			name = v.Str()
		}
		types[name] = true
		assert.Equal(t, lr.Body().AsRaw(), lrsAgain.At(i).Body().AsRaw(), "record %d differs between calls", i)
	}
	assert.True(t, types["file_shared_externally"] && types["pii_detected"], "the seed's event types: %v", types)
}

func TestSinkReadsTheBodyAndAnswersAsTheService(t *testing.T) {
	srv := httptest.NewServer(bench.SinkHandler())
	defer srv.Close()
	for path, want := range map[string]string{
		"/webhook":                  "",
		"/v1/logs":                  "",
		"/services/collector/event": `{"text":"Success","code":0}`,
		"/security-events/_bulk":    `{"took":1,"errors":false,"items":[]}`,
	} {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(strings.Repeat("x", 1<<20)))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, want, string(got), path)
	}
	srv.CloseClientConnections()
}

func TestFormatSettingsNameTheFormatAndEndpoint(t *testing.T) {
	for _, f := range bench.Formats {
		m := f.ExporterSettings("http://127.0.0.1:9")
		assert.Equal(t, f.Name, m["format"])
		assert.Equal(t, "http://127.0.0.1:9"+f.Path, m["endpoint"])
	}
}
