package formats

import (
	"fmt"

	"github.com/sentyr/webhookexporter/formats/internal/registry"
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

// Register makes f available as `format: <name>`. Call it from an init
// function: it panics on an empty or malformed name, a nil formatter, a
// built-in format's name or a name registered twice, so that a broken build
// fails at once rather than at its first event.
func Register(name string, f Formatter) { register(registry.Formatters, name, f) }

func register(r *registry.Registry, name string, f Formatter) {
	if fn, ok := f.(FormatterFunc); f == nil || ok && fn == nil {
		panic(fmt.Errorf("formats.Register(%q): the formatter is nil", name))
	}
	if err := r.Add(name, f); err != nil {
		panic(err)
	}
}
