package webhookexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/raceflag"
)

// heldBodyTransport answers 200 at once and keeps every request body
// unread, as a transport that closes bodies after RoundTrip returns may.
type heldBodyTransport struct{ bodies []io.ReadCloser }

func (h *heldBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h.bodies = append(h.bodies, req.Body)
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// A body the transport still holds after the push returned is not written
// over by the next push: its buffer goes back to the encoder only when the
// transport closes it.
func TestABodyStillHeldByTheTransportIsNotReused(t *testing.T) {
	cfg := testCfg("http://127.0.0.1:1/events")
	e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	transport := &heldBodyTransport{}
	e.sender.Client = &http.Client{Transport: transport}
	ctx := context.Background()

	// Bodies far larger than what a push allocates besides (its trace,
	// its answer), so that a body allocated anew stands out.
	first := seedEvent{"first_batch", "warning", map[string]any{"n": strings.Repeat("1", 40000)}}
	second := seedEvent{"second_batch", "error", map[string]any{"n": strings.Repeat("2", 40000)}}
	require.NoError(t, e.pushLogs(ctx, seedLogs(t, first, first)))
	require.NoError(t, e.pushLogs(ctx, seedLogs(t, second, second)))
	require.Len(t, transport.bodies, 2)

	bodySize := 0
	for i, want := range []string{"first_batch", "second_batch"} {
		body, err := io.ReadAll(transport.bodies[i])
		bodySize = len(body)
		require.NoError(t, err)
		require.NoError(t, transport.bodies[i].Close())
		assert.Contains(t, string(body), want, "request %d carries another batch's bytes", i)
		assert.Equal(t, 2, strings.Count(string(body), want))
	}

	// Closed, the buffers are the encoder's again: the next push writes
	// into one of them instead of allocating a body.
	ld := seedLogs(t, first, first)
	require.NoError(t, e.pushLogs(ctx, ld))
	reused := pushesReusingTheBuffer(bodySize, func() {
		_ = transport.bodies[len(transport.bodies)-1].Close()
		require.NoError(t, e.pushLogs(ctx, ld))
	})
	assertPushesReused(t, reused)
}

// Compressed, a body is read and closed by confighttp's compression before
// the request goes out: its buffer goes back to the encoder all the same.
func TestCompressedPushesReuseTheirBuffer(t *testing.T) {
	ctx := context.Background()
	cfg := withoutQueue(testCfg("http://127.0.0.1:1"))
	cfg.ClientConfig.Compression = configcompression.TypeGzip
	// An exporter of the same config encodes the batch for the server to
	// compare with.
	encoding, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	events := make([]seedEvent, 200)
	for i := range events {
		events[i] = seedEvent{"compressed_batch", "warning", map[string]any{"n": strings.Repeat("1", 4000)}}
	}
	ld := seedLogs(t, events...)
	batch, err := encoding.encoder.Encode(encoding.pusher.Mapper.Events(ld, nil))
	require.NoError(t, err)
	require.Len(t, batch.Requests, 1)
	want := sha256.Sum256(batch.Requests[0].Body)
	bodySize := len(batch.Requests[0].Body)

	// The server hashes the body as it streams, so that it allocates
	// little next to the body.
	var gzipped, intact atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") == "gzip" {
			gzipped.Add(1)
			h := sha256.New()
			if zr, err := gzip.NewReader(r.Body); err == nil {
				if _, err := io.Copy(h, zr); err == nil && bytes.Equal(h.Sum(nil), want[:]) {
					intact.Add(1)
				}
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	cfg.ClientConfig.Endpoint = srv.URL
	e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, e.shutdown(ctx)) }()

	push := func() { require.NoError(t, e.pushLogs(ctx, ld)) }
	assertPushesReused(t, pushesReusingTheBuffer(bodySize, push))
	assert.Equal(t, int32(pushRounds+1), gzipped.Load(), "requests gzipped")
	assert.Equal(t, gzipped.Load(), intact.Load(), "every request carries the batch")
}

// assertPushesReused checks that every push reused a buffer an earlier
// push let go of, or some push under the race detector, whose sync.Pool
// drops some buffers on purpose.
func assertPushesReused(t *testing.T, reused int) {
	t.Helper()
	if raceflag.Enabled {
		assert.Positive(t, reused, "no push reused a buffer that an earlier one let go of")
		return
	}
	assert.Equal(t, pushRounds, reused, "pushes that reused a buffer an earlier one let go of")
}

// pushRounds is how many pushes a reuse test measures.
const pushRounds = 20

// pushesReusingTheBuffer runs push once, then pushRounds times, whose
// batch's body is at least bodySize bytes, and counts the pushes that
// wrote into a buffer an earlier push let go of rather than allocating
// one. No GC may empty the pool meanwhile, and it runs on one P: sync.Pool
// keeps a buffer put back for the P that put it, which a goroutine moved
// to another P misses.
func pushesReusingTheBuffer(bodySize int, push func()) int {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// Buffers put back before on another P are out of reach now: one push
	// not counted puts one back on this P.
	push()
	reused := 0
	for range pushRounds {
		if bytesAllocated(push) < bodySize/2 {
			reused++
		}
	}
	return reused
}

func bytesAllocated(f func()) int {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int(after.TotalAlloc - before.TotalAlloc)
}
