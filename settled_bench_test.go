package webhookexporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/memstorage"
	"github.com/sentyr/webhookexporter/internal/metadata"
)

// countingStorage is memoryStorage that counts what is written to it.
type countingStorage struct {
	*memstorage.Storage
	mu     sync.Mutex
	bytes  int
	writes int
}

func (s *countingStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return s, nil
}

func (s *countingStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	s.mu.Lock()
	s.writes++
	for _, op := range ops {
		s.bytes += len(op.Key) + len(op.Value)
	}
	s.mu.Unlock()
	return s.Storage.Batch(ctx, ops...)
}

// BenchmarkSettledStore is what recording settled events costs a batch:
// 100 events, one request each (json::batch: object); in "partial" the
// receiver is busy once for every other event, so the first attempt
// settles 50 events, which the store records, and the retry delivers the
// rest, after which the store forgets them; in "whole" every event is
// delivered at once. Each runs with the store (a persistent queue) and
// without (in memory); compare the two in one run. The retry does not
// wait (the clock fires at once) and the receiver answers in process.
func BenchmarkSettledStore(b *testing.B) {
	const events = 100
	for _, scenario := range []string{"whole", "partial"} {
		for _, store := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/store=%t", scenario, store), func(b *testing.B) {
				ld := numberedLogs(events, 200)
				busy := map[string]bool{}
				if scenario == "partial" {
					for i, id := range eventIDs(ld) {
						busy[id] = i%2 == 1
					}
				}
				var mu sync.Mutex
				tries := map[string]int{}
				answer := func(r *http.Request) int {
					key := r.Header.Get(delivery.HeaderIdempotencyKey)
					mu.Lock()
					tries[key]++
					first := tries[key]%2 == 1
					mu.Unlock()
					if busy[key] && first {
						return http.StatusServiceUnavailable
					}
					return http.StatusOK
				}
				cfg := withoutQueue(testCfg("http://receiver.invalid/events"))
				cfg.JSON.Batch = "object"
				cfg.RetryConfig.MaxElapsedTime = 0
				var host component.Host = componenttest.NewNopHost()
				disk := &countingStorage{Storage: memstorage.New()}
				if store {
					cfg = withDiskQueue(cfg)
					host = &storageHost{Host: host, ext: map[component.ID]component.Component{storageID: disk}}
				}
				e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
				require.NoError(b, err)
				var clk fakeClock
				e.pusher.Clock = clk.clock()
				require.NoError(b, e.start(context.Background(), host))
				// Answered in process: the network's noise would hide the
				// store's cost.
				e.sender.Client.Transport = answering(answer)
				defer func() { require.NoError(b, e.shutdown(context.Background())) }()
				b.ReportAllocs()
				for b.Loop() {
					require.NoError(b, e.pushLogs(context.Background(), ld))
				}
				require.Empty(b, e.settledIDs(), "the store forgets a finished batch")
				b.ReportMetric(float64(disk.bytes)/float64(b.N), "B-stored/batch")
				b.ReportMetric(float64(disk.writes)/float64(b.N), "writes/batch")
			})
		}
	}
}

// answering is a transport that reads each request and answers it with
// the status that status gives, without a network.
type answering func(*http.Request) int

func (status answering) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	code := status(r)
	return &http.Response{StatusCode: code, Status: http.StatusText(code), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// settledIDs is how many events the store remembers; 0 without one.
func (e *webhookExporter) settledIDs() int {
	return e.pusher.SettledEvents()
}
