package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// sink is the webhook receiver of a load run. It counts events by the one
// "event_type" key that every event of both formats has (bench.Logs puts
// none in the data), and checks that the first body is valid JSON.
type sink struct {
	url      string
	srv      *http.Server
	events   atomic.Int64
	requests atomic.Int64
	bytes    atomic.Int64
	invalid  atomic.Int64
	answer   []byte
}

var eventMarker = []byte(`"event_type":`)

func startSink(format string) (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + ln.Addr().String() + "/webhook"}
	if format == "splunk_hec" {
		s.url = "http://" + ln.Addr().String() + "/services/collector/event"
		s.answer = []byte(`{"text":"Success","code":0}`)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.requests.Add(1) == 1 && !validJSONStream(body) {
		s.invalid.Add(1)
	}
	s.bytes.Add(int64(len(body)))
	s.events.Add(int64(bytes.Count(body, eventMarker)))
	if s.answer != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.answer)
	}
}

// validJSONStream accepts one JSON document or several in a row (HEC).
func validJSONStream(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

// waitFor returns when the sink has n events.
func (s *sink) waitFor(ctx context.Context, n int64) error {
	for s.events.Load() < n {
		if s.invalid.Load() > 0 {
			return errors.New("the sink received a body that is not valid JSON")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the events: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (s *sink) close() { _ = s.srv.Close() }
