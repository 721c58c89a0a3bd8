package builtin

import (
	"net/http"
	"time"

	"github.com/sentyr/webhookexporter/formats"
)

// Encoder turns a batch of events into the HTTP requests that carry them.
type Encoder interface {
	// ContentType is the Content-Type of every request body.
	ContentType() string
	// Encode returns the requests for events. An event that cannot be
	// encoded is listed in Batch.Rejected and left out of every request;
	// an error means nothing could be encoded. Encode must not keep
	// events (or their Data) after it returns: the exporter reuses their
	// arrays for the next batch. The bodies it returns are its own.
	Encode(events []formats.Event) (Batch, error)
	// Wire is what the exporter needs of the format besides its bodies,
	// asked once, when the exporter is built.
	Wire() Wire
}

// Wire is what the exporter needs of a format besides its bodies: each
// encoder states it, so that nothing a format needs is found, or missed,
// by the methods its type happens to have. A nil field is the plain case.
type Wire struct {
	// Stream takes a batch of n events in parts, in order. The exporter
	// then maps a few events, encodes them, and maps the next, so that each
	// event is encoded while the pdata it was mapped from is still in the
	// CPU's caches. Nil: the exporter maps the whole batch for Encode.
	Stream func(n int) EventStream
	// WithoutIDs says the encoder reads no Event.ID. An id is a digest of
	// the whole record, a fifth of the push path's CPU: such an encoder
	// gets events without ids, and the exporter computes an event's id
	// only where it uses one (the key of a request of that event alone, a
	// log line).
	WithoutIDs bool
	// Headers sets the headers the service wants on every request
	// (Splunk's token, Datadog's key).
	Headers func(h http.Header)
	// RequestHeaders sets a header that differs per request: Sentinel's
	// x-ms-client-request-id carries the request's idempotency key.
	RequestHeaders func(h http.Header, key string)
	// RequestURL is where a request goes, made from its idempotency key;
	// "" (or a nil RequestURL) is the endpoint.
	RequestURL func(key string) string
	// ReadAnswer reads results per event from an answer's body (Splunk HEC
	// codes, Elasticsearch _bulk items): one Result per event of req, or
	// nil when the HTTP status alone decides. Nil: the status decides.
	ReadAnswer func(req *Request, status int, body []byte) []Result
	// AnswerBytes is the most of the answer to req the exporter reads,
	// for answers that grow with the request (a _bulk answer has an item
	// for every document). Nil: AnswerBytes.
	AnswerBytes func(req *Request) int64
	// Settled says from the first AnswerHead bytes of a 2xx answer that
	// every event was taken (a _bulk answer's "errors": false), before a
	// long part that then says nothing more. The rest is then read off the
	// connection and not kept, and ReadAnswer gets the head alone, for
	// which it must return nil.
	Settled func(status int, head []byte) bool
	// MinInterval is the least time the service allows between two
	// requests to one endpoint (Slack: a message a second per webhook).
	// The exporter sends a batch's requests in order, each at least this
	// long after the last one, rather than have the service refuse them;
	// 0: as fast as the service answers.
	MinInterval time.Duration
}

// streamEncoder is an encoder that takes a batch in parts.
type streamEncoder interface {
	Encoder
	Stream(n int) EventStream
}

// EventStream is one batch that an encoder takes in parts (Wire.Stream).
type EventStream interface {
	// Add encodes the batch's next events. It must not keep them.
	Add(events []formats.Event)
	// Finish returns the batch, once all n events were added.
	Finish() Batch
}

// encodeStream is Encode for an encoder that takes a batch in parts:
// Stream(len(events)), one Add(events) and Finish.
func encodeStream(e streamEncoder, events []formats.Event) Batch {
	s := e.Stream(len(events))
	s.Add(events)
	return s.Finish()
}

// Batch is what an encoder made of a slice of events.
type Batch struct {
	Requests []Request
	Rejected []Rejection
	// Concurrent says the requests may be sent in parallel: the receiver
	// does not depend on their order (one event per request, or batches
	// of rows whose order does not matter).
	Concurrent bool

	// buffer holds the bodies when the encoder lent it from owner.
	buffer []byte
	owner  *bodyBuffers
}

// Request is one request body and the events it carries.
type Request struct {
	Body []byte
	// Events are indices into the encoded slice, in the order of the body.
	Events []int
	// URL is where the request goes when its events pick it (SecOps's log
	// type is in the path); "" is Wire.RequestURL's or the endpoint.
	URL string
}

// eventRequest is the request of event i alone, its body what buf holds
// from start on: the layout of every format that sends an event per
// request. Both slices are capped, so that appending to one cannot write
// into the next request's bytes or indices.
func eventRequest(buf []byte, start int, indices []int, i int) Request {
	return Request{Body: buf[start:len(buf):len(buf)], Events: indices[i : i+1 : i+1]}
}

// Rejection is an event that an encoder could not turn into a payload.
type Rejection struct {
	Index int
	Err   error
}

// Outcome is what became of one event inside an answered request.
type Outcome uint8

const (
	Delivered Outcome = iota
	Retry
	Drop
)

// Result is the outcome of one event and, when it failed, why.
type Result struct {
	Outcome Outcome
	// Reason quotes the receiver as it answered; the exporter takes the
	// request's credentials out of it and cuts it before it is kept.
	Reason string
	// WholeRequest says a Drop refused the request as a whole (a bad
	// token), not this event inside an accepted request.
	WholeRequest bool
}

// AnswerHead is how much of an answer Wire.Settled is shown.
const AnswerHead = 512
