package webhookexporter

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/bench"
	"github.com/sentyr/webhookexporter/internal/mapping"
	"github.com/sentyr/webhookexporter/internal/metadata"
)

// BenchmarkEncode is encoding alone: the events are mapped before the
// timer starts.
//
//	webhook/<format>/batch=N   the format's encoder
//	encodingjson/batch=N       encoding/json marshalling the same events as
//	                           map[string]any (the json format's shape), the
//	                           maps built before the timer starts
func BenchmarkEncode(b *testing.B) {
	for _, f := range bench.Formats {
		for _, n := range bench.BatchSizes {
			b.Run(fmt.Sprintf("webhook/%s/batch=%d", f.Name, n), func(b *testing.B) {
				exp := benchExporter(b, f)
				enc, events := exp.encoder, exp.pusher.Mapper.Events(bench.Logs(n), nil)
				wire := encodedSize(b, enc, events)
				m := bench.StartMeter(b)
				for range b.N {
					encodeAndRelease(b, enc, events)
				}
				m.Stop(b, n, wire)
			})
		}
	}
	for _, n := range bench.BatchSizes {
		b.Run(fmt.Sprintf("encodingjson/batch=%d", n), func(b *testing.B) {
			events := benchMapper().Events(bench.Logs(n), nil)
			doc := jsonDocument(events)
			body, err := json.Marshal(doc)
			if err != nil {
				b.Fatal(err)
			}
			m := bench.StartMeter(b)
			for range b.N {
				if _, err := json.Marshal(doc); err != nil {
					b.Fatal(err)
				}
			}
			m.Stop(b, n, len(body))
		})
	}
}

// BenchmarkMapEncode is mapping and encoding from plog.Logs, what the push
// path does before it posts:
//
//	webhook/<format>/batch=N   the exporter's mapping (the event id only
//	                           where the encoder reads it) and the format's
//	                           encoder, a chunk at a time where the encoder
//	                           takes parts, into pooled arrays: what the
//	                           push path does
//	encodingjson/batch=N       the same mapping, then the data turned into
//	                           map[string]any (pcommon's AsRaw) and the
//	                           document marshalled by encoding/json: only the
//	                           encoding differs
func BenchmarkMapEncode(b *testing.B) {
	for _, f := range bench.Formats {
		for _, n := range bench.BatchSizes {
			b.Run(fmt.Sprintf("webhook/%s/batch=%d", f.Name, n), func(b *testing.B) {
				exp := benchExporter(b, f)
				enc, mp, ld := exp.encoder, &exp.pusher.Mapper, bench.Logs(n)
				wire := encodedSize(b, enc, mp.Events(ld, nil))
				m := bench.StartMeter(b)
				for range b.N {
					a := exp.pusher.Arrays.Get()
					batch, err := exp.pusher.MapAndEncode(ld, a)
					if err != nil {
						b.Fatal(err)
					}
					batch.Release()
					exp.pusher.Arrays.Put(a)
				}
				m.Stop(b, n, wire)
			})
		}
	}
	for _, n := range bench.BatchSizes {
		b.Run(fmt.Sprintf("encodingjson/batch=%d", n), func(b *testing.B) {
			ld := bench.Logs(n)
			mp := benchMapper()
			body, err := json.Marshal(jsonDocument(mp.Events(ld, nil)))
			if err != nil {
				b.Fatal(err)
			}
			m := bench.StartMeter(b)
			for range b.N {
				events := mp.Events(ld, make([]formats.Event, 0, ld.LogRecordCount()))
				if _, err := json.Marshal(jsonDocument(events)); err != nil {
					b.Fatal(err)
				}
			}
			m.Stop(b, n, len(body))
		})
	}
}

// encodeAndRelease encodes events and releases the batch, as the exporter
// does once a batch is sent.
func encodeAndRelease(b *testing.B, enc builtin.Encoder, events []formats.Event) {
	batch, err := enc.Encode(events)
	if err != nil {
		b.Fatal(err)
	}
	batch.Release()
}

func benchMapper() *mapping.Mapper {
	return &mapping.Mapper{Source: defaultSource, Now: time.Now}
}

// benchExporter builds f's exporter (not started) from the default config
// with f's settings, as the factory would: its encoder, and its mapper,
// which leaves out the ids that the encoder does not read.
func benchExporter(b *testing.B, f bench.Format) *webhookExporter {
	b.Helper()
	cfg := createDefaultConfig().(*Config)
	if err := confmap.NewFromStringMap(f.ExporterSettings("http://127.0.0.1:1")).Unmarshal(cfg); err != nil {
		b.Skipf("format %s is not in this build yet: %v", f.Name, err)
	}
	if err := cfg.Validate(); err != nil {
		b.Skipf("format %s is not in this build yet: %v", f.Name, err)
	}
	exp, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	if err != nil {
		b.Skipf("format %s is not in this build yet: %v", f.Name, err)
	}
	return exp
}

func encodedSize(b *testing.B, enc builtin.Encoder, events []formats.Event) int {
	b.Helper()
	batch, err := enc.Encode(events)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, r := range batch.Requests {
		n += len(r.Body)
	}
	return n
}

// jsonDocument is the json format's payload as encoding/json users would
// build it: an object per event, an array for a batch.
func jsonDocument(events []formats.Event) any {
	docs := make([]map[string]any, len(events))
	for i := range events {
		ev := &events[i]
		docs[i] = map[string]any{
			"timestamp":  ev.Timestamp.UTC().Format(time.RFC3339Nano),
			"source":     ev.Source,
			"event_type": ev.Type,
			"severity":   ev.Severity,
			"data":       ev.DataMap(),
		}
	}
	if len(docs) == 1 {
		return docs[0]
	}
	return docs
}
