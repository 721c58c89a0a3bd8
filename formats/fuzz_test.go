package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/internal/fuzzdata"
)

// fuzzEvents builds up to 8 events from fuzzer bytes, every field of them
// fuzzed: encoders must cope with anything the mapping could hand them.
func fuzzEvents(s *fuzzdata.Source) []Event {
	n := int(s.Byte()%8) + 1
	events := make([]Event, n)
	for i := range events {
		ev := &events[i]
		ev.ID = s.String()
		ev.Type = s.String()
		ev.Severity = s.String()
		ev.Timestamp = time.Unix(0, int64(s.Uint64())).UTC()
		ev.Source = s.String()
		ev.Body = pcommon.NewValueEmpty()
		s.Value(ev.Body, 0)
		ev.Resource = pcommon.NewMap()
		s.Map(ev.Resource, 0)
		data := pcommon.NewMap()
		s.Map(data, 0)
		for k, v := range data.All() {
			ev.Data = append(ev.Data, Field{Key: k, Value: v})
		}
	}
	return events
}

// framing is how a format joins several JSON values in one body.
type framing int

const (
	oneValue     framing = iota // a single JSON document
	ndjson                      // one document per line, each line ending in \n
	concatenated                // documents one after another (Splunk HEC)
)

// checkBatch asserts what every encoder owes the delivery code: each body
// is valid JSON in the format's framing, and every event is in exactly one
// request or rejected, never lost and never sent twice.
func checkBatch(t *testing.T, batch Batch, n int, frame framing) {
	t.Helper()
	seen := make([]int, n)
	for _, r := range batch.Requests {
		checkBody(t, r.Body, frame)
		for _, idx := range r.Events {
			if idx < 0 || idx >= n {
				t.Fatalf("request names event %d of %d", idx, n)
			}
			seen[idx]++
		}
	}
	for _, r := range batch.Rejected {
		if r.Index < 0 || r.Index >= n {
			t.Fatalf("rejection names event %d of %d", r.Index, n)
		}
		if r.Err == nil {
			t.Fatalf("rejection of event %d has no reason", r.Index)
		}
		seen[r.Index]++
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("event %d is in %d requests or rejections, want exactly 1", i, c)
		}
	}
}

func checkBody(t *testing.T, body []byte, frame framing) {
	t.Helper()
	switch frame {
	case oneValue:
		if !json.Valid(body) {
			t.Fatalf("invalid JSON body: %q", body)
		}
	case ndjson:
		if len(body) == 0 || body[len(body)-1] != '\n' {
			t.Fatalf("NDJSON body does not end with a newline: %q", body)
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, len(body)+1)
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) {
				t.Fatalf("invalid NDJSON line: %q", sc.Bytes())
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	case concatenated:
		dec := json.NewDecoder(bytes.NewReader(body))
		values := 0
		for {
			var v json.RawMessage
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("invalid JSON value %d in body: %v: %q", values, err, body)
			}
			values++
		}
		if values == 0 {
			t.Fatalf("empty body")
		}
	}
}

func FuzzJSONEncoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, layout byte, includeID bool, data []byte) {
		cfg := JSONConfig{Batch: []string{JSONArray, JSONNDJSON, JSONObject}[int(layout)%3], IncludeID: includeID}
		events := fuzzEvents(fuzzdata.New(data))
		batch, err := NewJSON(cfg).Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		frame := oneValue
		if cfg.Batch == JSONNDJSON {
			frame = ndjson
		}
		checkBatch(t, batch, len(events), frame)
		// Every event must keep its identity on the wire: the fields the
		// receiver keys on come back as they went in (modulo invalid UTF-8).
		if cfg.Batch == JSONObject {
			for i, r := range batch.Requests {
				var got struct {
					ID        *string `json:"id"`
					EventType string  `json:"event_type"`
				}
				if err := json.Unmarshal(r.Body, &got); err != nil {
					t.Fatal(err)
				}
				ev := events[r.Events[0]]
				if includeID != (got.ID != nil) {
					t.Fatalf("request %d: include_id %v but id present %v", i, includeID, got.ID != nil)
				}
				if want := validUTF8(ev.Type); got.EventType != want {
					t.Fatalf("event_type %q came back as %q", want, got.EventType)
				}
			}
		}
	})
}

// validUTF8 is s as a JSON decoder must return it: each byte of invalid
// UTF-8 is one U+FFFD, which is what converting to runes does.
func validUTF8(s string) string { return string([]rune(s)) }
