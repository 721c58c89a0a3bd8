package builtin

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sentyr/webhookexporter/formats"
)

// Documents: what each event is written as inside a format's envelope
// (the json payload, HEC's event, a _bulk document, a Datadog log entry).
// The transport is the format; the document is chosen apart from it, so
// that a next schema is one more document, not one more format.
const (
	// DocumentGuide is the guide's own event shape, as each format has
	// always written it (ECS for Elasticsearch): the default.
	DocumentGuide = "guide"
	// DocumentOCSF is the event as an OCSF Detection Finding (ocsf.go).
	DocumentOCSF = "ocsf"
)

// documentNames are the documents a user may name, in the order the
// errors list them.
var documentNames = []string{DocumentGuide, DocumentOCSF}

// document is the document the settings ask for.
func (s *Settings) document() string { return cmp.Or(s.Document, DocumentGuide) }

// checkDocument refuses, at load, a document that b cannot carry: the
// formats whose payload is fixed (Datadog's events, Sentinel's columns)
// or written by the user (templates) carry the guide's alone.
func checkDocument(b *Builtin, s *Settings) error {
	doc := s.document()
	if !slices.Contains(documentNames, doc) {
		return fmt.Errorf("document: unknown document %q; write %s (the default) or %s", s.Document, DocumentGuide, DocumentOCSF)
	}
	if doc == DocumentGuide || slices.Contains(b.Documents, doc) {
		return nil
	}
	var carriers []string
	for _, other := range builtinTable {
		if slices.Contains(other.Documents, doc) {
			carriers = append(carriers, other.Name)
		}
	}
	return fmt.Errorf("document: format %s writes a payload of its own and cannot carry the %s document; "+
		"use format %s, or remove document", b.Name, doc, strings.Join(carriers, ", "))
}

// CheckRegistered checks the settings of the formatter registered as
// name: it writes a payload of its own, so it carries the guide's
// document alone, and any other is refused at load.
func CheckRegistered(name string, s *Settings) error {
	return checkDocument(&Builtin{Name: name}, s)
}

// checkGuideSetting refuses a setting that shapes the guide's document
// alone when another document is asked for: it would be ignored.
func checkGuideSetting(s *Settings, field string, set bool, instead string) error {
	if doc := s.document(); set && doc != DocumentGuide {
		return fmt.Errorf("%s: shapes the guide's document, not the %s one (%s); remove %s or document", field, doc, instead, field)
	}
	return nil
}

// withDocumentCheck is b whose Check also refuses a document it cannot
// carry: every format is checked, those added later too.
func withDocumentCheck(b Builtin) Builtin {
	check := b.Check
	b.Check = func(s *Settings) error {
		if err := checkDocument(&b, s); err != nil {
			return err
		}
		return check(s)
	}
	return b
}

// docWriter appends one event as a document other than the guide's,
// within limit bytes if limit is not 0. A writer keeps scratch space: each
// batch has its own.
type docWriter interface {
	appendDoc(dst []byte, ev *formats.Event, limit int) []byte
	// sourcetype is the document's Splunk sourcetype, HEC's default.
	sourcetype() string
}

// docOptions are what a format asks of the document it carries.
type docOptions struct {
	// routes says which data members are the attributes that routed the
	// event within the format (an index, a sourcetype): they are left out
	// of the document unless they are the body's. Nil: none.
	routes func(key string) bool
	// valueBytes bounds each text taken from the event outside its data
	// (0: no bound of the format's own); limitWhat names the bound of a
	// whole document, in the note of the data cut to fit it.
	valueBytes int
	limitWhat  string
}

// newDoc makes the writers of a document, for the formats that carry
// documents; nil for the guide's, which each format writes itself.
type newDoc func() docWriter

// docFactory is the maker of the writers of the document s asks for.
func docFactory(s *Settings, opt docOptions) newDoc {
	switch s.document() {
	case DocumentOCSF:
		return func() docWriter { return &ocsfWriter{docOptions: opt} }
	}
	return nil
}

// writer is a writer of the document, nil for the guide's.
func (f newDoc) writer() docWriter {
	if f == nil {
		return nil
	}
	return f()
}
