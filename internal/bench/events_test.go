package bench_test

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/bench"
)

// The benchmarks are only as honest as their events: realistic, 6-12 data
// fields, the guide's types, and the same records on every call.
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
	assert.True(t, types["file_shared_externally"] && types["pii_detected"], "the guide's event types: %v", types)
}

// Every format's service path is answered as the format table says its
// service answers a request it took (the _bulk answer below); other paths
// (OTLP) get 200 with no body.
func TestSinkReadsTheBodyAndAnswersAsTheService(t *testing.T) {
	srv := httptest.NewServer(bench.SinkHandler())
	defer srv.Close()
	want := map[string]builtin.Answer{"/v1/logs": {Status: http.StatusOK}}
	for _, b := range builtin.Builtins() {
		path, _, _ := strings.Cut(b.Service.Path, "?")
		if _, ok := want[path]; !ok && b.Service.Body != builtin.BodyBulk {
			want[path] = b.Service.Accept(1)
		}
	}
	require.Contains(t, want, "/services/collector/event")
	for path, w := range want {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(strings.Repeat("x", 1<<20)))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, w.Status, resp.StatusCode, path)
		assert.Equal(t, w.Body, string(got), path)
		if w.ContentType != "" {
			assert.Equal(t, w.ContentType, resp.Header.Get("Content-Type"), path)
		}
	}
	srv.CloseClientConnections()
}

// The _bulk answer is Elasticsearch's for documents all created: one item
// per action, in order, with the action's name, _index and _id, status 201.
func TestSinkAnswersEveryBulkDocument(t *testing.T) {
	srv := httptest.NewServer(bench.SinkHandler())
	defer srv.Close()
	body := `{"create":{"_id":"a1"}}` + "\n" + `{"x":1}` + "\n" +
		`{"create":{"_index":"other","pipeline":"p","_id":"b2"}}` + "\n" + `{"x":2}` + "\n"
	resp, err := http.Post(srv.URL+"/security-events/_bulk", "application/x-ndjson", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var answer struct {
		Errors *bool
		Items  []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Result string `json:"result"`
			Status int    `json:"status"`
		}
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
	require.NotNil(t, answer.Errors)
	assert.False(t, *answer.Errors)
	require.Len(t, answer.Items, 2)
	for i, want := range [][2]string{{"security-events", "a1"}, {"other", "b2"}} {
		item, ok := answer.Items[i]["create"]
		require.True(t, ok, "item %d is named after its action", i)
		assert.Equal(t, want[0], item.Index)
		assert.Equal(t, want[1], item.ID)
		assert.Equal(t, "created", item.Result)
		assert.Equal(t, http.StatusCreated, item.Status)
	}
}

func TestFormatSettingsNameTheFormatAndEndpoint(t *testing.T) {
	for _, f := range bench.Formats {
		m := f.ExporterSettings("http://127.0.0.1:9")
		assert.Equal(t, cmp.Or(f.Format, f.Name), m["format"])
		assert.Equal(t, "http://127.0.0.1:9"+f.Path, m["endpoint"])
	}
}

// The sink refuses a _bulk body Elasticsearch refuses: an action without
// its document line, an action that carries no document.
func TestSinkRefusesMalformedBulk(t *testing.T) {
	srv := httptest.NewServer(bench.SinkHandler())
	defer srv.Close()
	for name, body := range map[string]string{
		"no document":      `{"create":{"_id":"a1"}}` + "\n",
		"delete":           `{"delete":{"_id":"a1"}}` + "\n" + `{"x":1}` + "\n",
		"a document short": `{"create":{}}` + "\n" + `{"x":1}` + "\n" + `{"index":{}}` + "\n",
	} {
		resp, err := http.Post(srv.URL+"/security-events/_bulk", "application/x-ndjson", strings.NewReader(body))
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
	}
}
