package builtin

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

const defaultBodyContentType = "application/json"

// BodyConfig configures the body format: the record's body is the payload,
// for payloads shaped upstream (an OTTL transform).
type BodyConfig struct {
	// ContentType of the requests (default application/json). With a JSON
	// type every payload is checked; set text/plain (or another type) to
	// send string bodies that are not JSON.
	ContentType string `mapstructure:"content_type"`
	_           struct{}
}

// check checks the content type.
func (c *BodyConfig) check() error {
	if err := checkMediaType(c.contentType()); err != nil {
		return fmt.Errorf("body::content_type: %q %v; write e.g. application/json or text/plain", c.ContentType, err)
	}
	return nil
}

func (c *BodyConfig) contentType() string {
	if c.ContentType == "" {
		return defaultBodyContentType
	}
	return c.ContentType
}

// bodyEncoder sends each record's body in a request of its own: a map or a
// list as JSON, a string or bytes as they are.
type bodyEncoder struct {
	contentType string
	json        bool
	bodies      bodyBuffers
}

// newBody returns the body encoder.
func newBody(cfg BodyConfig) *bodyEncoder {
	ct := cfg.contentType()
	return &bodyEncoder{contentType: ct, json: isJSONMediaType(ct)}
}

// ContentType implements Encoder.
func (e *bodyEncoder) ContentType() string { return e.contentType }

// Wire implements Encoder: the plain case.
func (e *bodyEncoder) Wire() Wire { return Wire{} }

var errNoBody = errors.New("body: the record has no body; set one upstream (e.g. with an OTTL transform) or use another format")

// Encode implements Encoder. The bodies share one buffer.
func (e *bodyEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Requests: make([]Request, 0, len(events)), Concurrent: true}
	indices := make([]int, len(events))
	buf := e.bodies.get(len(events), 0)
	for i := range events {
		indices[i] = i
		buf = growBody(buf)
		start := len(buf)
		var err error
		buf, err = e.appendBody(buf, events[i].Body)
		if err != nil {
			buf = buf[:start]
			batch.Rejected = append(batch.Rejected, Rejection{Index: i, Err: err})
			continue
		}
		batch.Requests = append(batch.Requests, eventRequest(buf, start, indices, i))
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

func (e *bodyEncoder) appendBody(dst []byte, body pcommon.Value) ([]byte, error) {
	start := len(dst)
	switch body.Type() {
	case pcommon.ValueTypeEmpty:
		return dst, errNoBody
	case pcommon.ValueTypeStr:
		dst = append(dst, body.Str()...)
	case pcommon.ValueTypeBytes:
		dst = append(dst, body.Bytes().AsRaw()...)
	default:
		// Maps, lists and scalars: always valid JSON.
		return jsonw.AppendValue(dst, body), nil
	}
	if e.json && !json.Valid(dst[start:]) {
		return dst, fmt.Errorf("body: a %s body that is not JSON cannot be sent as %s (%s); set body::content_type (e.g. text/plain) to send it as it is, or make the body a map upstream",
			body.Type(), e.contentType, jsonError(dst[start:]))
	}
	return dst, nil
}
