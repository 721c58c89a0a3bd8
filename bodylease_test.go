package webhookexporter

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/raceflag"
)

func TestBodyLeaseReleasesOnceTheLastHolderIsDone(t *testing.T) {
	for _, tc := range []struct {
		name string
		// steps run in order on a lease whose push holds it; the
		// buffer must be released at the last step and not before.
		steps func(l *bodyLease) []func()
	}{
		{"no request", func(l *bodyLease) []func() { return []func(){l.done} }},
		{"reader closed before the push ends", func(l *bodyLease) []func() {
			r := l.reader([]byte("a"))
			return []func(){func() { _ = r.Close() }, l.done}
		}},
		{"reader closed after the push ends", func(l *bodyLease) []func() {
			r := l.reader([]byte("a"))
			return []func(){l.done, func() { _ = r.Close() }}
		}},
		{"a resend's reader (GetBody) outlives the first", func(l *bodyLease) []func() {
			first, again := l.reader([]byte("a")), l.reader([]byte("a"))
			return []func(){func() { _ = first.Close() }, l.done, func() { _ = first.Close() }, func() { _ = again.Close() }}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			released := 0
			l := newBodyLease(func() { released++ })
			steps := tc.steps(l)
			for i, step := range steps {
				step()
				want := 0
				if i == len(steps)-1 {
					want = 1
				}
				require.Equal(t, want, released, "after step %d of %d", i+1, len(steps))
			}
		})
	}
}

func TestLeasedReaderReadsTheBodyAndNothingAfterClose(t *testing.T) {
	l := newBodyLease(func() {})
	r := l.reader([]byte(`{"event_type":"x"}`))
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"event_type":"x"}`, string(got))
	require.NoError(t, r.Close())
	_, err = r.Read(make([]byte, 8))
	assert.ErrorIs(t, err, errBodyClosed, "a read after Close must not see the buffer, which the next batch may own")
}

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
	e.client = &http.Client{Transport: transport}
	ctx := context.Background()

	first := seedEvent{"first_batch", "warning", map[string]any{"n": strings.Repeat("1", 4000)}}
	second := seedEvent{"second_batch", "error", map[string]any{"n": strings.Repeat("2", 4000)}}
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
	// into one of them instead of allocating a body. (No GC may empty the
	// pool meanwhile.)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	ld := seedLogs(t, first, first)
	push := func() { require.NoError(t, e.pushLogs(ctx, ld)) }
	push()
	const rounds = 20
	reused := 0
	for range rounds {
		_ = transport.bodies[len(transport.bodies)-1].Close()
		if bytesAllocated(push) < bodySize/2 {
			reused++
		}
	}
	if raceflag.Enabled { // sync.Pool drops some buffers on purpose
		assert.Positive(t, reused, "no push reused a closed body's buffer")
	} else {
		assert.Equal(t, rounds, reused, "pushes that reused a closed body's buffer")
	}
}

func bytesAllocated(f func()) int {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int(after.TotalAlloc - before.TotalAlloc)
}
