//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// request is one request the sink received.
type request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// sink stands in for the SIEM webhook: it records every request and
// answers 200.
type sink struct {
	*httptest.Server
	requests chan request
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{requests: make(chan request, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case s.requests <- request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}:
			w.WriteHeader(http.StatusOK)
		default:
			// More requests than any test expects: make the excess visible.
			http.Error(w, "test sink full", http.StatusInsufficientStorage)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// next waits for the next request while the collector runs.
func (s *sink) next(t *testing.T, c *collector) request {
	t.Helper()
	select {
	case r := <-s.requests:
		return r
	case <-c.exited:
		t.Fatalf("the collector exited before delivering (%v)", c.err)
	case <-time.After(deliverTimeout):
		t.Fatalf("nothing delivered to the sink within %s", deliverTimeout)
	}
	return request{}
}

// events splits a json-format body into its events: one object for a
// single event, an array for a batch, or NDJSON lines.
func events(t *testing.T, r request) []map[string]any {
	t.Helper()
	body := bytes.TrimSpace(r.Body)
	require.NotEmpty(t, body, "empty body")
	switch body[0] {
	case '{':
		if r.Header.Get("Content-Type") == "application/x-ndjson" {
			var out []map[string]any
			for _, line := range bytes.Split(body, []byte("\n")) {
				var ev map[string]any
				require.NoError(t, json.Unmarshal(line, &ev), "NDJSON line %s", line)
				out = append(out, ev)
			}
			return out
		}
		var ev map[string]any
		require.NoError(t, json.Unmarshal(body, &ev), "body %s", body)
		return []map[string]any{ev}
	case '[':
		var out []map[string]any
		require.NoError(t, json.Unmarshal(body, &out), "body %s", body)
		return out
	}
	t.Fatalf("body is not a json-format payload: %s", body)
	return nil
}

// parse decodes a JSON document written in a test, for comparing with what
// arrived (numbers as float64, as encoding/json decodes them).
func parse(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &m))
	return m
}
