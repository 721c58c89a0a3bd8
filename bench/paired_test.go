package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/internal/bench"
)

// Paired turns: blocks of this many pushes of the batch size, per turn.
const (
	pairedBatch = 1000
	pairedBlock = 8
)

// BenchmarkPushPaired pushes the same batch through otlphttpexporter, this
// exporter and the raw wire in turns: a block of pushes of each, one after
// the other, every iteration. This machine's speed drifts (a shared VM, up
// to 2x over minutes), and separate benchmarks each catch another part of
// the drift; turns all catch the same part, so their ratios hold. Each
// block starts with a push that is not measured, so that no block pays for
// what the one before left (the end of a GC cycle its garbage started);
// the end of each block's own last GC cycle goes unmeasured in turn, which
// leaves out a little of otlphttpexporter's GC work (it allocates 20x more
// than this exporter): its ratio is if anything on the low side.
//
// Reported: this exporter's ns/event and cpu-ns/event; otlphttp-cpu-ns/event
// and rawwire-ns/event; and the ratios x-otlphttp-cpu (otlphttp CPU ÷
// ours) and x-rawwire-time (raw wire time ÷ ours).
//
// BenchmarkPushPaired/formats/batch=N has the formats take turns with
// each other and with otlphttpexporter, for the cost of each format
// against json's in the same part of the drift: <format>-cpu-ns/event of
// each, otlphttp-cpu-ns/event, and x-json-cpu-<format> (the format's CPU
// ÷ json's: above 1 costs more than json).
func BenchmarkPushPaired(b *testing.B) {
	for _, f := range bench.Formats {
		if !pairedFormats[f.Name] {
			continue
		}
		b.Run(fmt.Sprintf("webhook/%s/batch=%d", f.Name, pairedBatch), func(b *testing.B) { benchPaired(b, f) })
	}
	b.Run(fmt.Sprintf("formats/batch=%d", pairedBatch), benchPairedFormats)
}

// pairedFormats are the formats of the paired turns: json, and the two
// SIEM formats measured against it.
var pairedFormats = map[string]bool{"json": true, "splunk_hec": true, "elastic": true}

type turn struct {
	push      func() error
	cpu, wall time.Duration
}

func benchPaired(b *testing.B, f bench.Format) {
	url := sink.url(b)
	ld := bench.Logs(pairedBatch)
	reqs := capture(b, f, ld)
	ours, otlp := startWebhook(b, f, url), startOTLPHTTP(b, url)
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer client.CloseIdleConnections()
	ctx := context.Background()
	webhook := &turn{push: func() error { return ours.ConsumeLogs(ctx, ld) }}
	otlphttp := &turn{push: func() error { return otlp.ConsumeLogs(ctx, ld) }}
	rawwire := &turn{push: func() error {
		for _, r := range reqs {
			if err := post(client, url+f.Path, r); err != nil {
				return err
			}
		}
		return nil
	}}
	events := takeTurns(b, otlphttp, webhook, rawwire)
	perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / events }
	b.ReportMetric(perEvent(webhook.wall), "ns/event")
	b.ReportMetric(perEvent(webhook.cpu), "cpu-ns/event")
	b.ReportMetric(perEvent(otlphttp.cpu), "otlphttp-cpu-ns/event")
	b.ReportMetric(perEvent(rawwire.wall), "rawwire-ns/event")
	b.ReportMetric(float64(otlphttp.cpu)/float64(webhook.cpu), "x-otlphttp-cpu")
	b.ReportMetric(float64(rawwire.wall)/float64(webhook.wall), "x-rawwire-time")
}

// takeTurns runs b.N rounds of the turns, a block of pushes each, and
// returns how many events each turn pushed.
func takeTurns(b *testing.B, turns ...*turn) float64 {
	b.ResetTimer()
	for range b.N {
		for _, t := range turns {
			// A push not measured absorbs what the block before left
			// behind: the end of a GC cycle its garbage started, caches
			// that hold its code and data.
			if err := t.push(); err != nil {
				b.Fatal(err)
			}
			cpu, start := bench.ProcessCPU(b), time.Now()
			for range pairedBlock {
				if err := t.push(); err != nil {
					b.Fatal(err)
				}
			}
			t.wall += time.Since(start)
			t.cpu += bench.ProcessCPU(b) - cpu
		}
	}
	b.StopTimer()
	return float64(b.N * pairedBlock * pairedBatch)
}

// benchPairedFormats is the paired formats' exporters and
// otlphttpexporter in turns on the same records and the same sink.
func benchPairedFormats(b *testing.B) {
	url := sink.url(b)
	ld := bench.Logs(pairedBatch)
	ctx := context.Background()
	otlp := startOTLPHTTP(b, url)
	otlphttp := &turn{push: func() error { return otlp.ConsumeLogs(ctx, ld) }}
	turns := []*turn{otlphttp}
	var names []string
	byName := map[string]*turn{}
	for _, f := range bench.Formats {
		if !pairedFormats[f.Name] {
			continue
		}
		exp := startWebhook(b, f, url)
		t := &turn{push: func() error { return exp.ConsumeLogs(ctx, ld) }}
		turns = append(turns, t)
		names = append(names, f.Name)
		byName[f.Name] = t
	}
	events := takeTurns(b, turns...)
	perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / events }
	b.ReportMetric(perEvent(otlphttp.cpu), "otlphttp-cpu-ns/event")
	jsonTurn := byName["json"]
	for _, name := range names {
		t := byName[name]
		b.ReportMetric(perEvent(t.cpu), name+"-cpu-ns/event")
		if name != "json" {
			b.ReportMetric(float64(t.cpu)/float64(jsonTurn.cpu), "x-json-cpu-"+name)
		}
	}
}
