package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/template"
)

// Custom batch layouts.
const (
	// customPerEvent sends every rendered event in a request of its own.
	customPerEvent = "event"
	// customArray sends a batch as one JSON array of the rendered events.
	customArray = "array"
)

const defaultCustomContentType = "application/json"

// The render budget's defaults: a template renders an event in
// microseconds, so these only stop a template that loops or builds without
// bound.
const (
	defaultRenderTimeout = time.Second
	defaultMaxOutputSize = 4 << 20
	maxMaxOutputSize     = 256 << 20
)

// CustomConfig configures the custom format: a Jinja template, in the
// seed's syntax and with its context names, rendered per event.
type CustomConfig struct {
	// Template is the template, inline.
	Template string `mapstructure:"template"`
	// TemplateFile is the path of a file that holds the template.
	TemplateFile string `mapstructure:"template_file"`
	// ContentType of the requests (default application/json). For a type
	// other than JSON nothing is escaped and the output is not checked.
	ContentType string `mapstructure:"content_type"`
	// Batch is how several events are sent: event (default, one request
	// per event) or array (one request whose body is a JSON array).
	Batch string `mapstructure:"batch"`
	// RenderTimeout is how long one event's render may take (default
	// 1s); a render past it is stopped and its event dropped.
	RenderTimeout time.Duration `mapstructure:"render_timeout"`
	// MaxOutputSize is the most bytes one event's payload may have, and
	// the largest value a template may build (default 4 MiB). What a render
	// builds on the way may reach template.WorkPerOutput times it.
	MaxOutputSize int `mapstructure:"max_output_size"`
	_             struct{}
}

// check checks the settings and parses the template, so that a template
// that does not parse fails at config validation with the engine's message.
func (c *CustomConfig) check() error {
	var errs []error
	ct := c.contentType()
	if err := checkMediaType(ct); err != nil {
		errs = append(errs, fmt.Errorf("custom::content_type: %q %v; write e.g. application/json or text/plain", c.ContentType, err))
	}
	switch c.Batch {
	case "", customPerEvent:
	case customArray:
		if !isJSONMediaType(ct) {
			errs = append(errs, fmt.Errorf("custom::batch: array joins rendered events into a JSON array, but custom::content_type is %q; use batch: event or a JSON content type", ct))
		}
	default:
		errs = append(errs, fmt.Errorf("custom::batch: unknown layout %q; write \"event\" (one request per event, the default) or \"array\"", c.Batch))
	}
	if c.RenderTimeout < 0 {
		errs = append(errs, fmt.Errorf("custom::render_timeout: %s is negative; write a duration such as 1s (the default), or leave it out", c.RenderTimeout))
	}
	if c.MaxOutputSize < 0 || c.MaxOutputSize > maxMaxOutputSize {
		errs = append(errs, fmt.Errorf("custom::max_output_size: %d is not between 1 and %d bytes; leave it out for the default of %d (4 MiB)", c.MaxOutputSize, maxMaxOutputSize, defaultMaxOutputSize))
	}
	if len(errs) == 0 {
		if _, err := c.parse(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// limits are the render budget's settings, defaults filled in.
func (c *CustomConfig) limits() *template.Limits {
	l := &template.Limits{Timeout: c.RenderTimeout, MaxOutput: c.MaxOutputSize, Now: time.Now}
	if l.Timeout <= 0 {
		l.Timeout = defaultRenderTimeout
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = defaultMaxOutputSize
	}
	l.MaxWork = l.MaxOutput * template.WorkPerOutput
	return l
}

func (c *CustomConfig) contentType() string {
	if c.ContentType == "" {
		return defaultCustomContentType
	}
	return c.ContentType
}

// parse reads and parses the template.
func (c *CustomConfig) parse() (*template.Template, error) {
	jsonSafe := isJSONMediaType(c.contentType())
	switch {
	case c.Template != "" && c.TemplateFile != "":
		return nil, errors.New("custom: set either custom::template or custom::template_file, not both")
	case c.Template != "":
		return template.Parse("custom::template", c.Template, jsonSafe, c.limits())
	case c.TemplateFile != "":
		src, err := os.ReadFile(c.TemplateFile)
		if err != nil {
			return nil, fmt.Errorf("custom::template_file: cannot read the template: %v; check the path (relative paths start at the collector's working directory)", err)
		}
		return template.Parse(c.TemplateFile, string(src), jsonSafe, c.limits())
	}
	return nil, errors.New("custom::template: required with format: custom; write a Jinja template inline under custom::template or point custom::template_file at a file")
}

// customEncoder renders events through a Jinja template.
type customEncoder struct {
	tpl         *template.Template
	contentType string
	json        bool
	array       bool
	bodies      bodyBuffers
}

// newCustom parses the template and returns the encoder.
func newCustom(cfg CustomConfig) (*customEncoder, error) {
	tpl, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	ct := cfg.contentType()
	return &customEncoder{tpl: tpl, contentType: ct, json: isJSONMediaType(ct), array: cfg.Batch == customArray}, nil
}

// ContentType implements Encoder.
func (e *customEncoder) ContentType() string { return e.contentType }

// Wire implements Encoder: the plain case.
func (e *customEncoder) Wire() Wire { return Wire{} }

// Encode implements Encoder. An event whose template fails, or whose output
// is not valid JSON when the content type is JSON, is rejected alone.
func (e *customEncoder) Encode(events []formats.Event) (Batch, error) {
	if e.array {
		return e.encodeArray(events), nil
	}
	// The bodies share one buffer and the index lists one array.
	batch := Batch{Requests: make([]Request, 0, len(events)), Concurrent: true}
	indices := make([]int, len(events))
	buf := e.bodies.get(len(events), 0)
	for i := range events {
		indices[i] = i
		buf = growBody(buf)
		start := len(buf)
		out, err := e.renderEvent(buf, &events[i])
		if err != nil {
			batch.Rejected = append(batch.Rejected, Rejection{Index: i, Err: err})
			continue
		}
		buf = out
		body := buf[start:len(buf):len(buf)]
		if e.json {
			body = bytes.TrimSpace(body)
		}
		batch.Requests = append(batch.Requests, eventRequest(body, 0, indices, i))
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

// encodeArray sends the rendered events as one JSON array.
func (e *customEncoder) encodeArray(events []formats.Event) Batch {
	var batch Batch
	req := Request{Events: make([]int, 0, len(events))}
	buf := append(e.bodies.get(len(events), 0), '[')
	for i := range events {
		buf = growBody(buf)
		mark := len(buf)
		if len(req.Events) > 0 {
			buf = append(buf, ',')
		}
		out, err := e.renderEvent(buf, &events[i])
		if err != nil {
			buf = buf[:mark]
			batch.Rejected = append(batch.Rejected, Rejection{Index: i, Err: err})
			continue
		}
		buf = out
		req.Events = append(req.Events, i)
	}
	if len(req.Events) > 0 {
		buf = append(buf, ']')
		req.Body = buf
		batch.Requests = []Request{req}
	}
	e.bodies.lend(&batch, buf)
	return batch
}

// renderEvent appends one event's payload to dst and checks it.
func (e *customEncoder) renderEvent(dst []byte, ev *formats.Event) ([]byte, error) {
	start := len(dst)
	out, proven, err := e.tpl.RenderEvent(dst, ev)
	if err != nil {
		return dst, err
	}
	if e.json && !proven && !json.Valid(out[start:]) {
		return dst, fmt.Errorf("%s: the rendered payload is not valid JSON (%s); write values inside quotes (\"{{ value }}\") or through tojson ({{ value | tojson }})",
			e.tpl.Name(), jsonError(out[start:]))
	}
	return out, nil
}
