package builtin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
)

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
		cfg := JSONConfig{Batch: []string{jsonArray, jsonNDJSON, jsonObject}[int(layout)%3], IncludeID: includeID}
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		batch, err := newJSON(cfg).Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		frame := oneValue
		if cfg.Batch == jsonNDJSON {
			frame = ndjson
		}
		checkBatch(t, batch, len(events), frame)
		// Every event must keep its identity on the wire: the fields the
		// receiver keys on come back as they went in (modulo invalid UTF-8).
		if cfg.Batch == jsonObject {
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

func FuzzSplunkHECEncoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, small bool, index, host, sourcetype string, data []byte) {
		cfg := SplunkHECConfig{Index: index, Host: host, Sourcetype: sourcetype}
		if small {
			cfg.MaxRequestBytes = minHECMaxRequestBytes
		}
		enc := newSplunkHEC(cfg)
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		batch, err := enc.Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		checkBatch(t, batch, len(events), concatenated)
		for _, r := range batch.Requests {
			// A request holds several events only while it fits the limit.
			if len(r.Events) > 1 && len(r.Body) > enc.maxBytes {
				t.Fatalf("%d events in %d bytes, over the limit of %d", len(r.Events), len(r.Body), enc.maxBytes)
			}
		}
	})
}

func FuzzDatadogEncoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, tag string, data []byte) {
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		batch, err := newDatadog(DatadogConfig{Tags: []string{"env:fuzz", tag}}).Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		checkBatch(t, batch, len(events), oneValue)
		for _, r := range batch.Requests {
			if len(r.Events) != 1 {
				t.Fatalf("the Events API takes one event per request, got %d", len(r.Events))
			}
			// The API refuses texts and titles over its limits.
			var got struct {
				Title string `json:"title"`
				Text  string `json:"text"`
			}
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			if n := len([]rune(got.Title)); n > datadogMaxTitleChars {
				t.Fatalf("title of %d characters, over %d", n, datadogMaxTitleChars)
			}
			if n := len([]rune(got.Text)); n > datadogMaxTextChars {
				t.Fatalf("text of %d characters, over %d", n, datadogMaxTextChars)
			}
		}
	})
}

func FuzzElasticEncoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, bulk bool, index, pipeline, dataKey string, data []byte) {
		endpoint := "https://es.example.com:9200/sentyr/_doc"
		cfg := ElasticConfig{DataKey: dataKey}
		if bulk {
			endpoint = "https://es.example.com:9200/_bulk"
			cfg.Index, cfg.Pipeline = "sentyr"+index, pipeline
		}
		enc, err := newElastic(cfg, endpoint)
		if err != nil {
			// Settings the config check refuses never reach an encoder.
			return
		}
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		batch, err := enc.Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if !bulk {
			checkBatch(t, batch, len(events), oneValue)
			return
		}
		checkBatch(t, batch, len(events), ndjson)
		for _, r := range batch.Requests {
			if lines := bytes.Count(r.Body, []byte{'\n'}); lines != 2*len(r.Events) {
				t.Fatalf("%d lines for %d events: want an action line and a document each", lines, len(r.Events))
			}
		}
	})
}

func FuzzBodyEncoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, plain bool, data []byte) {
		cfg := BodyConfig{}
		if plain {
			cfg.ContentType = "text/plain"
		}
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		batch, err := newBody(cfg).Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if plain {
			// Text goes out as it is; only the accounting must hold.
			checkBatch(t, Batch{Requests: withoutBodies(batch.Requests), Rejected: batch.Rejected}, len(events), oneValue)
			return
		}
		checkBatch(t, batch, len(events), oneValue)
	})
}

// withoutBodies keeps the events of requests and gives each a body that is
// valid JSON, for formats whose bodies need not be JSON.
func withoutBodies(reqs []Request) []Request {
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		out[i] = Request{Body: []byte("null"), Events: r.Events}
	}
	return out
}

// checkResults asserts what the delivery code relies on from a response
// reader: nil, or one known outcome per event of the request.
func checkResults(t *testing.T, req *Request, results []Result) {
	t.Helper()
	if results == nil {
		return
	}
	if len(results) != len(req.Events) {
		t.Fatalf("%d results for %d events", len(results), len(req.Events))
	}
	for i, r := range results {
		if r.Outcome > Drop {
			t.Fatalf("result %d: unknown outcome %d", i, r.Outcome)
		}
		if r.Outcome != Delivered && r.Reason == "" {
			t.Fatalf("result %d: outcome %d without a reason", i, r.Outcome)
		}
	}
}

// fuzzRequest is a request of 1 to 16 events, as an encoder made it.
func fuzzRequest(n byte) *Request {
	req := &Request{Events: make([]int, int(n%16)+1)}
	for i := range req.Events {
		req.Events[i] = i
	}
	return req
}

// The response readers parse what a server sends: any bytes, any status.
func FuzzSplunkHECResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, status uint16, n byte, body []byte) {
		req := fuzzRequest(n)
		checkResults(t, req, newSplunkHEC(SplunkHECConfig{}).ReadResponse(req, int(status%600), body))
	})
}

func FuzzElasticBulkResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, status uint16, n byte, body []byte) {
		enc, err := newElastic(ElasticConfig{Index: "sentyr"}, "https://es.example.com:9200/_bulk")
		if err != nil {
			t.Fatal(err)
		}
		req := fuzzRequest(n)
		checkResults(t, req, enc.ReadResponse(req, int(status%600), body))
	})
}

// FuzzFormatterEncoder stands in for a registered Go formatter that returns
// anything, fails or panics: the payloads sent must still be valid JSON.
func FuzzFormatterEncoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte, mode byte, data []byte) {
		formatter := formats.FormatterFunc(func(ev *formats.Event) ([]byte, error) {
			switch (mode + byte(len(ev.ID))) % 4 {
			case 0:
				return nil, errors.New("formatter refused the event")
			case 1:
				panic(ev.Type)
			case 2:
				return formats.AppendString(nil, ev.Type), nil
			}
			return payload, nil
		})
		enc := &formatterEncoder{name: "fuzz", f: formatter, contentType: "application/json", json: true}
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		batch, err := enc.Encode(events)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		checkBatch(t, batch, len(events), oneValue)
	})
}
