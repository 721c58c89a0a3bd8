package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.uber.org/goleak"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/formats/builtin"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestProcCPUReadsThisProcess(t *testing.T) {
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn a little CPU so that it shows
	}
	cpu, err := procCPU(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, cpu)
	_, err = procCPU(-1)
	assert.Error(t, err)
}

// configOf parses a generated config (JSON, which the collector reads as
// YAML).
func configOf(t *testing.T, p pipelineSpec) map[string]any {
	t.Helper()
	var cfg map[string]any
	require.NoError(t, json.Unmarshal([]byte(collectorConfig(p)), &cfg))
	return cfg
}

func at(t *testing.T, m map[string]any, path ...string) any {
	t.Helper()
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		require.True(t, ok, "%v: %s is not a map", path, k)
		v, ok = mm[k]
		require.True(t, ok, "%v: no %s", path, k)
	}
	return v
}

func TestConfigPerFormatAndMode(t *testing.T) {
	for _, format := range formatNames {
		dest := destinations[format]
		cfg := configOf(t, pipelineSpec{mode: "otlp", exporter: format, otlpAddr: "127.0.0.1:4318", sinkURL: "http://127.0.0.1:9" + dest.path, consumers: 3})
		assert.Equal(t, "127.0.0.1:4318", at(t, cfg, "receivers", "otlp", "protocols", "http", "endpoint"))
		assert.Equal(t, format, at(t, cfg, "exporters", "webhook", "format"))
		assert.Equal(t, "http://127.0.0.1:9"+dest.path, at(t, cfg, "exporters", "webhook", "endpoint"))
		assert.EqualValues(t, 3, at(t, cfg, "exporters", "webhook", "sending_queue", "num_consumers"))
		assert.Equal(t, []any{"webhook"}, at(t, cfg, "service", "pipelines", "logs", "exporters"))
		assert.Equal(t, []any{"otlp"}, at(t, cfg, "service", "pipelines", "logs", "receivers"))
		assert.Equal(t, "none", at(t, cfg, "service", "telemetry", "metrics", "level"), format)
		assert.NotContains(t, at(t, cfg, "exporters", "webhook", "sending_queue"), "batch", "OTLP requests come batched")
		for k := range dest.settings {
			assert.Equal(t, dest.settings[k], at(t, cfg, "exporters", "webhook", k), format)
		}
	}

	base := configOf(t, pipelineSpec{mode: "otlp", exporter: nop, otlpAddr: "127.0.0.1:4318", consumers: 3})
	assert.Equal(t, []any{nop}, at(t, base, "service", "pipelines", "logs", "exporters"))
	assert.NotContains(t, at(t, base, "exporters"), "webhook")

	shared := configOf(t, pipelineSpec{mode: "otlp", exporter: "json", consumers: 1, shared: true})
	assert.Equal(t, []any{"webhook", nop}, at(t, shared, "service", "pipelines", "logs", "exporters"))
}

func TestFileConfigReadsTheFileAndCountsRecords(t *testing.T) {
	cfg := configOf(t, pipelineSpec{mode: "file", exporter: nop, otlpAddr: "127.0.0.1:1", filePath: "/run/events.jsonl", metrics: "127.0.0.1:8899", variant: defaultVariant})
	assert.Equal(t, []any{"filelog", "otlp"}, at(t, cfg, "service", "pipelines", "logs", "receivers"))
	assert.Equal(t, []any{"/run/events.jsonl"}, at(t, cfg, "receivers", "filelog", "include"))
	assert.Equal(t, "beginning", at(t, cfg, "receivers", "filelog", "start_at"))
	assert.Equal(t, true, at(t, cfg, "receivers", "filelog", "retry_on_failure", "enabled"), "a full queue pauses the file")
	ops := at(t, cfg, "receivers", "filelog", "operators").([]any)
	require.Len(t, ops, 3)
	assert.Equal(t, "json_parser", ops[0].(map[string]any)["type"])
	assert.Equal(t, "attributes.timestamp", at(t, ops[0].(map[string]any), "timestamp", "parse_from"))
	assert.Equal(t, "attributes.data", ops[2].(map[string]any)["from"])
	prom := at(t, cfg, "service", "telemetry", "metrics", "readers").([]any)[0].(map[string]any)
	assert.Equal(t, "127.0.0.1", at(t, prom, "pull", "exporter", "prometheus", "host"))
	assert.EqualValues(t, 8899, at(t, prom, "pull", "exporter", "prometheus", "port"))
	assert.Equal(t, "basic", at(t, cfg, "service", "telemetry", "metrics", "level"))

	// A variant's settings go over the base, its operators replace them,
	// and its batching turns on the exporter's.
	v := fileVariants[1]
	v.settings = map[string]any{"poll_interval": "1s"}
	v.exporterBatch = 1000
	cfg = configOf(t, pipelineSpec{mode: "file", exporter: "splunk_hec", filePath: "/f", variant: v, consumers: 1, pprofAddr: "127.0.0.1:1777"})
	assert.Equal(t, "1s", at(t, cfg, "receivers", "filelog", "poll_interval"))
	assert.Len(t, at(t, cfg, "receivers", "filelog", "operators"), 2)
	assert.EqualValues(t, 1000, at(t, cfg, "exporters", "webhook", "sending_queue", "batch", "min_size"))
	assert.Equal(t, "items", at(t, cfg, "exporters", "webhook", "sending_queue", "batch", "sizer"))
	assert.Equal(t, "127.0.0.1:1777", at(t, cfg, "extensions", "pprof", "endpoint"))
	assert.Equal(t, []any{"pprof"}, at(t, cfg, "service", "extensions"))
}

func TestOptionsAreBounded(t *testing.T) {
	ok := options{collector: os.Args[0], events: 10, batch: 10, senders: 1, timeout: time.Minute,
		formats: formatNames, modes: []string{"otlp", "file"}, consumers: 1, rounds: 3, profileSeconds: 4}
	require.NoError(t, ok.check())
	for name, mutate := range map[string]func(*options){
		"no events":       func(o *options) { o.events = 0 },
		"endless timeout": func(o *options) { o.timeout = 3 * time.Hour },
		"unknown format":  func(o *options) { o.formats = []string{"json", "xml"} },
		"no format":       func(o *options) { o.formats = nil },
		"unknown mode":    func(o *options) { o.modes = []string{"kafka"} },
		"no rounds":       func(o *options) { o.rounds = 0 },
		"negative window": func(o *options) { o.window = -1 },
		"no binary":       func(o *options) { o.collector = "/nonexistent/otelcol" },
	} {
		o := ok
		mutate(&o)
		assert.Error(t, o.check(), name)
	}
	assert.Equal(t, []string{"json", "elastic"}, splitList(" json, ,elastic "))
}

// Every event of a request carries its own number, in order.
func TestOTLPTemplateNumbersEveryEvent(t *testing.T) {
	tmpl, err := otlpTemplate(7)
	require.NoError(t, err)
	body := tmpl.fill(nil, 1234)
	req := plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(body))
	lrs := req.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	require.Equal(t, 7, lrs.Len())
	for i := range lrs.Len() {
		seq, ok := lrs.At(i).Attributes().Get(seqKey)
		require.True(t, ok)
		assert.Equal(t, fmt.Sprintf("%010d", 1234+i), seq.Str())
	}
	// Filling again reuses the buffer and renumbers.
	body = tmpl.fill(body, 0)
	req = plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(body))
	seq, _ := req.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(6).Attributes().Get(seqKey)
	assert.Equal(t, "0000000006", seq.Str())
}

// The file holds every event once, as lines with the members filelog's
// operators read.
func TestEventsFileHasEveryEventOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, writeEventsFile(path, 2500, 1000))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	types := map[string]bool{}
	for ; sc.Scan(); n++ {
		var line fileLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		assert.Equal(t, fmt.Sprintf("%010d", n), line.Data[seqKey])
		assert.Contains(t, []string{"info", "warning", "error", "critical"}, line.Severity)
		_, err := time.Parse(time.RFC3339Nano, line.Timestamp)
		assert.NoError(t, err)
		assert.NotContains(t, line.Data, "event.name")
		assert.NotContains(t, line.Data, "severity")
		types[line.EventType] = true
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 2500, n)
	assert.Equal(t, map[string]bool{"file_shared_externally": true, "pii_detected": true, "suspicious_login": true}, types)
}

// sendTo posts a body to the sink as the exporter would.
func sendTo(t *testing.T, s *sink, path string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(s.url, s.dest.path)+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(answer)
}

// secopsLog is a logs:import Log of the event ev.
func secopsLog(ev string) string {
	return `{"data":"` + base64.StdEncoding.EncodeToString([]byte(ev)) + `","logEntryTime":"2025-10-29T12:00:00Z","collectionTime":"2025-10-29T12:00:00Z"}`
}

// Each sink answers a request it took as the format table says the
// format's service answers, and takes the request only with the service's
// credential.
func TestSinksAnswerAsTheServices(t *testing.T) {
	ev := func(seq int) string { return fmt.Sprintf(`{"event_type":"x","data":{"load_seq":"%010d"}}`, seq) }
	bodies := map[builtin.BodyShape]string{
		builtin.BodyArray:         "[" + ev(0) + "," + ev(1) + "]",
		builtin.BodyObjectOrArray: "[" + ev(0) + "," + ev(1) + "]",
		builtin.BodyObjects:       `{"event":` + ev(0) + `}{"event":` + ev(1) + `}`,
		builtin.BodyBulk: `{"create":{"_index":"security-events","_id":"id-0"}}` + "\n" + ev(0) + "\n" +
			`{"create":{"_index":"security-events","_id":"id-1"}}` + "\n" + ev(1) + "\n",
		builtin.BodySecOpsLogs: `{"inlineSource":{"logs":[` + secopsLog(ev(0)) + "," + secopsLog(ev(1)) + `]}}`,
	}
	require.Contains(t, formatNames, "elastic")
	for _, format := range formatNames {
		b, _ := builtin.LookupBuiltin(format)
		body, ok := bodies[b.Service.Body]
		require.True(t, ok, "%s: a body of shape %s", format, b.Service.Body)
		s, err := startSink(format, 2)
		require.NoError(t, err)
		var header map[string]string
		if s.dest.header != "" {
			header = map[string]string{s.dest.header: s.dest.value}
			status, _ := sendTo(t, s, s.dest.path, nil, body)
			assert.Equal(t, http.StatusBadRequest, status, "%s without %s", format, s.dest.header)
			s.close()
			s, err = startSink(format, 2)
			require.NoError(t, err)
		}
		want := b.Service.Accept(2)
		status, answer := sendTo(t, s, s.dest.path, header, body)
		assert.Equal(t, want.Status, status, format)
		assert.Equal(t, want.Body, answer, format)
		assert.NoError(t, s.check(), format)
		s.close()
	}
}

func TestSinksRefuseWhatTheServicesRefuse(t *testing.T) {
	dest := destinations["splunk_hec"]
	hec := map[string]string{dest.header: dest.value}
	const good = "/services/collector/event"
	for name, c := range map[string]struct {
		path   string
		header map[string]string
		body   string
	}{
		"no token":  {good, nil, `{"event":{}}`},
		"bad path":  {"/services/collector/raw", hec, `{}`},
		"not JSON":  {good, hec, `{"event":`},
		"bad seq":   {good, hec, `{"load_seq":"12"}`},
		"too large": {good, hec, `{"load_seq":"0000000009"}`},
	} {
		s, err := startSink("splunk_hec", 2)
		require.NoError(t, err)
		status, _ := sendTo(t, s, c.path, c.header, c.body)
		assert.Equal(t, http.StatusBadRequest, status, name)
		assert.Error(t, s.check(), name)
		s.close()
	}
	s, err := startSink("elastic", 1)
	require.NoError(t, err)
	defer s.close()
	status, _ := sendTo(t, s, s.dest.path, nil, `{"create":{}}`+"\n")
	assert.Equal(t, http.StatusBadRequest, status, "an action without its document")
}

func TestSinkFindsMissingAndDuplicatedEvents(t *testing.T) {
	s, err := startSink("json", 4)
	require.NoError(t, err)
	defer s.close()
	ev := func(seq int) string { return fmt.Sprintf(`{"data":{"load_seq":"%010d"}}`, seq) }
	sendTo(t, s, s.dest.path, nil, "["+ev(0)+","+ev(1)+"]")
	sendTo(t, s, s.dest.path, nil, "["+ev(1)+","+ev(3)+"]")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = s.waitFor(ctx)
	require.Error(t, err, "four deliveries, but event 2 is missing and 1 came twice")
	assert.Contains(t, err.Error(), "1 missing (first [2]) and 1 delivered more than once (first [1])")
}

// The real exporter takes each sink's answer as a delivery: no retry (which
// the sink would count twice) and no drop.
func TestExporterDeliversToEverySink(t *testing.T) {
	tmpl, err := otlpTemplate(50)
	require.NoError(t, err)
	req := plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(tmpl.fill(nil, 0)))
	for _, format := range formatNames {
		t.Run(format, func(t *testing.T) {
			s, err := startSink(format, 50)
			require.NoError(t, err)
			defer s.close()
			factory := webhookexporter.NewFactory()
			cfg := factory.CreateDefaultConfig().(*webhookexporter.Config)
			settings := webhookSettings(pipelineSpec{exporter: format, sinkURL: s.url, consumers: 1})
			delete(settings, "sending_queue")
			require.NoError(t, confmap.NewFromStringMap(settings).Unmarshal(cfg))
			cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
			require.NoError(t, cfg.Validate())
			ctx := context.Background()
			exp, err := factory.CreateLogs(ctx, exportertest.NewNopSettings(factory.Type()), cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
			require.NoError(t, exp.ConsumeLogs(ctx, req.Logs()))
			require.NoError(t, exp.Shutdown(ctx))
			assert.NoError(t, s.check())
			assert.EqualValues(t, 50, s.events.Load())
		})
	}
}

func TestParseAcceptedSumsFilelogOnly(t *testing.T) {
	text := `# HELP otelcol_receiver_accepted_log_records_total Number of log records successfully pushed into the pipeline.
otelcol_receiver_accepted_log_records_total{receiver="filelog",transport=""} 1200
otelcol_receiver_accepted_log_records_total{receiver="otlp",transport="http"} 7
otelcol_exporter_sent_log_records_total{exporter="nop"} 1200
`
	n, err := parseAccepted(strings.NewReader(text))
	require.NoError(t, err)
	assert.EqualValues(t, 1200, n)
	_, err = parseAccepted(strings.NewReader("otelcol_process_uptime 3\n"))
	assert.Error(t, err, "before the receiver has counted anything")
}

// The share is the median of each round's difference, not the difference
// of medians: a round's two loads ran one after the other.
func TestSharesAreMediansOfEachRoundsDifference(t *testing.T) {
	load := func(cpuMillis int) *result {
		return &result{events: 1_000_000, requests: 1000, bytes: 406_000_000, elapsed: time.Second, cpu: time.Duration(cpuMillis) * time.Millisecond, maxRSSKiB: 150 * 1024}
	}
	loads := []*result{load(13000), load(20000), load(12000)}
	bases := []*result{load(9000), load(15000), load(10000)}
	s := summarize(loads, bases)
	assert.InDelta(t, 13.0, s.cpu, 1e-9, "the median load")
	assert.InDelta(t, 4.0, s.share, 1e-9, "differences 4, 5, 2")
	assert.InDelta(t, 2.0, s.lo, 1e-9)
	assert.InDelta(t, 5.0, s.hi, 1e-9)

	jobs := tableJobs(options{modes: []string{"otlp"}, formats: []string{"json"}})
	var out strings.Builder
	printTable(&out, options{events: 1_000_000, batch: 1000, senders: 2, consumers: 2, rounds: 3}, jobs,
		map[string][]*result{jobs[0].String(): bases, jobs[1].String(): loads})
	assert.Contains(t, out.String(), "| OTLP/HTTP | nop (baseline) | 10.00 | — | 1000000 | 150 |")
	assert.Contains(t, out.String(), "| OTLP/HTTP | webhook json | 13.00 | 4.00 (2.00 to 5.00) | 1000000 | 150 | 1.00 | 406 |")
}

func TestRoundsRotateThePipelines(t *testing.T) {
	jobs := tableJobs(options{modes: []string{"otlp"}, formats: []string{"json", "elastic"}})
	require.Len(t, jobs, 3)
	file := tableJobs(options{modes: []string{"file"}, formats: []string{"json"}})
	assert.Equal(t, 1000, file[1].variant.exporterBatch, "the file mode batches as examples/file-input.yaml does")
	assert.Zero(t, jobs[1].variant.exporterBatch)
	assert.Equal(t, jobs, roundOrder(jobs, 0))
	assert.Equal(t, []job{jobs[1], jobs[2], jobs[0]}, roundOrder(jobs, 1))
	assert.Equal(t, jobs, roundOrder(jobs, 3))
}

// With a window, no request goes out while more than that many events are
// accepted but not at the sink.
func TestSendKeepsAtMostAWindowInFlight(t *testing.T) {
	var posted atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posted.Add(1)
	}))
	defer srv.Close()
	full, err := otlpTemplate(10)
	require.NoError(t, err)
	o := options{events: 50, batch: 10, senders: 2, window: 10}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = send(ctx, srv.Client(), srv.URL, &inputs{full: full}, o, func() int64 { return 0 })
	require.ErrorIs(t, err, context.DeadlineExceeded, "nothing is delivered, so the rest waits")
	assert.EqualValues(t, 2, posted.Load(), "events 0-9 and 10-19: 10 in flight beyond the sink's count, not more")

	posted.Store(0)
	_, err = send(context.Background(), srv.Client(), srv.URL, &inputs{full: full}, o, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 5, posted.Load(), "without a sink (the nop baseline) nothing waits")
}
