package delivery

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
