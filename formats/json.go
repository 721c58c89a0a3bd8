package formats

import "fmt"

// JSON batch layouts.
const (
	// JSONArray sends a batch as one array; a batch of one is the object itself, as the seed sends it.
	JSONArray = "array"
	// JSONNDJSON sends a batch as one object per line.
	JSONNDJSON = "ndjson"
	// JSONObject sends every event as an object in a request of its own, for
	// receivers that take exactly the seed's payload.
	JSONObject = "object"
)

// JSONConfig configures the generic JSON format.
type JSONConfig struct {
	// Batch is how several events share one request: array (default), ndjson or object.
	Batch string `mapstructure:"batch"`
	// IncludeID also writes the event id into each event as "id".
	IncludeID bool `mapstructure:"include_id"`
	_         struct{}
}

// Check checks the batch layout.
func (c *JSONConfig) Check() error {
	switch c.Batch {
	case "", JSONArray, JSONNDJSON, JSONObject:
		return nil
	}
	return fmt.Errorf("json::batch: unknown layout %q; write \"array\", \"ndjson\" or \"object\"", c.Batch)
}

// JSONEncoder writes the seed's "Generic JSON" payload.
type JSONEncoder struct {
	ndjson    bool
	perEvent  bool
	includeID bool
	bodies    bodyBuffers
}

// NewJSON returns the generic JSON encoder.
func NewJSON(cfg JSONConfig) *JSONEncoder {
	return &JSONEncoder{ndjson: cfg.Batch == JSONNDJSON, perEvent: cfg.Batch == JSONObject, includeID: cfg.IncludeID}
}

// ReadsIDs implements IDReader: ids are written with include_id, and each
// request of the object layout is keyed by its event's id.
func (e *JSONEncoder) ReadsIDs() bool { return e.includeID || e.perEvent }

// ContentType implements Encoder.
func (e *JSONEncoder) ContentType() string {
	if e.ndjson {
		return "application/x-ndjson"
	}
	return "application/json"
}

// Encode implements Encoder: one request for the whole batch. A single
// event is sent as an object, as the seed sends it; several as an array or
// as NDJSON lines.
func (e *JSONEncoder) Encode(events []Event) (Batch, error) {
	if e.perEvent {
		return e.encodePerEvent(events), nil
	}
	req := Request{Events: make([]int, len(events))}
	body := e.bodies.get(len(events), 0)
	var headers headerMemo
	array := !e.ndjson && len(events) > 1
	if array {
		body = append(body, '[')
	}
	for i := range events {
		req.Events[i] = i
		if array && i > 0 {
			body = append(body, ',')
		}
		body = e.appendEvent(body, &events[i], &headers)
		if e.ndjson {
			body = append(body, '\n')
		}
	}
	if array {
		body = append(body, ']')
	}
	req.Body = body
	batch := Batch{Requests: []Request{req}}
	e.bodies.lend(&batch, body, len(events))
	return batch, nil
}

// AppendEvent appends one event in the seed's key order.
func (e *JSONEncoder) AppendEvent(dst []byte, ev *Event) []byte {
	return e.appendEvent(dst, ev, nil)
}

func (e *JSONEncoder) appendEvent(dst []byte, ev *Event, headers *headerMemo) []byte {
	dst = append(dst, '{')
	if e.includeID {
		dst = append(dst, `"id":`...)
		dst = AppendString(dst, ev.ID)
		dst = append(dst, ',')
	}
	dst = append(dst, `"timestamp":`...)
	dst = headers.stamps().appendTime(dst, ev.Timestamp)
	dst = headers.append(dst, ev, appendJSONHeader)
	dst = AppendFields(dst, ev.Data)
	return append(dst, '}')
}

// appendJSONHeader writes the members between the timestamp and the data.
func appendJSONHeader(dst []byte, ev *Event) []byte {
	dst = append(dst, `,"source":`...)
	dst = AppendString(dst, ev.Source)
	dst = append(dst, `,"event_type":`...)
	dst = AppendString(dst, ev.Type)
	dst = append(dst, `,"severity":`...)
	dst = AppendString(dst, ev.Severity)
	return append(dst, `,"data":`...)
}

// encodePerEvent gives every event a request of its own. The bodies share
// one buffer and the index lists one array, so a batch costs two
// allocations however many events it has.
func (e *JSONEncoder) encodePerEvent(events []Event) Batch {
	batch := Batch{Requests: make([]Request, len(events)), Concurrent: true}
	indices := make([]int, len(events))
	buf := e.bodies.get(len(events), 0)
	var headers headerMemo
	for i := range events {
		start := len(buf)
		buf = e.appendEvent(buf, &events[i], &headers)
		indices[i] = i
		batch.Requests[i] = Request{Body: buf[start:len(buf):len(buf)], Events: indices[i : i+1 : i+1]}
	}
	e.bodies.lend(&batch, buf, len(events))
	return batch
}
