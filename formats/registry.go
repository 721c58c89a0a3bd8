package formats

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Formatter is the guide's "Python function" in Go: it turns one event into
// one request body. A custom build registers formatters by name with
// Register and selects one with `format: <name>`.
//
// A Formatter may also implement ContentType() string; without it the
// content type is application/json. With a JSON content type the bytes are
// checked: an event whose payload is not valid JSON is dropped and logged,
// as is one whose Format returns an error or panics.
type Formatter interface {
	Format(ev *Event) ([]byte, error)
}

// FormatterFunc lets a plain function be a Formatter.
type FormatterFunc func(ev *Event) ([]byte, error)

// Format implements Formatter.
func (f FormatterFunc) Format(ev *Event) ([]byte, error) { return f(ev) }

// registry maps names to formatters. The package keeps one, filled from
// init functions of a custom build; it is the only global state here.
type registry struct {
	mu         sync.RWMutex
	formatters map[string]Formatter
}

var formatters = &registry{}

// Register makes f available as `format: <name>`. Call it from an init
// function: it panics on an empty or malformed name, a nil formatter, a
// built-in format's name or a name registered twice, so that a broken build
// fails at once rather than at its first event.
func Register(name string, f Formatter) { formatters.register(name, f) }

// Lookup returns an encoder for the formatter registered under name: one
// request per event, sent concurrently.
func Lookup(name string) (Encoder, bool) { return formatters.lookup(name) }

// Registered lists the names of registered formatters, sorted.
func Registered() []string { return formatters.names() }

// isBuiltin reports whether name is a format the exporter implements
// itself; a formatter cannot take its place.
func isBuiltin(name string) bool {
	_, ok := LookupBuiltin(name)
	return ok
}

func (r *registry) register(name string, f Formatter) {
	if err := checkFormatterName(name); err != nil {
		panic(err)
	}
	if f == nil {
		panic(fmt.Errorf("formats.Register(%q): the formatter is nil", name))
	}
	if fn, ok := f.(FormatterFunc); ok && fn == nil {
		panic(fmt.Errorf("formats.Register(%q): the formatter is nil", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.formatters[name]; dup {
		panic(fmt.Errorf("formats.Register(%q): a formatter of that name is already registered", name))
	}
	if r.formatters == nil {
		r.formatters = make(map[string]Formatter)
	}
	r.formatters[name] = f
}

func checkFormatterName(name string) error {
	if isBuiltin(name) {
		return fmt.Errorf("formats.Register(%q): that is a built-in format; choose another name", name)
	}
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return fmt.Errorf("formats.Register(%q): a name is lowercase letters, digits, _ and -", name)
	}
	return nil
}

func (r *registry) lookup(name string) (Encoder, bool) {
	r.mu.RLock()
	f, ok := r.formatters[name]
	r.mu.RUnlock()
	if !ok {
		return nil, false
	}
	ct := "application/json"
	if c, ok := f.(interface{ ContentType() string }); ok && c.ContentType() != "" {
		ct = c.ContentType()
	}
	return &formatterEncoder{name: name, f: f, contentType: ct, json: isJSONMediaType(ct)}, true
}

func (r *registry) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.formatters))
	for name := range r.formatters {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// formatterEncoder sends what a registered formatter makes of each event,
// one request per event.
type formatterEncoder struct {
	name        string
	f           Formatter
	contentType string
	json        bool
}

func (e *formatterEncoder) ContentType() string { return e.contentType }

// Wire implements Encoder: the plain case.
func (e *formatterEncoder) Wire() Wire { return Wire{} }

func (e *formatterEncoder) Encode(events []Event) (Batch, error) {
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
func (e *formatterEncoder) format(ev *Event) (body []byte, err error) {
	// A formatter is user code run on untrusted content: its panic costs
	// one event, not the collector.
	defer func() {
		if r := recover(); r != nil {
			body, err = nil, fmt.Errorf("formatter %q panicked: %s", e.name, clip(fmt.Sprint(r)))
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
