package webhookexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/internal/raceflag"
	"github.com/sentyr/webhookexporter/internal/testsink"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/redact"
	"github.com/sentyr/webhookexporter/internal/testsink/sentinel"
)

// Everything that comes from outside has a documented size where it is
// kept: the receiver's text in a dead letter's detail, a log line and an
// error (redact.TextBytes), and what is read of an answer
// (builtin.AnswerBytes, and per document for _bulk).

// keptMax is the most a detail, an error or a log field may take: the
// exporter's own words around one text from outside, cut.
const keptMax = redact.TextBytes + len(redact.CutMarker) + len("18446744073709551615 bytes)") + 512

// consumeAlloc is what the process allocates while exp takes ld.
func consumeAlloc(exp *testExporter, ld plog.Logs) (alloc uint64, err error) {
	alloc = allocatedBy(func() { err = exp.ConsumeLogs(context.Background(), ld) })
	return alloc, err
}

// requireBoundedLogs checks every line exp logged, message and fields.
func requireBoundedLogs(t *testing.T, logs *observer.ObservedLogs) {
	t.Helper()
	for _, e := range logs.All() {
		assert.LessOrEqual(t, len(e.Message), keptMax)
		for k, v := range e.ContextMap() {
			assert.LessOrEqual(t, len(fmt.Sprint(v)), keptMax, "%s: field %s", e.Message, k)
		}
	}
}

// A receiver's text of any size is cut where it is kept, once per
// request: the dead letters, the log lines and the error stay within
// keptMax, and a push costs no more with a long text than with a short
// one beyond the text itself, whatever the number of events.
func TestReceiverTextIsCutWhereKept(t *testing.T) {
	const events = 200
	hecAnswer := func(status, code int) func(text string) func(w http.ResponseWriter, r *http.Request) {
		return func(text string) func(w http.ResponseWriter, r *http.Request) {
			answer, _ := json.Marshal(map[string]any{"text": text, "code": code})
			return func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(status)
				_, _ = w.Write(answer)
			}
		}
	}
	for _, tt := range []struct {
		name   string
		format string
		path   string
		// answer answers every request with text as the receiver's reason.
		answer  func(text string) func(w http.ResponseWriter, r *http.Request)
		reason  string
		noRetry bool
		size    int // of the text; 0: within every answer bound
	}{
		{"HEC bad token", "splunk_hec", "/services/collector/event", hecAnswer(http.StatusForbidden, 4), deadletter.Refused, false, 0},
		{"HEC bad token, 4 MB", "splunk_hec", "/services/collector/event", hecAnswer(http.StatusForbidden, 4), deadletter.Refused, false, 4 << 20},
		{"HEC busy, retries off", "splunk_hec", "/services/collector/event", hecAnswer(http.StatusServiceUnavailable, 9), deadletter.RetriesExhausted, true, 0},
		{"HTTP 400", "json", "/", func(text string) func(w http.ResponseWriter, r *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, text)
			}
		}, deadletter.Refused, false, 0},
		{"_bulk items", "elastic", "/sentyr/_bulk", func(text string) func(w http.ResponseWriter, r *http.Request) {
			// Every item refused with its own copy of the text, as long
			// as the per-document budget of the answer allows; the answer
			// is made before the push, so that its cost is not counted.
			text = text[:min(len(text), builtin.BulkItemAnswerBytes-200)]
			item, _ := json.Marshal(map[string]any{"create": map[string]any{"status": 400,
				"error": map[string]any{"type": "mapper_parsing_exception", "reason": text}}})
			answer := `{"took":1,"errors":true,"items":[` + strings.TrimSuffix(strings.Repeat(string(item)+",", events), ",") + "]}"
			return func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if n := bytes.Count(body, []byte("\n")) / 2; n != events {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				_, _ = io.WriteString(w, answer)
			}
		}, deadletter.RefusedPerEvent, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// keep: with dead letters, which the push then succeeds with;
			// without, it returns the error, the text's last place.
			run := func(text string, keep bool) (uint64, *testExporter, string, []deadLetter) {
				s := testsink.NewRecorder(t, testsink.Serve(tt.answer(text)))
				cfg := withoutQueue(testCfg(s.URL + tt.path))
				cfg.Format = tt.format
				cfg.SplunkHEC.Token = "11111111-2222-3333-4444-555555555555"
				cfg.Elastic.APIKey = "a2V5aWQ6a2V5"
				cfg.RetryConfig.Enabled = !tt.noRetry
				if !keep {
					exp := startExporter(t, cfg)
					alloc, err := consumeAlloc(exp, numberedLogs(events, 0))
					require.Error(t, err)
					return alloc, exp, err.Error(), nil
				}
				cfg = withDeadLetters(t, cfg)
				cfg.DeadLetter.MaxSizeMiB = 256
				exp := startExporter(t, cfg)
				alloc, err := consumeAlloc(exp, numberedLogs(events, 0))
				require.NoError(t, err, "every event is kept as a dead letter")
				return alloc, exp, "", readDeadLetters(t, cfg.DeadLetter.Directory)
			}
			short, _, _, _ := run("refused", true)
			long := strings.Repeat("refused! ", max(tt.size, 54_000)/9)
			alloc, exp, _, got := run(long, true)
			_, _, errText, _ := run(long, false)

			require.Len(t, got, events, "every event is a dead letter")
			for _, dl := range got {
				assert.Equal(t, tt.reason, dl.info.Reason)
				require.LessOrEqual(t, len(dl.info.Detail), keptMax)
				assert.Contains(t, dl.info.Detail, "refused! refused!", "the start of the text is kept")
				assert.Contains(t, dl.info.Detail, redact.CutMarker, "the cut is marked")
			}
			assert.LessOrEqual(t, len(errText), keptMax)
			requireBoundedLogs(t, exp.logs)
			// What is kept is cut once per request: no copy of the text
			// per event. What the receiver sent costs a few copies of
			// itself at most (_bulk sends a text per item).
			sent := min(len(long), builtin.AnswerBytes)
			if tt.format == "elastic" {
				sent = events * (builtin.BulkItemAnswerBytes - 200)
			}
			assert.Less(t, alloc, short+uint64(8*sent)+1<<20,
				"allocated %d bytes with a %d-byte text, %d with a short one", alloc, len(long), short)
			t.Logf("%d events: allocated %d bytes with a %d-byte text, %d with a short one", events, alloc, len(long), short)
		})
	}
}

// A HEC request refused as a whole (403, code 4: a bad token) is
// `refused`, with a line for the request, not `refused_per_event`.
func TestHECTokenRefusalIsRefusedWhole(t *testing.T) {
	s := testsink.NewRecorder(t, testsink.Serve(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"text":"Invalid token","code":4}`)
	}))
	cfg := withoutQueue(testCfg(s.URL + "/services/collector/event"))
	cfg.Format = "splunk_hec"
	cfg.SplunkHEC.Token = configopaque.String("99999999-8888-7777-6666-555555555555")
	cfg = withDeadLetters(t, cfg)
	exp := startExporter(t, cfg)
	ld := numberedLogs(50, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	requireDeadLetters(t, readDeadLetters(t, cfg.DeadLetter.Directory), ld, deadletter.Refused)
	assert.Equal(t, map[string]int64{deadletter.Refused: 50}, metricByReason(t, exp.telemetry, metricDropped))
	assert.Zero(t, exp.logs.FilterMessageSnippet("refused an event").Len())
	lines := exp.logs.FilterMessage("The receiver refused the request; its events are kept as dead letters").All()
	require.Len(t, lines, 1)
	assert.EqualValues(t, 50, lines[0].ContextMap()["events"])
	assert.Contains(t, lines[0].ContextMap()["reason"], "Splunk HEC refused the token (code 4; set splunk_hec::token to a valid, enabled HEC token): Invalid token")
}

// A Retry-After of any size waits at most max_interval.
func TestRetryAfterIsCapped(t *testing.T) {
	// Retry-After is capped as internal/delivery's TestRetryAfterIsCapped
	// checks. Through the exporter: retries without a time limit and a receiver
	// asking for 68 years. The second try comes after max_interval.
	var tries atomic.Int32
	s := testsink.NewRecorder(t, testsink.Serve(func(w http.ResponseWriter, _ *http.Request) {
		if tries.Add(1) == 1 {
			w.Header().Set("Retry-After", "2147483647")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	cfg := withoutQueue(testCfg(s.URL))
	cfg.RetryConfig.MaxElapsedTime = 0
	exp := startExporter(t, cfg)
	pushed := make(chan error, 1)
	go func() { pushed <- exp.ConsumeLogs(context.Background(), numberedLogs(1, 0)) }()
	select {
	case err := <-pushed:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("the batch waits for Retry-After beyond max_interval")
	}
	retries := exp.logs.FilterMessageSnippet("Will retry").All()
	require.Len(t, retries, 1)
	assert.Equal(t, cfg.RetryConfig.MaxInterval.String(), retries[0].ContextMap()["interval"])
}

// What is read of an answer is bounded, for every built-in format, by
// builtin.AnswerBytes (and a _bulk answer's per-document budget), whether
// the answer never ends or is a gzip bomb that Go's transport
// decompresses: a push costs no more than that, however long the answer.
func TestAnswersAreReadWithinBounds(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	const events = 10
	chunk := bytes.Repeat([]byte(`{"text":"Success","code":0} `), 1<<10)
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 256 {
		_, _ = zw.Write(zeros)
	}
	require.NoError(t, zw.Close())

	for _, b := range builtin.Builtins() {
		for _, answer := range []string{"endless", "gzip bomb"} {
			t.Run(b.Name+"/"+answer, func(t *testing.T) {
				var gzipAsked atomic.Bool
				var requests atomic.Int32
				s := testsink.NewRecorder(t, testsink.Serve(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					_, _ = io.Copy(io.Discard, r.Body)
					gzipAsked.Store(strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"))
					if answer == "gzip bomb" {
						w.Header().Set("Content-Encoding", "gzip")
						_, _ = w.Write(bomb.Bytes())
						return
					}
					for {
						if _, err := w.Write(chunk); err != nil {
							return
						}
					}
				}))
				cfg := withoutQueue(answerTestCfg(t, b.Name, s.URL))
				cfg.RetryConfig.Enabled = false
				exp := startExporter(t, cfg)

				batch := make([]seedEvent, events)
				for i := range batch {
					batch[i] = seedExample
				}
				alloc, _ := consumeAlloc(exp, seedLogs(t, batch...))

				require.Positive(t, requests.Load(), "the events were sent")
				if answer == "gzip bomb" {
					require.True(t, gzipAsked.Load(), "Go's transport asks for gzip and decompresses the answer itself")
				}
				bound := builtin.AnswerBytes + builtin.BulkItemAnswerBytes*events
				assert.Less(t, alloc, uint64(16*bound)+2<<20, "allocated %d bytes for one push", alloc)
				t.Logf("%s, %s answer: %d bytes allocated for one push of %d events", b.Name, answer, alloc, events)
			})
		}
	}
}

// answerTestCfg is a valid config of the built-in format name for a
// receiver at url. A format added to the table without settings here
// fails the test that uses it, which then says what to add.
func answerTestCfg(t *testing.T, name, url string) *Config {
	t.Helper()
	cfg := testCfg(url + "/")
	cfg.Format = name
	switch name {
	case "splunk_hec":
		cfg.SplunkHEC.Token = "11111111-2222-3333-4444-555555555555"
	case "datadog":
		cfg.Datadog.APIKey = "0123456789abcdef0123456789abcdef"
	case "datadog_logs":
		cfg.ClientConfig.Endpoint = url + "/api/v2/logs"
		cfg.DatadogLogs.APIKey = "0123456789abcdef0123456789abcdef"
	case "elastic":
		cfg.ClientConfig.Endpoint = url + "/sentyr/_bulk"
		cfg.Elastic.APIKey = "a2V5aWQ6a2V5"
	case "sentinel":
		cfg.ClientConfig.Endpoint = url + sentinel.Path + "?api-version=2023-01-01"
	case "custom":
		cfg.Custom.Template = `{"type": "{{ event_type }}"}`
	case "pagerduty":
		cfg.PagerDuty.RoutingKey = "R0123456789abcdef0123456789abcde"
	case "secops":
		b, _ := builtin.LookupBuiltin(name)
		cfg.ClientConfig.Endpoint = url + b.Service.Path
	}
	require.NoError(t, cfg.Validate(), "format %s: give it valid settings in answerTestCfg", name)
	return cfg
}
