package webhookexporter

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// bodyLogs is one record per body setter, as a transform processor upstream
// would leave them.
func bodyLogs(setters ...func(lr plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i, set := range setters {
		lr := lrs.AppendEmpty()
		lr.SetEventName("shaped")
		lr.Attributes().PutInt("n", int64(i))
		set(lr)
	}
	return ld
}

func TestBodyFormatSendsTheShapedBody(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := withoutQueue(testCfg(s.URL))
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"format": "body"}).Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	exp := startExporter(t, cfg)

	err := exp.ConsumeLogs(context.Background(), bodyLogs(
		func(lr plog.LogRecord) {
			m := lr.Body().SetEmptyMap()
			m.PutStr("title", `x", "admin": true, "y": "`)
			m.PutEmptySlice("tags").AppendEmpty().SetStr("pii")
		},
		func(lr plog.LogRecord) { lr.Body().SetStr("not json at all") },
	))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))

	reqs := s.Wait(t, 1)
	require.Len(t, reqs, 1)
	assert.Equal(t, `{"title":"x\", \"admin\": true, \"y\": \"","tags":["pii"]}`, string(reqs[0].Body),
		"the body alone, without the event wrapper")
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))

	logged := exp.logs.FilterMessageSnippet("could not be encoded").All()
	require.Len(t, logged, 1)
	assert.Equal(t, "shaped", logged[0].ContextMap()["event_type"])
	assert.Contains(t, logged[0].ContextMap()["reason"], "body::content_type")
}

func TestBodyFormatTextContentType(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := withoutQueue(testCfg(s.URL))
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"format": "body",
		"body":   map[string]any{"content_type": "text/plain; charset=utf-8"},
	}).Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), bodyLogs(
		func(lr plog.LogRecord) { lr.Body().SetStr("CEF:0|Sentyr|DLP|1.0|pii|PII detected|9|") },
	)))
	req := s.Wait(t, 1)[0]
	assert.Equal(t, "CEF:0|Sentyr|DLP|1.0|pii|PII detected|9|", string(req.Body))
	assert.Equal(t, "text/plain; charset=utf-8", req.Header.Get("Content-Type"))
}

func TestBodyFormatBadContentTypeFailsValidation(t *testing.T) {
	cfg := testCfg("https://siem.example.com/webhook")
	cfg.Format = "body"
	cfg.Body.ContentType = "json"
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "body::content_type")
}

func TestRejectionsForOneReasonAreOneLogLine(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := withoutQueue(testCfg(s.URL))
	cfg.Format = "body"
	exp := startExporter(t, cfg)
	notJSON := func(lr plog.LogRecord) { lr.Body().SetStr("not json at all") }

	err := exp.ConsumeLogs(context.Background(), bodyLogs(notJSON, notJSON, notJSON))

	require.Error(t, err)
	assert.Zero(t, len(s.Requests()), "nothing could be sent")
	logged := exp.logs.FilterMessageSnippet("could not be encoded").All()
	require.Len(t, logged, 1, "three events, one reason, one line")
	assert.EqualValues(t, 3, logged[0].ContextMap()["events"])
}
