package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// destination is how one format's service is reached and answers, as the
// format table describes it: the path the exporter posts to, the exporter
// settings it needs, the header the service checks, and its answer to a
// request whose events it all took.
type destination struct {
	path     string
	settings map[string]any
	// header and value: a request without them is refused, as the
	// service refuses a request without its key.
	header, value string
	accept        func(n int) builtin.Answer
	// events, when set, is what of a body holds the events: SecOps's are
	// base64 in it.
	events func(body []byte) ([]byte, error)
}

// formatNames are the formats `make load` measures, in the table's order:
// those that carry a batch in one request. A service that takes one event
// per request (Datadog Events, templates, alerting services) is measured
// by its own rate limit, not by the exporter.
var formatNames = func() []string {
	var names []string
	for _, b := range builtin.Builtins() {
		if b.Service.Body != builtin.BodyObject {
			names = append(names, b.Name)
		}
	}
	return names
}()

var destinations = func() map[string]destination {
	out := map[string]destination{}
	for _, name := range formatNames {
		b, _ := builtin.LookupBuiltin(name)
		d := destination{path: b.Service.Path, settings: b.Service.Settings, accept: b.Service.Accept}
		if b.Credential != nil && b.Service.CredentialValue != "" {
			d.header, d.value = b.Credential.Header, b.Service.CredentialValue
		}
		if b.Service.Body == builtin.BodySecOpsLogs {
			d.events = func(body []byte) ([]byte, error) {
				events, err := testsink.Split(b.Service.Body, body)
				return bytes.Join(events, []byte{'\n'}), err
			}
		}
		out[name] = d
	}
	return out
}()

// sink is the destination of a load run: it answers as the format's
// service does and counts every event by its load_seq, so that a run with
// an event missing or delivered twice fails.
type sink struct {
	url  string
	dest destination
	srv  *http.Server

	mu   sync.Mutex
	seen []uint8 // deliveries of each event number
	err  error   // the first request the sink refused, or a number out of range

	events   atomic.Int64 // deliveries, duplicates included
	requests atomic.Int64
	bytes    atomic.Int64
}

func startSink(format string, events int) (*sink, error) {
	dest, ok := destinations[format]
	if !ok {
		return nil, fmt.Errorf("no sink for format %q", format)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + ln.Addr().String() + dest.path, dest: dest, seen: make([]uint8, events)}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := s.read(r)
	if err != nil {
		s.refuse(w, err)
		return
	}
	s.requests.Add(1)
	s.bytes.Add(int64(len(body)))
	events := body
	if s.dest.events != nil {
		events, err = s.dest.events(body)
	}
	n := 0
	if err == nil {
		n, err = s.count(events)
	}
	if err != nil {
		s.refuse(w, err)
		return
	}
	answer := s.dest.accept(n)
	if answer.ContentType != "" {
		w.Header().Set("Content-Type", answer.ContentType)
	}
	w.WriteHeader(answer.Status)
	_, _ = io.WriteString(w, answer.Body)
}

// read checks the request as the service would and returns its body,
// gunzipped if it came compressed.
func (s *sink) read(r *http.Request) ([]byte, error) {
	switch {
	case r.Method != http.MethodPost:
		return nil, fmt.Errorf("%s %s: the service takes POST only", r.Method, r.URL)
	case r.URL.RequestURI() != s.dest.path:
		return nil, fmt.Errorf("POST %s: the service listens on %s", r.URL.RequestURI(), s.dest.path)
	case s.dest.header != "" && r.Header.Get(s.dest.header) != s.dest.value:
		return nil, fmt.Errorf("POST %s without the %s header the service requires", r.URL.Path, s.dest.header)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		body = zr
	}
	return io.ReadAll(body)
}

func (s *sink) refuse(w http.ResponseWriter, err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// count checks that the body is JSON (one document, or one per line for
// _bulk, or a stream of objects for HEC), records each event's number and
// returns how many the body holds.
func (s *sink) count(body []byte) (int, error) {
	if !validJSONStream(body) {
		return 0, fmt.Errorf("a body that is not valid JSON: %.200q", body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for rest := body; ; {
		i := bytes.Index(rest, seqMarker)
		if i < 0 {
			break
		}
		rest = rest[i+len(seqMarker):]
		if len(rest) < seqDigits+1 || rest[seqDigits] != '"' {
			return 0, errors.New("an event whose load_seq is not ten digits")
		}
		seq, err := strconv.Atoi(string(rest[:seqDigits]))
		if err != nil || seq >= len(s.seen) {
			return 0, fmt.Errorf("an event numbered %q, not one of the %d sent", rest[:seqDigits], len(s.seen))
		}
		if s.seen[seq] < 255 {
			s.seen[seq]++
		}
		n++
	}
	if n == 0 {
		// The exporter never sends a request without events, and an
		// Elasticsearch action without its document carries none.
		return 0, errors.New("a request with no events")
	}
	s.events.Add(int64(n))
	return n, nil
}

// validJSONStream accepts one JSON document or several in a row (HEC's
// objects, _bulk's lines).
func validJSONStream(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

// check says what went wrong with the run's deliveries: a refused request,
// or events missing or delivered more than once.
func (s *sink) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return fmt.Errorf("the sink refused a request: %w", s.err)
	}
	var missing, twice []int
	for seq, n := range s.seen {
		switch {
		case n == 0:
			missing = append(missing, seq)
		case n > 1:
			twice = append(twice, seq)
		}
	}
	if len(missing) > 0 || len(twice) > 0 {
		return fmt.Errorf("of %d events, %d missing (first %v) and %d delivered more than once (first %v)",
			len(s.seen), len(missing), firstFew(missing), len(twice), firstFew(twice))
	}
	return nil
}

func firstFew(xs []int) []int { return xs[:min(len(xs), 5)] }

// waitFor returns when the sink has had every event once, or refused a
// request.
func (s *sink) waitFor(ctx context.Context) error {
	for s.events.Load() < int64(len(s.seen)) {
		s.mu.Lock()
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the events: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return s.check()
}

func (s *sink) close() { _ = s.srv.Close() }
