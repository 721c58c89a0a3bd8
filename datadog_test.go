package webhookexporter

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
)

func ddCfg(s *ddsink.Events, key string) *Config {
	cfg := withoutQueue(testCfg(s.URL + ddsink.EventsPath))
	cfg.Format = "datadog"
	cfg.Datadog.APIKey = configopaque.String(key)
	return cfg
}

func TestDatadogSendsOneRequestPerEventAndRetriesOnlyTheFailed(t *testing.T) {
	s := ddsink.NewEvents(t)
	failed := []int{3, 11, 20, 33, 47}
	s.Unavailable(failed...)
	cfg := ddCfg(s, ddsink.Key)
	cfg.MaxConcurrentRequests = 4
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(50, 0)))

	total := 0
	var resent []int
	for seq, n := range s.Attempts() {
		total += n
		if n > 1 {
			resent = append(resent, seq)
		}
	}
	slices.Sort(resent)
	assert.Equal(t, 55, total, "50 requests, then the 5 that got 503")
	assert.Equal(t, failed, resent, "exactly the failed events are sent again")
	var delivered []int
	for _, ev := range s.Accepted() {
		delivered = append(delivered, ev.Seq)
	}
	slices.Sort(delivered)
	assert.Equal(t, countTo(50), delivered, "every event accepted exactly once")
	assert.LessOrEqual(t, s.MaxInFlight(), 4, "max_concurrent_requests bounds the requests in flight")
	assert.Equal(t, int64(50), sentRecords(t, exp))
}

func TestDatadogLongDataIsAcceptedCut(t *testing.T) {
	s := ddsink.NewEvents(t)
	exp := startExporter(t, ddCfg(s, ddsink.Key))
	ld := numberedLogs(1, 0)
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.Attributes().PutStr("message", strings.Repeat("ü", 20000))
	lr.SetEventName("pii_detected")
	lr.SetSeverityNumber(21) // FATAL: critical

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	accepted := s.Accepted()
	require.Len(t, accepted, 1)
	ev := accepted[0]
	assert.LessOrEqual(t, utf8.RuneCountInString(ev.Text), 4000)
	assert.Equal(t, "Sentyr: pii_detected", ev.Title)
	assert.Equal(t, "error", ev.AlertType, "critical becomes error")
	assert.Contains(t, ev.Tags, "severity:critical")
	require.NotNil(t, ev.DateHappened)
	assert.Equal(t, seedTime.Unix(), *ev.DateHappened)
}

func TestDatadogRefusedKeyIsPermanentAndNotLogged(t *testing.T) {
	const wrong = "ffffffffffffffffffffffffffffffff"
	s := ddsink.NewEvents(t)
	exp := startExporter(t, ddCfg(s, wrong))

	err := exp.ConsumeLogs(context.Background(), numberedLogs(2, 0))

	require.Error(t, err)
	assert.NotContains(t, err.Error(), wrong)
	assert.Empty(t, s.Accepted())
	for _, entry := range exp.logs.All() {
		assert.NotContains(t, entry.Message, wrong)
		for k, v := range entry.ContextMap() {
			assert.NotContains(t, k+"="+toString(v), wrong)
		}
	}
}
