package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/internal/bench"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// BenchmarkPush is the full push path: ConsumeLogs on a factory-built
// exporter (real exporterhelper, the sending queue off so that each call
// returns when the sink has answered) to a sink in another process, next
// to the two baselines that push the same records to the same sink:
//
//	webhook/<format>/batch=N   this exporter
//	otlphttp/batch=N           the collector's otlphttpexporter, encoding json, no compression
//	rawwire/<format>/batch=N   the bytes this exporter sent, pre-encoded, posted by a plain net/http client
func BenchmarkPush(b *testing.B) {
	for _, n := range bench.BatchSizes {
		b.Run(fmt.Sprintf("otlphttp/batch=%d", n), func(b *testing.B) { benchOTLPHTTP(b, n) })
	}
	for _, f := range bench.Formats {
		for _, n := range bench.BatchSizes {
			b.Run(fmt.Sprintf("webhook/%s/batch=%d", f.Name, n), func(b *testing.B) { benchWebhook(b, f, n) })
			b.Run(fmt.Sprintf("rawwire/%s/batch=%d", f.Name, n), func(b *testing.B) { benchRawWire(b, f, n) })
		}
	}
}

func benchWebhook(b *testing.B, f bench.Format, n int) {
	if f.MinInterval > 0 {
		b.Skipf("%s's service takes a request every %s and the exporter keeps that pace, so a push would time the pace; BenchmarkEncode times its encoding, rawwire its requests", f.Name, f.MinInterval)
	}
	url := sink.url(b)
	ld := bench.Logs(n)
	wire := 0
	for _, r := range capture(b, f, ld) {
		wire += len(r.Raw)
	}
	exp := startWebhook(b, f, url)
	ctx := context.Background()
	m := bench.StartMeter(b)
	for range b.N {
		if err := exp.ConsumeLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
	}
	m.Stop(b, n, wire)
}

func benchOTLPHTTP(b *testing.B, n int) {
	url := sink.url(b)
	ld := bench.Logs(n)
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	exp := startOTLPHTTP(b, url)
	ctx := context.Background()
	m := bench.StartMeter(b)
	for range b.N {
		if err := exp.ConsumeLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
	}
	m.Stop(b, n, len(body))
}

// startOTLPHTTP starts the collector's otlphttpexporter, encoding json, no
// compression, the sending queue off, sending to url.
func startOTLPHTTP(b *testing.B, url string) exporter.Logs {
	factory := otlphttpexporter.NewFactory()
	cfg := factory.CreateDefaultConfig().(*otlphttpexporter.Config)
	cfg.LogsEndpoint = url + "/v1/logs"
	cfg.Encoding = otlphttpexporter.EncodingJSON
	cfg.ClientConfig.Compression = configcompression.Type("")
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	return startLogs(b, factory, cfg)
}

// benchRawWire posts the requests this exporter made of the batch, as
// bytes encoded beforehand, one after the other: what the transport costs
// with no mapping, encoding or bookkeeping.
func benchRawWire(b *testing.B, f bench.Format, n int) {
	url := sink.url(b) + f.Path
	reqs := capture(b, f, bench.Logs(n))
	wire := 0
	for _, r := range reqs {
		wire += len(r.Raw)
	}
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer client.CloseIdleConnections()
	m := bench.StartMeter(b)
	for range b.N {
		for _, r := range reqs {
			if err := post(client, url, r); err != nil {
				b.Fatal(err)
			}
		}
	}
	m.Stop(b, n, wire)
}

func post(client *http.Client, url string, r testsink.Request) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.Raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sink answered %d", resp.StatusCode)
	}
	return nil
}

// webhookConfig is the exporter's default config with f's settings, the
// sending queue off.
func webhookConfig(tb testing.TB, f bench.Format, url string) (exporter.Factory, *webhookexporter.Config) {
	tb.Helper()
	factory := webhookexporter.NewFactory()
	cfg := factory.CreateDefaultConfig().(*webhookexporter.Config)
	if err := confmap.NewFromStringMap(f.ExporterSettings(url)).Unmarshal(cfg); err != nil {
		tb.Skipf("format %s is not in this build yet: %v", f.Name, err)
	}
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	if err := cfg.Validate(); err != nil {
		tb.Skipf("format %s is not in this build yet: %v", f.Name, err)
	}
	return factory, cfg
}

func startWebhook(tb testing.TB, f bench.Format, url string) exporter.Logs {
	tb.Helper()
	factory, cfg := webhookConfig(tb, f, url)
	return startLogs(tb, factory, cfg)
}

func startLogs(tb testing.TB, factory exporter.Factory, cfg any) exporter.Logs {
	tb.Helper()
	ctx := context.Background()
	exp, err := factory.CreateLogs(ctx, exportertest.NewNopSettings(factory.Type()), cfg)
	if err != nil {
		tb.Skipf("%s: %v", factory.Type(), err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := exp.Shutdown(ctx); err != nil {
			tb.Error(err)
		}
	})
	return exp
}

// capture pushes ld once through the exporter to an in-process receiver
// answering as the benchmarks' sink does, and returns the requests it made.
func capture(tb testing.TB, f bench.Format, ld plog.Logs) []testsink.Request {
	tb.Helper()
	answer := bench.SinkHandler()
	srv := testsink.NewRecorder(tb, func(w http.ResponseWriter, r *http.Request, _ int) { answer.ServeHTTP(w, r) })
	factory, cfg := webhookConfig(tb, f, srv.URL)
	exp := startLogsNoCleanup(tb, factory, cfg)
	err := exp.ConsumeLogs(context.Background(), ld)
	if shutErr := exp.Shutdown(context.Background()); shutErr != nil {
		tb.Fatal(shutErr)
	}
	if err != nil {
		tb.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) == 0 {
		tb.Fatalf("format %s sent nothing", f.Name)
	}
	return reqs
}

func startLogsNoCleanup(tb testing.TB, factory exporter.Factory, cfg any) exporter.Logs {
	tb.Helper()
	exp, err := factory.CreateLogs(context.Background(), exportertest.NewNopSettings(factory.Type()), cfg)
	if err != nil {
		tb.Skipf("%s: %v", factory.Type(), err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	return exp
}
