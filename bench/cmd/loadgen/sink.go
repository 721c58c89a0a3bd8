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

	"github.com/sentyr/webhookexporter/internal/bench"
)

// destination is how one format's service is reached and answers: the
// path the exporter posts to, the exporter settings it needs, the header
// the service checks, and the success answer of the real service.
type destination struct {
	path     string
	settings map[string]any
	// header and value: a request without them is refused with 401, as the
	// service refuses a request without its key.
	header, value string
	status        int
	answer        func(body []byte) ([]byte, error)
}

const (
	hecToken    = "00000000-0000-0000-0000-000000000000"
	datadogKey  = "0123456789abcdef0123456789abcdef"
	bulkIndex   = "security-events"
	sentinelDCR = "/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents"
)

// formatNames are the formats `make load` measures, in the table's order.
var formatNames = []string{"json", "splunk_hec", "elastic", "sentinel", "datadog_logs"}

var destinations = map[string]destination{
	// A webhook answers 200 with no body.
	"json": {path: "/webhook", status: http.StatusOK},
	"splunk_hec": {
		path:     "/services/collector/event",
		settings: map[string]any{"splunk_hec": map[string]any{"token": hecToken}},
		header:   "Authorization", value: "Splunk " + hecToken,
		status: http.StatusOK,
		answer: func([]byte) ([]byte, error) { return []byte(`{"text":"Success","code":0}`), nil },
	},
	"elastic": {path: "/" + bulkIndex + "/_bulk", status: http.StatusOK, answer: bulkAnswer},
	// The Logs Ingestion API answers 204 with no body.
	"sentinel": {path: sentinelDCR + "?api-version=2023-01-01", status: http.StatusNoContent},
	"datadog_logs": {
		path:     "/api/v2/logs",
		settings: map[string]any{"datadog_logs": map[string]any{"api_key": datadogKey}},
		header:   "DD-API-KEY", value: datadogKey,
		status: http.StatusAccepted,
		answer: func([]byte) ([]byte, error) { return []byte(`{}`), nil },
	},
}

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
	if err := s.count(body); err != nil {
		s.refuse(w, err)
		return
	}
	var answer []byte
	if s.dest.answer != nil {
		if answer, err = s.dest.answer(body); err != nil {
			s.refuse(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(s.dest.status)
	_, _ = w.Write(answer)
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
// _bulk, or a stream of objects for HEC) and records each event's number.
func (s *sink) count(body []byte) error {
	if !validJSONStream(body) {
		return fmt.Errorf("a body that is not valid JSON: %.200q", body)
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
			return errors.New("an event whose load_seq is not ten digits")
		}
		seq, err := strconv.Atoi(string(rest[:seqDigits]))
		if err != nil || seq >= len(s.seen) {
			return fmt.Errorf("an event numbered %q, not one of the %d sent", rest[:seqDigits], len(s.seen))
		}
		if s.seen[seq] < 255 {
			s.seen[seq]++
		}
		n++
	}
	s.events.Add(int64(n))
	return nil
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

// bulkAnswer is Elasticsearch's answer to a _bulk request whose documents
// were all created, numbered from 0 in each answer.
func bulkAnswer(body []byte) ([]byte, error) {
	return bench.BulkAnswer(body, bulkIndex, new(atomic.Int64))
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
