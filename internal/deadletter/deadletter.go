package deadletter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Reasons: why the exporter gave up on an event. They are the
// dead letters' reason, the drop counter's attribute and the drop log
// lines' reason.
const (
	// The receiver refused the request for good (a 4xx other than 408,
	// 413 and 429).
	Refused = "refused"
	// The receiver refused this event inside an accepted request (a HEC
	// code, a _bulk item error).
	RefusedPerEvent = "refused_per_event"
	// 413 for a request of this event alone.
	TooLarge = "too_large"
	// The format could not turn the event into a payload (a template or
	// formatter error).
	EncodingFailed = "encoding_failed"
	// retry_on_failure gave up: max_elapsed_time reached (or a Retry-After
	// beyond it), or retries are off.
	RetriesExhausted = "retries_exhausted"
	// The collector shut down while the event waited to be tried again
	// (in a retry or in the in-memory queue).
	Shutdown = "shutdown"
	// The caller's context ended (sending_queue off and the pipeline's
	// caller gave up).
	Cancelled = "cancelled"
	// Splunk HEC never acknowledged the event (splunk_hec::ack): it was
	// sent max_resends times more with the same id, unacknowledged each
	// time.
	AckTimeout = "ack_timeout"
	// Below min_severity: a filter the user asked for, so only counted
	// (Keeper.Filter), never a dead letter or a drop log line.
	BelowMinSeverity = "below_min_severity"
	// Folded into a digest (the digest setting): counted, and sent as
	// part of the digest that says how many.
	Digested = "digested"
)

// Dropped is why one event was given up on.
type Dropped struct {
	Reason string
	Detail string
	Status int // the HTTP status, if an answer said so
}

// Info is the member that a dead letter adds to the OTLP/JSON
// request holding its record. Its name is one OTLP does not use, so that
// the line as a whole is still an OTLP/JSON logs request: OTLP/JSON
// receivers skip members they do not know.
type Info struct {
	Time     time.Time `json:"time"`
	Exporter string    `json:"exporter"`
	Endpoint string    `json:"endpoint"`
	Format   string    `json:"format"`
	Reason   string    `json:"reason"`
	Detail   string    `json:"detail"`
	Status   int       `json:"status,omitempty"`
	EventID  string    `json:"eventId"`
}

const infoMember = "deadLetter"

// Line is one event's dead letter: an OTLP/JSON logs request
// holding its record with the record's resource and scope, plus the
// deadLetter member, and a newline.
func Line(rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord, info *Info) ([]byte, error) {
	var b Lines
	return b.Build(rl, sl, lr, info)
}

// Lines builds dead letters one at a time, each written before
// the next is built: the request that holds a record (its resource and
// scope copied once per scope) and the line's buffers are reused, so that
// a dead letter costs about its own bytes.
type Lines struct {
	one    plog.Logs
	rl     plog.ResourceLogs // where one's resource was copied from
	sl     plog.ScopeLogs    // where one's scope was copied from
	line   []byte
	member bytes.Buffer
	enc    *json.Encoder
}

// Build returns the dead letter of lr, valid until the next build.
func (b *Lines) Build(rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord, info *Info) ([]byte, error) {
	if b.enc == nil {
		b.one = plog.NewLogs()
		b.one.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		b.rl, b.sl = plog.NewResourceLogs(), plog.NewScopeLogs()
		b.enc = json.NewEncoder(&b.member)
	}
	orl := b.one.ResourceLogs().At(0)
	osl := orl.ScopeLogs().At(0)
	if rl != b.rl {
		rl.Resource().CopyTo(orl.Resource())
		orl.SetSchemaUrl(rl.SchemaUrl())
		b.rl = rl
	}
	if sl != b.sl {
		sl.Scope().CopyTo(osl.Scope())
		osl.SetSchemaUrl(sl.SchemaUrl())
		b.sl = sl
	}
	lr.CopyTo(osl.LogRecords().At(0))
	record, err := (&plog.JSONMarshaler{}).MarshalLogs(b.one)
	if err != nil {
		return nil, err
	}
	b.member.Reset()
	if err := b.enc.Encode(info); err != nil {
		return nil, err
	}
	member := bytes.TrimRight(b.member.Bytes(), "\n")
	record = bytes.TrimRight(record, " \n")
	if len(record) < 2 || record[len(record)-1] != '}' {
		return nil, errors.New("the OTLP/JSON marshaler wrote no object")
	}
	line := append(b.line[:0], record[:len(record)-1]...)
	line = append(line, `,"`+infoMember+`":`...)
	line = append(line, member...)
	b.line = append(line, "}\n"...)
	return b.line, nil
}

// FileName is the file of one exporter in the shared directory:
// its component id with every byte outside [A-Za-z0-9._-] written as %XX,
// so that no two ids share a file ("webhook/siem" is webhook%2Fsiem).
func FileName(id component.ID) string {
	var b strings.Builder
	for _, c := range []byte(id.String()) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	b.WriteString(".deadletter.jsonl")
	return b.String()
}

// Why a dead letter was not written: the attribute of the failed-writes
// counter.
const (
	WriteFailedFull  = "file_full"
	WriteFailedError = "write_error"
)

// Writer appends dead letters to one file. It opens the file
// for each write rather than holding it open, so that moving the file
// away (to replay it) makes the next write start a new one instead of
// appending to the moved file.
type Writer struct {
	path     string
	maxBytes int64
	sync     bool
	mu       sync.Mutex // one write at a time keeps the size check true
}

// NewWriter writes the dead letters of the exporter id to its file in
// directory, of at most maxSizeMiB; sync makes each write reach the disk.
func NewWriter(directory string, maxSizeMiB int64, sync bool, id component.ID) *Writer {
	return &Writer{
		path:     filepath.Join(directory, FileName(id)),
		maxBytes: maxSizeMiB << 20,
		sync:     sync,
	}
}

// Path is the file's path.
func (w *Writer) Path() string { return w.path }

// Check creates the directory and the file, so that a path the collector
// cannot write to fails the start rather than the first drop.
func (w *Writer) Check() error {
	if err := os.MkdirAll(filepath.Dir(w.path), 0o700); err != nil {
		return fmt.Errorf("dead_letter::directory: %w; create it or name a directory the collector may write to", err)
	}
	f, err := w.openFile()
	if err != nil {
		return fmt.Errorf("dead_letter::directory: %w; the collector must be allowed to create and append to this file", err)
	}
	return f.Close()
}

// openFile opens the file to append to it, creating it. Whoever may write to
// the directory could plant a symbolic link at the file's path (dead
// letters would then go to, or a cap be counted against, a file of their
// choosing) or a FIFO (a write would wait for a reader): the file's path
// is opened without following a link, without waiting, and must be a
// regular file.
func (w *Writer) openFile() (*os.File, error) {
	f, err := openAppendNoFollow(w.path)
	if err != nil {
		if st, lerr := os.Lstat(w.path); lerr == nil && !st.Mode().IsRegular() {
			return nil, notRegularFile(w.path, st.Mode())
		}
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = notRegularFile(w.path, st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func notRegularFile(path string, mode os.FileMode) error {
	what := "not a regular file"
	if mode&os.ModeSymlink != 0 {
		what = "a symbolic link, which is not followed"
	}
	return fmt.Errorf("the dead-letter file %s is %s; remove it, so that the exporter creates the file there", path, what)
}

// File is the file open for one giveUp, which writes its dead
// letters one line at a time: memory holds one line, not the batch's.
// A line is written whole or not at all: one that would pass the cap is
// refused, and a write that fails part way is cut back off the file, so
// that the next line does not start inside a fragment. After a line is
// refused, nothing more is written.
type File struct {
	w       *Writer
	f       *os.File
	cause   string // why writes fail, once one has
	err     error
	written bool // a line was written since the file was opened
}

// Open opens the file for a run of writes; close it when they are done.
func (w *Writer) Open() *File {
	f, err := w.openFile()
	if err != nil {
		return &File{w: w, cause: WriteFailedError, err: err}
	}
	return &File{w: w, f: f}
}

// Failed says why no line can be written anymore, if so.
func (d *File) Failed() (string, error) { return d.cause, d.err }

// Write appends line, a whole dead letter, if it fits under the cap. It
// returns why it did not (WriteFailedFull or WriteFailedError) with the
// error.
func (d *File) Write(line []byte) (string, error) {
	if d.err != nil {
		return d.cause, d.err
	}
	w := d.w
	// One write at a time: the size read is the size the line lands at.
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := d.f.Stat()
	if err != nil {
		d.cause, d.err = WriteFailedError, err
		return d.cause, d.err
	}
	size := st.Size()
	if size+int64(len(line)) > w.maxBytes {
		d.cause, d.err = WriteFailedFull, fmt.Errorf("the dead-letter file %s has reached dead_letter::max_size_mib (%d MiB); move it away (to replay it) or raise the cap", w.path, w.maxBytes>>20)
		return d.cause, d.err
	}
	n, err := d.f.Write(line)
	if err != nil {
		d.cause, d.err = WriteFailedError, err
		if n > 0 {
			if terr := d.f.Truncate(size); terr != nil {
				d.err = fmt.Errorf("%w; cutting the part written back off also failed (%v): the file may end in a fragment of a line", err, terr)
			}
		}
		return d.cause, d.err
	}
	d.written = true
	return "", nil
}

// Close closes the file, first syncing it with dead_letter::sync. An
// error means the lines written since open are not known to be on disk.
func (d *File) Close() error {
	if d.f == nil {
		return nil
	}
	var err error
	if d.w.sync && d.written {
		err = d.f.Sync()
	}
	if cerr := d.f.Close(); err == nil && d.written {
		err = cerr
	}
	return err
}
