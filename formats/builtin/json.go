package builtin

import (
	"errors"
	"fmt"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
)

// JSON batch layouts.
const (
	// jsonArray sends a batch as one array; a batch of one is the object itself, as the guide sends it.
	jsonArray = "array"
	// jsonNDJSON sends a batch as one object per line.
	jsonNDJSON = "ndjson"
	// jsonObject sends every event as an object in a request of its own, for
	// receivers that take exactly the guide's payload.
	jsonObject = "object"
)

// JSONConfig configures the generic JSON format.
type JSONConfig struct {
	// Batch is how several events share one request: array (default), ndjson or object.
	Batch string `mapstructure:"batch"`
	// IncludeID also writes the event id into each event as "id".
	IncludeID bool `mapstructure:"include_id"`
	_         struct{}
}

// check checks the batch layout.
func (c *JSONConfig) check() error {
	switch c.Batch {
	case "", jsonArray, jsonNDJSON, jsonObject:
		return nil
	}
	return fmt.Errorf("json::batch: unknown layout %q; write \"array\", \"ndjson\" or \"object\"", c.Batch)
}

// checkJSONSettings checks the json format's settings with the document.
func checkJSONSettings(s *Settings) error {
	return errors.Join(s.JSON.check(), checkGuideSetting(s, "json::include_id", s.JSON.IncludeID, "it carries the id as metadata.uid"))
}

// jsonEncoder writes the guide's "Generic JSON" payload.
type jsonEncoder struct {
	ndjson    bool
	perEvent  bool
	includeID bool
	bodies    bodyBuffers
	// doc makes the writers of the document carried, nil for the guide's.
	doc newDoc
}

// newJSON returns the generic JSON encoder.
func newJSON(cfg JSONConfig) *jsonEncoder {
	return &jsonEncoder{ndjson: cfg.Batch == jsonNDJSON, perEvent: cfg.Batch == jsonObject, includeID: cfg.IncludeID}
}

// carrying is e carrying the document s asks for.
func (e *jsonEncoder) carrying(s *Settings) *jsonEncoder {
	e.doc = docFactory(s, docOptions{})
	return e
}

// Wire implements Encoder. Ids are written with include_id and in
// documents, and each request of the object layout is keyed by its
// event's id.
func (e *jsonEncoder) Wire() Wire {
	return Wire{Stream: e.Stream, WithoutIDs: !e.includeID && !e.perEvent && e.doc == nil}
}

// ContentType implements Encoder.
func (e *jsonEncoder) ContentType() string {
	if e.ndjson {
		return "application/x-ndjson"
	}
	return "application/json"
}

// Encode implements Encoder: one request for the whole batch, where a
// single event is sent as an object, as the guide sends it, and several as
// an array or as NDJSON lines; or, with batch: object, a request per event.
func (e *jsonEncoder) Encode(events []formats.Event) (Batch, error) {
	return encodeStream(e, events), nil
}

// Stream is the format's Wire.Stream.
func (e *jsonEncoder) Stream(n int) EventStream {
	s := &jsonStream{e: e, indices: make([]int, n), body: e.bodies.get(n, 0), doc: e.doc.writer()}
	switch {
	case e.perEvent:
		// Every event is a request of its own. The bodies share one
		// buffer and the index lists one array, so a batch costs a few
		// allocations however many events it has.
		s.batch = Batch{Requests: make([]Request, n), Concurrent: true}
	case !e.ndjson && n > 1:
		s.array = true
		s.body = append(s.body, '[')
	}
	return s
}

// jsonStream is one batch of the json format.
type jsonStream struct {
	e       *jsonEncoder
	indices []int
	next    int
	body    []byte
	array   bool
	batch   Batch
	doc     docWriter
}

func (s *jsonStream) Add(events []formats.Event) {
	for i := range events {
		at := s.next
		s.next++
		s.indices[at] = at
		s.body = growBody(s.body)
		if s.e.perEvent {
			start := len(s.body)
			s.body = s.appendEvent(s.body, &events[i])
			s.batch.Requests[at] = eventRequest(s.body, start, s.indices, at)
			continue
		}
		if s.array && at > 0 {
			s.body = append(s.body, ',')
		}
		s.body = s.appendEvent(s.body, &events[i])
		if s.e.ndjson {
			s.body = append(s.body, '\n')
		}
	}
}

func (s *jsonStream) Finish() Batch {
	if !s.e.perEvent {
		if s.array {
			s.body = append(s.body, ']')
		}
		s.batch = Batch{Requests: []Request{{Body: s.body, Events: s.indices}}}
	}
	s.e.bodies.lend(&s.batch, s.body)
	return s.batch
}

func (s *jsonStream) appendEvent(dst []byte, ev *formats.Event) []byte {
	if s.doc != nil {
		return s.doc.appendDoc(dst, ev, 0)
	}
	return s.e.appendEvent(dst, ev)
}

// AppendEvent appends one event in the guide's key order, or as the
// document it carries.
func (e *jsonEncoder) AppendEvent(dst []byte, ev *formats.Event) []byte {
	if doc := e.doc.writer(); doc != nil {
		return doc.appendDoc(dst, ev, 0)
	}
	return e.appendEvent(dst, ev)
}

func (e *jsonEncoder) appendEvent(dst []byte, ev *formats.Event) []byte {
	dst = append(dst, '{')
	if e.includeID {
		dst = append(dst, `"id":`...)
		dst = jsonw.AppendString(dst, ev.ID)
		dst = append(dst, ',')
	}
	dst = append(dst, `"timestamp":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = appendJSONHeader(dst, ev)
	dst = jsonw.AppendFields(dst, ev.Data)
	return append(dst, '}')
}

// appendJSONHeader writes the members between the timestamp and the data.
func appendJSONHeader(dst []byte, ev *formats.Event) []byte {
	dst = append(dst, `,"source":`...)
	dst = jsonw.AppendString(dst, ev.Source)
	dst = append(dst, `,"event_type":`...)
	dst = jsonw.AppendString(dst, ev.Type)
	dst = append(dst, `,"severity":`...)
	dst = jsonw.AppendString(dst, ev.Severity)
	return append(dst, `,"data":`...)
}
