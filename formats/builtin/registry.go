package builtin

import (
	"encoding/json"
	"fmt"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/detail"
	"github.com/sentyr/webhookexporter/formats/internal/registry"
)

func init() {
	names := make([]string, 0, len(builtinTable))
	for _, b := range builtinTable {
		names = append(names, b.Name)
	}
	if err := registry.Formatters.Reserve(names...); err != nil {
		panic(err)
	}
}

// Lookup returns an encoder for the formatter registered under name with
// formats.Register: one request per event, sent concurrently.
func Lookup(name string) (Encoder, bool) { return lookupIn(registry.Formatters, name) }

// Registered lists the names of registered formatters, sorted.
func Registered() []string { return registry.Formatters.Names() }

func lookupIn(r *registry.Registry, name string) (Encoder, bool) {
	v, ok := r.Lookup(name)
	if !ok {
		return nil, false
	}
	f := v.(formats.Formatter)
	ct := "application/json"
	if c, ok := f.(interface{ ContentType() string }); ok && c.ContentType() != "" {
		ct = c.ContentType()
	}
	return &formatterEncoder{name: name, f: f, contentType: ct, json: isJSONMediaType(ct)}, true
}

// formatterEncoder sends what a registered formatter makes of each event,
// one request per event.
type formatterEncoder struct {
	name        string
	f           formats.Formatter
	contentType string
	json        bool
}

func (e *formatterEncoder) ContentType() string { return e.contentType }

// Wire implements Encoder: the plain case.
func (e *formatterEncoder) Wire() Wire { return Wire{} }

func (e *formatterEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Requests: make([]Request, 0, len(events)), Concurrent: true}
	indices := make([]int, len(events))
	for i := range events {
		indices[i] = i
		body, err := e.format(&events[i])
		if err != nil {
			batch.Rejected = append(batch.Rejected, Rejection{Index: i, Err: err})
			continue
		}
		batch.Requests = append(batch.Requests, eventRequest(body, 0, indices, i))
	}
	return batch, nil
}

// format calls the formatter and checks what it made.
func (e *formatterEncoder) format(ev *formats.Event) (body []byte, err error) {
	// A formatter is user code run on untrusted content: its panic costs
	// one event, not the collector.
	defer func() {
		if r := recover(); r != nil {
			body, err = nil, fmt.Errorf("formatter %q panicked: %s", e.name, detail.Clip(fmt.Sprint(r)))
		}
	}()
	body, err = e.f.Format(ev)
	if err != nil {
		return nil, fmt.Errorf("formatter %q: %w", e.name, err)
	}
	if e.json && !json.Valid(body) {
		return nil, fmt.Errorf("formatter %q: the payload is not valid JSON (%s)", e.name, jsonError(body))
	}
	return body, nil
}
