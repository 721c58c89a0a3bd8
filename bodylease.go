package webhookexporter

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
// while a read runs (the transport closes bodies on cancellation): the
// lease is then let go by the read when it ends, so that no write of the
// next batch meets a read of this one, and a read after Close gets an
// error rather than the next batch's bytes. Close never waits for a read,
// which may be blocked on a stalled connection.
type leasedReader struct {
	mu      sync.Mutex
	body    []byte // nil once closed
	off     int
	reading bool
	// closedWhileReading: the read lets go of the lease when it ends.
	closedWhileReading bool
	lease              *bodyLease
}

// Read copies under the lock: a copy into memory does not block.
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

// WriteTo writes the rest of the body in one call, as bytes.Reader does:
// without it the transport copies bodies through a new 32 KiB buffer per
// request.
func (r *leasedReader) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	if r.body == nil {
		r.mu.Unlock()
		return 0, errBodyClosed
	}
	rest := r.body[r.off:]
	r.off = len(r.body)
	r.reading = true
	r.mu.Unlock()

	n, err := w.Write(rest)

	r.mu.Lock()
	r.reading = false
	letGo := r.closedWhileReading
	r.mu.Unlock()
	if letGo {
		r.lease.done()
	}
	return int64(n), err
}

func (r *leasedReader) Close() error {
	r.mu.Lock()
	held := r.body != nil
	r.body = nil
	letGo := held && !r.reading
	if held && r.reading {
		r.closedWhileReading = true
	}
	r.mu.Unlock()
	if letGo {
		r.lease.done()
	}
	return nil
}
