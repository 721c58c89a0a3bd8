// Command webhookreplay sends the webhook exporter's dead letters again.
// Each line of a dead-letter file is an OTLP/JSON logs request holding one
// record; the command posts each line as it is to a collector's OTLP/HTTP
// receiver, whose pipeline delivers it through the same webhook exporter
// configuration. The record is the one the exporter gave up on, so its
// event id is the same as on the first attempt. Move the file away before
// replaying it: the exporter starts a new one for what fails again.
//
//	mv /var/lib/otelcol/deadletter/webhook%2Fsiem.deadletter.jsonl replay.jsonl
//	go run ./cmd/webhookreplay -endpoint http://127.0.0.1:4319/v1/logs replay.jsonl
//
// It prints one line per event the receiver refused, then how many the
// collector accepted (its exporter then delivers them, or keeps them as
// dead letters again) and how many it refused; lines it could not send are written to -failed, ready
// to be replayed again. A line over 64 MiB is not sent nor held in memory:
// it is reported with its number, counted as not valid and copied to
// -failed, and the lines after it are replayed. It exits with 1 when any
// line was not accepted.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func main() {
	code, err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhookreplay:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

type options struct {
	endpoint string
	headers  http.Header
	failed   string
	timeout  time.Duration
	maxLine  int // bytes; a longer line is not sent
	files    []string
}

type headerFlag http.Header

func (h headerFlag) String() string { return "" }

func (h headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q: write a header as Name: value", v)
	}
	http.Header(h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{headers: http.Header{}, maxLine: maxLineBytes}
	fs := flag.NewFlagSet("webhookreplay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:4318/v1/logs", "the OTLP/HTTP logs URL of a collector whose pipeline exports to the webhook exporter")
	fs.Var(headerFlag(o.headers), "header", `a header for every request, as "Name: value" (repeatable), e.g. for the receiver's auth`)
	fs.StringVar(&o.failed, "failed", "", "file to write the lines that were not accepted to (appended; lines over 64 MiB too), to replay them again")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each request")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.files = fs.Args()
	if len(o.files) == 0 {
		return o, errors.New("name one or more dead-letter files to replay")
	}
	return o, nil
}

// run replays the files and returns the exit code: 0 when every line was
// accepted, 1 when some were not.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		// -h asked for the usage, which the flag set printed.
		return 0, nil
	}
	if err != nil {
		return 2, err
	}
	return replay(ctx, o, stdout)
}

// replay is run once the options are read.
func replay(ctx context.Context, o options, stdout io.Writer) (int, error) {
	r := &replayer{opts: o, client: &http.Client{Timeout: o.timeout}, out: stdout}
	if o.failed != "" {
		f, err := os.OpenFile(o.failed, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return 2, err
		}
		defer f.Close()
		r.failed = f
	}
	for _, name := range o.files {
		if err := r.replayFile(ctx, name); err != nil {
			return 2, err
		}
	}
	// The collector answers once its pipeline took the record, before the
	// exporter delivers it: delivery shows in the exporter's counters and
	// dead letters, not here.
	fmt.Fprintf(stdout, "accepted by the collector %d, refused %d, not valid %d\n", r.sent, r.refused, r.invalid)
	if r.refused+r.invalid > 0 {
		return 1, nil
	}
	return 0, nil
}

type replayer struct {
	opts                   options
	client                 *http.Client
	out                    io.Writer
	failed                 io.Writer
	sent, refused, invalid int
}

// maxLineBytes is the longest line sent. Longer ones are counted as not
// valid and copied to -failed without being held in memory.
const maxLineBytes = 64 << 20

// deadLetterMember is what the command reads of a line's deadLetter member.
type deadLetterMember struct {
	DeadLetter struct {
		EventID string `json:"eventId"`
		Reason  string `json:"reason"`
	} `json:"deadLetter"`
}

func (r *replayer) replayFile(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	lines := newLineReader(f, r.opts.maxLine)
	over := io.Discard
	if r.failed != nil {
		over = r.failed
	}
	for n := 1; ; n++ {
		line, size, newline, err := lines.next(over)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if line == nil {
			// Its bytes went to -failed as they were read.
			r.invalid++
			fmt.Fprintf(r.out, "%s:%d: a line of %d bytes, over the %d a line may have: not sent\n", name, n, size, r.opts.maxLine)
			if r.failed != nil {
				_, _ = r.failed.Write([]byte{'\n'})
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m deadLetterMember
		if err := json.Unmarshal(line, &m); err != nil {
			r.invalid++
			why := ""
			if !newline {
				why = ", the file ends inside it: its write was cut short"
			}
			fmt.Fprintf(r.out, "%s:%d: not a dead letter%s (%v)\n", name, n, why, err)
			r.keep(line)
			continue
		}
		if err := r.post(ctx, line); err != nil {
			r.refused++
			fmt.Fprintf(r.out, "%s:%d: event %s (was %s): %v\n", name, n, m.DeadLetter.EventID, m.DeadLetter.Reason, err)
			r.keep(line)
			continue
		}
		r.sent++
	}
}

// lineReader reads lines of at most max bytes from a buffer of max+1: a
// line that fills it is longer, and is not kept: its bytes go on to a
// writer as they are read, up to its newline. Memory stays at max whatever
// the file holds.
type lineReader struct {
	r   *bufio.Reader
	max int
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, max+1), max: max}
}

// next reads the next line and returns it without its newline, its size,
// and whether a newline ended it (the last line of a file may have none).
// The line is valid until the next call. A line over max is returned as
// nil, its bytes written to over. At the end of the file the error is
// io.EOF.
func (lr *lineReader) next(over io.Writer) (line []byte, size int, newline bool, err error) {
	line, err = lr.r.ReadSlice('\n')
	long := false
	for err == bufio.ErrBufferFull {
		long = true
		size += len(line)
		if _, werr := over.Write(line); werr != nil {
			return nil, size, false, werr
		}
		line, err = lr.r.ReadSlice('\n')
	}
	newline = err == nil
	if newline {
		line = line[:len(line)-1]
	}
	size += len(line)
	switch {
	case err == io.EOF && size == 0:
		return nil, 0, false, io.EOF
	case err != nil && err != io.EOF:
		return nil, size, false, err
	case long:
		if _, werr := over.Write(line); werr != nil {
			return nil, size, newline, werr
		}
		return nil, size, newline, nil
	}
	return line, size, newline, nil
}

func (r *replayer) keep(line []byte) {
	if r.failed != nil {
		_, _ = r.failed.Write(append(append([]byte(nil), line...), '\n'))
	}
}

// post sends one line and reads the OTLP answer, partial success included.
func (r *replayer) post(ctx context.Context, line []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.opts.endpoint, bytes.NewReader(line))
	if err != nil {
		return err
	}
	for k, v := range r.opts.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %d %s: %s", resp.StatusCode, http.StatusText(resp.StatusCode), strings.TrimSpace(string(body)))
	}
	answer := plogotlp.NewExportResponse()
	if len(body) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := answer.UnmarshalJSON(body); err == nil {
			if ps := answer.PartialSuccess(); ps.RejectedLogRecords() > 0 {
				return fmt.Errorf("rejected: %s", ps.ErrorMessage())
			}
		}
	}
	return nil
}
