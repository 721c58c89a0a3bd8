// Package registry keeps the Go formatters that a custom build registers
// with formats.Register, for the custom format of formats/builtin to look
// up. It holds them as any: formats, which defines Formatter, imports
// this package.
package registry

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registry maps names to formatters. The module keeps one, Formatters,
// filled from init functions of a custom build; it is the only global
// state here.
type Registry struct {
	mu         sync.RWMutex
	formatters map[string]any
	// reserved is the built-in formats' names, which no formatter takes.
	reserved map[string]bool
}

// Formatters is the registry formats.Register fills.
var Formatters = &Registry{}

// Add makes f available under name. It fails on a malformed name, a
// built-in format's name or a name registered twice.
func (r *Registry) Add(name string, f any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reserved[name] {
		return builtinName(name)
	}
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return fmt.Errorf("formats.Register(%q): a name is lowercase letters, digits, _ and -", name)
	}
	if _, dup := r.formatters[name]; dup {
		return fmt.Errorf("formats.Register(%q): a formatter of that name is already registered", name)
	}
	if r.formatters == nil {
		r.formatters = make(map[string]any)
	}
	r.formatters[name] = f
	return nil
}

// Reserve keeps names, the built-in formats', from formatters. Init
// functions run in an order that depends on import paths, so a formatter
// may be registered under a built-in name before the names are reserved:
// Reserve then fails as Add would have.
func (r *Registry) Reserve(names ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reserved == nil {
		r.reserved = make(map[string]bool, len(names))
	}
	for _, name := range names {
		r.reserved[name] = true
		if _, taken := r.formatters[name]; taken {
			return builtinName(name)
		}
	}
	return nil
}

func builtinName(name string) error {
	return fmt.Errorf("formats.Register(%q): that is a built-in format; choose another name", name)
}

// Lookup returns the formatter registered under name.
func (r *Registry) Lookup(name string) (any, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.formatters[name]
	return f, ok
}

// Names lists the names of registered formatters, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.formatters))
	for name := range r.formatters {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
