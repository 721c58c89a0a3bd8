package webhookexporter

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

// Reason classes: why the exporter gave up on an event. They are the
// dead letters' reason, the drop counter's attribute and the drop log
// lines' reason.
const (
	// The receiver refused the request for good (a 4xx other than 408,
	// 413 and 429).
	reasonRefused = "refused"
	// The receiver refused this event inside an accepted request (a HEC
	// code, a _bulk item error).
	reasonRefusedPerEvent = "refused_per_event"
	// 413 for a request of this event alone.
	reasonTooLarge = "too_large"
	// The format could not turn the event into a payload (a template or
	// formatter error).
	reasonEncodingFailed = "encoding_failed"
	// retry_on_failure gave up: max_elapsed_time reached (or a Retry-After
	// beyond it), or retries are off.
	reasonRetriesExhausted = "retries_exhausted"
	// The collector shut down while the event waited to be tried again
	// (in a retry or in the in-memory queue).
	reasonShutdown = "shutdown"
	// The caller's context ended (sending_queue off and the pipeline's
	// caller gave up).
	reasonCancelled = "cancelled"
)

// dropped is why one event was given up on.
type dropped struct {
	reason string
	detail string
	status int // the HTTP status, if an answer said so
}

// deadLetterInfo is the member that a dead letter adds to the OTLP/JSON
// request holding its record. Its name is one OTLP does not use, so that
// the line as a whole is still an OTLP/JSON logs request: OTLP/JSON
// receivers skip members they do not know.
type deadLetterInfo struct {
	Time     time.Time `json:"time"`
	Exporter string    `json:"exporter"`
	Endpoint string    `json:"endpoint"`
	Format   string    `json:"format"`
	Reason   string    `json:"reason"`
	Detail   string    `json:"detail"`
	Status   int       `json:"status,omitempty"`
	EventID  string    `json:"eventId"`
}

const deadLetterMember = "deadLetter"

// deadLetterLine is one event's dead letter: an OTLP/JSON logs request
// holding its record with the record's resource and scope, plus the
// deadLetter member, and a newline.
func deadLetterLine(rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord, info *deadLetterInfo) ([]byte, error) {
	one := plog.NewLogs()
	orl := one.ResourceLogs().AppendEmpty()
	rl.Resource().CopyTo(orl.Resource())
	orl.SetSchemaUrl(rl.SchemaUrl())
	osl := orl.ScopeLogs().AppendEmpty()
	sl.Scope().CopyTo(osl.Scope())
	osl.SetSchemaUrl(sl.SchemaUrl())
	lr.CopyTo(osl.LogRecords().AppendEmpty())
	record, err := (&plog.JSONMarshaler{}).MarshalLogs(one)
	if err != nil {
		return nil, err
	}
	member, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	record = bytes.TrimRight(record, " \n")
	if len(record) < 2 || record[len(record)-1] != '}' {
		return nil, errors.New("the OTLP/JSON marshaler wrote no object")
	}
	line := make([]byte, 0, len(record)+len(member)+len(deadLetterMember)+8)
	line = append(line, record[:len(record)-1]...)
	line = append(line, `,"`+deadLetterMember+`":`...)
	line = append(line, member...)
	return append(line, "}\n"...), nil
}

// deadLetterFileName is the file of one exporter in the shared directory:
// its component id with every byte outside [A-Za-z0-9._-] written as %XX,
// so that no two ids share a file ("webhook/siem" is webhook%2Fsiem).
func deadLetterFileName(id component.ID) string {
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
	writeFailedFull  = "file_full"
	writeFailedError = "write_error"
)

// deadLetterWriter appends dead letters to one file. It opens the file
// for each write rather than holding it open, so that moving the file
// away (to replay it) makes the next write start a new one instead of
// appending to the moved file.
type deadLetterWriter struct {
	path     string
	maxBytes int64
	sync     bool
	mu       sync.Mutex // one write at a time keeps the size check true
}

func newDeadLetterWriter(cfg DeadLetterConfig, id component.ID) *deadLetterWriter {
	return &deadLetterWriter{
		path:     filepath.Join(cfg.Directory, deadLetterFileName(id)),
		maxBytes: cfg.MaxSizeMiB << 20,
		sync:     cfg.Sync,
	}
}

// check creates the directory and the file, so that a path the collector
// cannot write to fails the start rather than the first drop.
func (w *deadLetterWriter) check() error {
	if err := os.MkdirAll(filepath.Dir(w.path), 0o700); err != nil {
		return fmt.Errorf("dead_letter::directory: %w; create it or name a directory the collector may write to", err)
	}
	f, err := w.open()
	if err != nil {
		return fmt.Errorf("dead_letter::directory: %w; the collector must be allowed to create and append to this file", err)
	}
	return f.Close()
}

// open opens the file to append to it, creating it. Whoever may write to
// the directory could plant a symbolic link at the file's path (dead
// letters would then go to, or a cap be counted against, a file of their
// choosing) or a FIFO (a write would wait for a reader): the file's path
// is opened without following a link, without waiting, and must be a
// regular file.
func (w *deadLetterWriter) open() (*os.File, error) {
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

// write appends whole lines while they fit under the cap, in one write.
// It returns how many were written; the rest were refused, for the reason
// given (writeFailedFull or writeFailedError) with the error.
func (w *deadLetterWriter) write(lines [][]byte) (int, string, error) {
	if len(lines) == 0 {
		return 0, "", nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := w.open()
	if err != nil {
		return 0, writeFailedError, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, writeFailedError, err
	}
	size := st.Size()
	var buf []byte
	fit := 0
	for _, l := range lines {
		if size+int64(len(buf)+len(l)) > w.maxBytes {
			break
		}
		buf = append(buf, l...)
		fit++
	}
	var n int
	if len(buf) > 0 {
		n, err = f.Write(buf)
	}
	if err == nil && w.sync && n > 0 {
		err = f.Sync()
		if err != nil {
			// Not known to be on disk: counted as not written.
			n = 0
		}
	}
	if err != nil {
		return linesIn(lines, n), writeFailedError, err
	}
	if fit < len(lines) {
		return fit, writeFailedFull, fmt.Errorf("the dead-letter file %s has reached dead_letter::max_size_mib (%d MiB); move it away (to replay it) or raise the cap", w.path, w.maxBytes>>20)
	}
	return fit, "", nil
}

// linesIn is how many of lines the first n bytes hold whole.
func linesIn(lines [][]byte, n int) int {
	for i, l := range lines {
		if n < len(l) {
			return i
		}
		n -= len(l)
	}
	return len(lines)
}
