package template

import (
	"fmt"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/sentyr/webhookexporter/formats"
)

// A template made only of text and outputs such as {{ event_type }},
// {{ event_data.owner }} or {{ event_data | tojson }} is compiled into
// steps that write the event's values straight from pdata: going through
// the engine costs about 80 allocations and tens of microseconds per event,
// most of it building the context map and reflecting over it. Everything
// else (statements, other filters, expressions) renders through gonja as
// before. The steps must write exactly what gonja writes; the differential
// tests hold them to that.

// contextName is one of templateContext's names.
type contextName uint8

const (
	nameEventID contextName = iota
	nameEventType
	nameSeverity
	nameTimestamp
	nameSource
	nameEventData
	nameResource
)

// contextNames maps templateContext's keys to the values the steps read.
// A name missing here (one added to templateContext later) is not
// compiled, so such templates keep to gonja.
var contextNames = map[string]contextName{
	"event_id":   nameEventID,
	"event_type": nameEventType,
	"severity":   nameSeverity,
	"timestamp":  nameTimestamp,
	"source":     nameSource,
	"event_data": nameEventData,
	"resource":   nameResource,
}

type stepKind uint8

const (
	stepLiteral stepKind = iota
	// stepText is {{ value }}: the value as gonja prints it, JSON-escaped
	// in a JSON template.
	stepText
	// stepJSON is {{ value | tojson }}.
	stepJSON
)

type step struct {
	kind stepKind
	lit  string
	name contextName
	// member says the step reads key of event_data or resource
	// (event_data.key, event_data['key']) rather than the whole map.
	member bool
	key    string
}

// compiledTemplate is a template compiled into steps.
type compiledTemplate struct {
	steps []step
	// escape is set for JSON templates, where escapeOutputs escapes every
	// {{ value }}.
	escape bool
	// provenJSON says that every output is valid JSON whatever the event
	// holds, so the per-event check can be skipped.
	provenJSON bool
	// scratches are the *compiledScratch of renders done, for the next.
	scratches sync.Pool
}

// compileTemplate compiles root, after escapeOutputs has rewritten it, or
// returns nil when the template has anything but text, comments and simple
// outputs.
func compileTemplate(root *nodes.Template, jsonSafe bool) *compiledTemplate {
	if root == nil || root.Parent != nil {
		return nil
	}
	c := &compiledTemplate{escape: jsonSafe}
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *nodes.Comment:
		case *nodes.Data:
			c.addLiteral(dataText(n))
		case *nodes.Output:
			st, ok := compileOutput(n, jsonSafe)
			if !ok {
				return nil
			}
			c.steps = append(c.steps, st)
		default:
			return nil
		}
	}
	c.provenJSON = jsonSafe && proveJSON(c.steps)
	return c
}

func (c *compiledTemplate) addLiteral(s string) {
	if s == "" {
		return
	}
	if n := len(c.steps); n > 0 && c.steps[n-1].kind == stepLiteral {
		c.steps[n-1].lit += s
		return
	}
	c.steps = append(c.steps, step{kind: stepLiteral, lit: s})
}

// dataText is what gonja's renderer writes for a text node: the same
// trimming, done once here instead of per event.
func dataText(n *nodes.Data) string {
	output := n.Data.Val
	if n.RemoveFirstLineReturn {
		output = strings.TrimPrefix(output, "\r\n")
		output = strings.TrimPrefix(output, "\n")
	}
	if n.Trim.Left {
		output = strings.TrimLeft(output, " \r\n\t")
	}
	if n.Trim.Right {
		output = strings.TrimRight(output, " \r\n\t")
	}
	if n.RemoveTrailingWhiteSpaceFromLastLine {
		lines := strings.Split(output, "\n")
		lines = append(lines[0:len(lines)-1], strings.TrimRight(lines[len(lines)-1], " \n\t\r"))
		output = strings.Join(lines, "\n")
	}
	return output
}

// compileOutput accepts {{ ref }} and {{ ref | tojson }}. In a JSON
// template the first arrives as ref | (json-escape).
func compileOutput(n *nodes.Output, jsonSafe bool) (step, bool) {
	if n.Condition != nil || n.Alternative != nil {
		return step{}, false
	}
	expr := n.Expression
	kind := stepText
	if fe, ok := expr.(*nodes.FilteredExpression); ok {
		if len(fe.Filters) != 1 {
			return step{}, false
		}
		f := fe.Filters[0]
		if len(f.Args) > 0 || len(f.Kwargs) > 0 {
			return step{}, false
		}
		switch {
		case f.Name == "tojson":
			kind = stepJSON
		case jsonSafe && f.Name == jsonEscapeFilter:
		default:
			return step{}, false
		}
		expr = fe.Expression
	} else if jsonSafe {
		// escapeOutputs left an output unescaped: only gonja knows why.
		return step{}, false
	}
	st, ok := compileRef(expr)
	st.kind = kind
	return st, ok
}

// compileRef accepts a context name, or one key of event_data or resource
// written as .key or ['key'].
func compileRef(expr nodes.Expression) (step, bool) {
	var target nodes.Node
	var key string
	switch e := expr.(type) {
	case *nodes.Name:
		name, ok := contextNames[e.Name.Val]
		return step{name: name}, ok
	case *nodes.GetAttribute:
		if e.Attribute == "" {
			return step{}, false
		}
		target, key = e.Node, e.Attribute
	case *nodes.GetItem:
		s, ok := e.Arg.(*nodes.String)
		if !ok {
			return step{}, false
		}
		target, key = e.Node, s.Val
	default:
		return step{}, false
	}
	t, ok := target.(*nodes.Name)
	if !ok {
		return step{}, false
	}
	// Only the maps look keys up the same way whether the template writes
	// .key or ['key']; on a string gonja does something else.
	if name := contextNames[t.Name.Val]; name == nameEventData || name == nameResource {
		return step{name: name, member: true, key: key}, true
	}
	return step{}, false
}

// render appends ev's output to dst. ok is false when the steps cannot
// write this event as gonja would (a value nested too deeply); dst is then
// to be rendered by gonja.
func (c *compiledTemplate) render(dst []byte, ev *formats.Event) (out []byte, ok bool) {
	scratch, _ := c.scratches.Get().(*compiledScratch)
	if scratch == nil {
		scratch = new(compiledScratch)
	}
	defer func() {
		// pdata panics on values a mapper should never build; gonja,
		// which has its own guard, then decides what the event costs.
		if r := recover(); r != nil {
			out, ok = dst, false
			clear(scratch.fields[:cap(scratch.fields)])
			scratch.fields = scratch.fields[:0]
		}
		// A bail-out leaves the order of the maps it was in.
		scratch.order = scratch.order[:0]
		c.scratches.Put(scratch)
	}()
	w := valueWriter{escape: c.escape, scratch: scratch}
	out = dst
	for i := range c.steps {
		st := &c.steps[i]
		switch st.kind {
		case stepLiteral:
			out = append(out, st.lit...)
		case stepText:
			out = w.appendText(out, ev, st)
		case stepJSON:
			if out, ok = w.appendJSON(out, ev, st); !ok {
				return dst, false
			}
		}
	}
	return out, true
}

// RenderEvent appends ev's output to dst, through the compiled steps when
// the template has them. proven says the output needs no JSON check.
func (t *Template) RenderEvent(dst []byte, ev *formats.Event) (out []byte, proven bool, err error) {
	if t.fast != nil {
		if out, ok := t.fast.render(dst, ev); ok {
			// The steps write each value once, so the output is about the
			// event's size; it is held to the same limit as the engine's.
			if len(out)-len(dst) > t.limits.MaxOutput {
				return dst, false, t.overBudget(&budgetError{limit: fmt.Sprintf("the output is larger than custom::max_output_size (%d bytes)", t.limits.MaxOutput)})
			}
			return out, t.fast.provenJSON, nil
		}
	}
	out, err = t.render(dst, templateContext(ev))
	return out, false, err
}
