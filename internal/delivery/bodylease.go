package delivery

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// bodyLease holds a batch's body buffer until nothing reads it anymore:
// the push, and every request body that the HTTP transport has not closed
// yet. The transport may close a body after Do returns, and may ask for
// it again (GetBody) to resend on a new connection, so the push alone
// cannot tell when the buffer is free. The last one out releases it to
// the encoder, which writes the next batch over it.
type bodyLease struct {
	holders atomic.Int32
	release func()
}

// newBodyLease starts with one holder: the push, which calls done when it
// has sent all of the batch's requests.
func newBodyLease(release func()) *bodyLease {
	l := &bodyLease{release: release}
	l.holders.Store(1)
	return l
}

func (l *bodyLease) done() {
	if l.holders.Add(-1) == 0 {
		l.release()
	}
}

// reader returns a reader of body that holds the lease until it is closed.
func (l *bodyLease) reader(body []byte) io.ReadCloser {
	l.holders.Add(1)
	return &leasedReader{body: body, lease: l}
}

var errBodyClosed = errors.New("read of a request body after Close")

// leasedReader reads a leased body. Close may come from another goroutine
// while a Read runs (the transport closes bodies on cancellation). Read
// copies under the lock, and a copy into memory does not block, so Close
// waits at most for one copy; after it, no read sees the buffer, which the
// next batch may own, and a read gets an error instead. There is no
// WriteTo, which could block on a stalled connection while it holds the
// buffer: net/http would not call it anyway, as it reads a body of known
// length through an io.LimitedReader, and otelhttp wraps every body.
type leasedReader struct {
	mu    sync.Mutex
	body  []byte // nil once closed
	off   int
	lease *bodyLease
}

// Read copies under the lock, which Close takes too.
func (r *leasedReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.body == nil {
		return 0, errBodyClosed
	}
	if r.off >= len(r.body) {
		return 0, io.EOF
	}
	n := copy(p, r.body[r.off:])
	r.off += n
	return n, nil
}

func (r *leasedReader) Close() error {
	r.mu.Lock()
	held := r.body != nil
	r.body = nil
	r.mu.Unlock()
	if held {
		r.lease.done()
	}
	return nil
}
