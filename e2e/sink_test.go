//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// sink stands in for the SIEM webhook: it records every request and
// answers 200; next hands them out in order.
type sink struct {
	*testsink.Sink
	seen int
}

func newSink(t *testing.T) *sink {
	return &sink{Sink: testsink.NewRecorder(t, nil)}
}

// next waits for the next request while the collector runs.
func (s *sink) next(t *testing.T, c *collector) testsink.Request {
	t.Helper()
	timeout := time.After(deliverTimeout)
	for {
		arrived := s.Arrived()
		if got := s.Requests(); len(got) > s.seen {
			s.seen++
			return got[s.seen-1]
		}
		select {
		case <-arrived:
		case <-c.exited:
			t.Fatalf("the collector exited before delivering (%v)", c.err)
		case <-timeout:
			t.Fatalf("nothing delivered to the sink within %s", deliverTimeout)
		}
	}
}

// events splits a json-format body into its events: one object for a
// single event, an array for a batch, or NDJSON lines.
func events(t *testing.T, r testsink.Request) []map[string]any {
	t.Helper()
	shape := builtin.BodyObjectOrArray
	if r.Header.Get("Content-Type") == "application/x-ndjson" {
		shape = builtin.BodyObjects
	}
	bodies, err := testsink.Split(shape, r.Body)
	require.NoError(t, err, "body is not a json-format payload: %s", r.Body)
	out := make([]map[string]any, len(bodies))
	for i, b := range bodies {
		require.NoError(t, json.Unmarshal(b, &out[i]))
	}
	return out
}

// parse decodes a JSON document written in a test, for comparing with what
// arrived (numbers as float64, as encoding/json decodes them).
func parse(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &m))
	return m
}
