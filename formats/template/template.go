// Package template is the custom format's Jinja engine: templates in the
// guide's syntax, rendered per event within a budget (time, output and
// work), with every output JSON-escaped when the payload is JSON. Templates
// with only text and simple outputs render through compiled steps without
// the engine.
package template

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
	"github.com/sentyr/webhookexporter/formats/internal/detail"
)

// allowedStatements are the Jinja statements a template may use. The others
// are left out on purpose: include, import, from and extends read files at
// render time; macro, call, filter, with, block, trans and autoescape write
// output that escapeOutputs cannot reach, which would reopen the injection
// that the escaping closes.
var allowedStatements = []string{"if", "for", "set", "raw", "do", "break", "continue"}

// jsonEscapeFilter is the filter escapeOutputs appends to every output. No
// template can write its name, so none can call, shadow or skip it.
const jsonEscapeFilter = "(json-escape)"

// templateID is the name of the only template the loader knows.
const templateID = "/template"

// Template is a parsed template, ready to render concurrently.
type Template struct {
	// name is how log lines and errors name the template: custom::template
	// or the template file's path.
	name string
	tpl  *exec.Template
	// limits is the render budget's settings.
	limits *Limits
	// fast renders the template without gonja when it has only text and
	// simple outputs; nil otherwise.
	fast *compiledTemplate
}

// Name is how log lines and errors name the template.
func (t *Template) Name() string { return t.name }

// Parse parses source once. With jsonSafe every {{ output }} is
// JSON-escaped unless it ends in tojson or safe.
func Parse(name, source string, jsonSafe bool, limits *Limits) (*Template, error) {
	loader, err := loaders.NewMemoryLoader(map[string]string{templateID: source})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tpl, err := exec.NewTemplate(templateID, config.New(), loader, newTemplateEnvironment(jsonSafe, limits))
	if err != nil {
		return nil, parseError(name, source, err)
	}
	if jsonSafe {
		if err := escapeOutputs(tpl.Root()); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	fast := compileTemplate(tpl.Root(), jsonSafe)
	if err := boundTemplate(tpl.Root()); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Template{name: name, tpl: tpl, limits: limits, fast: fast}, nil
}

// parseError keeps the engine's message and line and drops its wrapper,
// which quotes the whole template source.
func parseError(name, source string, err error) error {
	msg := err.Error()
	if inner := errors.Unwrap(err); inner != nil {
		msg = inner.Error()
	}
	if strings.Contains(msg, "(Line: 0 Col: 0,") {
		// The lexer's error tokens carry an offset but no line or column.
		if line, col, found := lexerErrorPosition(source); found {
			msg = strings.Replace(msg, "(Line: 0 Col: 0,", fmt.Sprintf("(Line: %d Col: %d,", line, col), 1)
		}
	}
	if !strings.Contains(msg, "(Line: ") || strings.Contains(msg, "(Line: 0 ") {
		// The parser lost the position (it does at the end of the input);
		// the lexer knows where it stopped.
		msg = fmt.Sprintf("%s; the engine stopped reading after line %d", msg, lexerLine(source))
	}
	if strings.Contains(strings.ToLower(msg), "controlstructure '") {
		msg += fmt.Sprintf("; statements a template may use: %s", strings.Join(allowedStatements, ", "))
	}
	return fmt.Errorf("%s: the template does not parse: %s", name, strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(msg))
}

// lexerErrorPosition returns the line and column (both from 1) where the
// lexer's first error begins: just after the last token it read, since the
// error token's own offset is where the lexer gave up (for an unterminated
// string, the end of the input).
func lexerErrorPosition(source string) (line, col int, found bool) {
	s := tokens.LexAll(source, config.New())
	end := 0
	for ; !s.EOF(); s.Next() {
		t := s.Current()
		if t == nil {
			continue
		}
		if t.Type != tokens.Error {
			end = t.Pos + len(t.Val)
			continue
		}
		pos := min(max(end, 0), t.Pos, len(source))
		for pos < t.Pos && pos < len(source) && strings.IndexByte(" \t\r\n", source[pos]) >= 0 {
			pos++
		}
		before := source[:pos]
		lineStart := strings.LastIndexByte(before, '\n') + 1
		return strings.Count(before, "\n") + 1, utf8.RuneCountInString(before[lineStart:]) + 1, true
	}
	return 0, 0, false
}

// lexerLine returns the line of the last token the lexer read from
// source: where the construct that does not close begins.
func lexerLine(source string) int {
	s := tokens.LexAll(source, config.New())
	line := 1
	for !s.End() {
		if t := s.Current(); t != nil && t.Line > 0 {
			line = t.Line
		}
		s.Next()
	}
	return line
}

// lineError adds the line to a parse error that the engine reports
// without one (it does so for malformed statements such as {% if %}).
type lineError struct {
	err  error
	line int
}

func (e *lineError) Error() string { return fmt.Sprintf("%v (Line: %d)", e.err, e.line) }
func (e *lineError) Unwrap() error { return e.err }

// withLine wraps a statement parser so that its errors name a line. The
// main parser stands just past the statement's closing %}, on its line.
func withLine(parse parser.ControlStructureParser) parser.ControlStructureParser {
	return func(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		line := 0
		if t := p.Current(); t != nil {
			line = t.Line
		}
		cs, err := parse(p, args)
		if err == nil || line == 0 {
			return cs, err
		}
		if _, ok := errors.AsType[*lineError](err); ok {
			return cs, err
		}
		if se, ok := errors.AsType[*parser.SyntaxError](err); ok && se.Line > 0 {
			return cs, err
		}
		return cs, &lineError{err: err, line: line}
	}
}

// newTemplateEnvironment is gonja's default environment with the allowed
// statements only, our tojson and the JSON escape filter, and every filter,
// method and function that can build values bounded by the render budget.
// It is built per template so that nothing global is changed.
func newTemplateEnvironment(jsonSafe bool, limits *Limits) *exec.Environment {
	statements := make(map[string]parser.ControlStructureParser, len(allowedStatements))
	for _, name := range allowedStatements {
		if p, ok := controlStructures.All.Get(name); ok {
			statements[name] = withLine(p)
		}
	}
	statements["set"] = withLine(setParser)
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	// gonja's tojson goes through encoding/json, which fails on NaN and
	// leaves < > & as they are; ours always writes valid JSON.
	_ = filters.Replace("tojson", filterToJSON)
	if jsonSafe {
		_ = filters.Register(jsonEscapeFilter, filterJSONEscape)
	}
	boundFilters(filters)
	for name, fn := range hiddenFilters() {
		_ = filters.Register(name, fn)
	}
	globals := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	globals.Set("range", boundedRange)
	globals.Set("lipsum", boundedLipsum)
	return &exec.Environment{
		Context:           globals,
		Filters:           filters,
		Tests:             builtins.Tests,
		ControlStructures: exec.NewControlStructureSet(statements),
		Methods:           boundedMethods(limits.MaxOutput),
	}
}

// escapeOutputs appends the JSON escape filter to every output of the
// template, so that a value written inside a JSON string stays inside it.
// Outputs that end in tojson (which writes JSON) or safe (the author's
// explicit choice) are left as they are.
func escapeOutputs(node nodes.Node) error {
	switch n := node.(type) {
	case *nodes.Template:
		return escapeAll(n.Nodes)
	case *nodes.Wrapper:
		if n == nil {
			return nil
		}
		return escapeAll(n.Nodes)
	case *nodes.Output:
		n.Expression = escapeExpression(n.Expression)
		if n.Alternative != nil {
			n.Alternative = escapeExpression(n.Alternative)
		}
		return nil
	case *nodes.Data, *nodes.Comment:
		return nil
	case *nodes.ControlStructureBlock:
		switch cs := n.ControlStructure.(type) {
		case *controlStructures.IfControlStructure:
			for _, w := range cs.Wrappers {
				if err := escapeOutputs(w); err != nil {
					return err
				}
			}
			return nil
		case *controlStructures.ForControlStructure:
			if err := escapeOutputs(cs.BodyWrapper); err != nil {
				return err
			}
			return escapeOutputs(cs.EmptyWrapper)
		case *setStatement:
			// A block set captures its output in a variable, which is
			// escaped where it is written.
			return nil
		case *controlStructures.RawControlStructure, *controlStructures.DoControlStructure,
			*controlStructures.BreakControlStructure, *controlStructures.ContinueControlStructure:
			return nil
		}
		return fmt.Errorf("statement %q cannot be used in a JSON template; use %s", n.Name, strings.Join(allowedStatements, ", "))
	}
	return fmt.Errorf("unexpected template node %T", node)
}

func escapeAll(list []nodes.Node) error {
	for _, n := range list {
		if err := escapeOutputs(n); err != nil {
			return err
		}
	}
	return nil
}

func escapeExpression(e nodes.Expression) nodes.Expression {
	if fe, ok := e.(*nodes.FilteredExpression); ok && len(fe.Filters) > 0 {
		switch fe.Filters[len(fe.Filters)-1].Name {
		case "tojson", "safe":
			return e
		}
	}
	return &nodes.FilteredExpression{
		Expression: e,
		Filters:    []*nodes.FilterCall{{Token: e.Position(), Name: jsonEscapeFilter}},
	}
}

// render appends the template's output for ctx to dst, within the render
// budget. On error dst comes back as it was.
func (t *Template) render(dst []byte, ctx map[string]any) (out []byte, err error) {
	b := newRenderBudget(t.limits)
	// The engine is reflection-heavy third-party code: a panic on some
	// unforeseen value must cost one event, not the collector.
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, fmt.Errorf("%s: the template engine failed: %s", t.name, detail.Clip(fmt.Sprint(r)))
		}
	}()
	ctx[budgetKey] = b
	w := budgetWriter{b: b, buf: dst}
	err = t.tpl.Execute(&w, exec.NewContext(ctx))
	if b.err != nil {
		return dst, t.overBudget(b.err)
	}
	if err != nil {
		if be, ok := errors.AsType[*budgetError](err); ok {
			return dst, t.overBudget(be)
		}
		return dst, fmt.Errorf("%s: rendering failed%s", t.name, renderErrorDetail(err.Error()))
	}
	return w.buf, nil
}

// overBudget is the reason an event over the render budget is dropped.
func (t *Template) overBudget(be *budgetError) error {
	return fmt.Errorf("%s: the render went over its budget: %s; make the template do less per event or raise the setting", t.name, be)
}

// renderErrorDetail cuts the engine's render error down to its line and
// cause: the full message nests a dump of every filter node on the way.
func renderErrorDetail(msg string) string {
	line := ""
	if i := strings.Index(msg, "at line "); i >= 0 {
		j := i + len("at line ")
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		line = " " + msg[i:j]
	}
	const call = "invalid call to "
	what := msg
	if i := strings.LastIndex(msg, call); i >= 0 && !strings.HasPrefix(msg[i:], call+"filter '"+jsonEscapeFilter+"'") {
		what = msg[i:]
	} else if i := strings.LastIndex(msg, ": "); i >= 0 {
		what = msg[i+2:]
	}
	return line + ": " + detail.Clip(what)
}
