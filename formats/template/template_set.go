package template

import (
	"bytes"
	"fmt"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// setStatement is gonja's {% set %}, with its expressions reachable:
// gonja keeps them in unexported fields, where boundTemplate could not
// bound them. It parses and runs as gonja's does.
type setStatement struct {
	location    *tokens.Token
	target      nodes.Expression
	expression  nodes.Expression
	condition   nodes.Expression
	alternative nodes.Expression
	body        *nodes.Wrapper
}

func (s *setStatement) Position() *tokens.Token { return s.location }
func (s *setStatement) String() string {
	return fmt.Sprintf("SetControlStructure(Line=%d Col=%d)", s.location.Line, s.location.Col)
}

func (s *setStatement) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	var value *exec.Value
	switch {
	case s.body != nil:
		// A block set captures its body as a safe string, as Jinja does.
		buf := new(bytes.Buffer)
		sub := r.Inherit()
		sub.Output = buf
		if err := sub.ExecuteWrapper(s.body); err != nil {
			return err
		}
		value = exec.AsSafeValue(buf.String())
	case s.condition != nil:
		cond := r.Eval(s.condition)
		if cond.IsError() {
			return cond
		}
		if !cond.IsNil() && cond.IsTrue() {
			value = r.Eval(s.expression)
		} else {
			value = r.Eval(s.alternative)
		}
	default:
		value = r.Eval(s.expression)
	}
	if value.IsError() {
		return value
	}
	switch t := s.target.(type) {
	case *nodes.Name:
		r.Environment.Context.Set(t.Name.Val, value.Interface())
	case *nodes.GetAttribute:
		target := r.Eval(t.Node)
		if target.IsError() {
			return fmt.Errorf("unable to evaluate target %s: %w", t, target)
		}
		if err := target.Set(exec.AsValue(t.Attribute), value.Interface()); err != nil {
			return fmt.Errorf("unable to set value on %q: %w", t.Attribute, err)
		}
	case *nodes.GetItem:
		target := r.Eval(t.Node)
		if target.IsError() {
			return fmt.Errorf("unable to evaluate target %s: %w", t, target)
		}
		key := r.Eval(t.Arg)
		if key.IsError() {
			return fmt.Errorf("unable to evaluate argument %s: %w", t.Arg, key)
		}
		if err := target.Set(key, value.Interface()); err != nil {
			return fmt.Errorf("unable to set value on %q: %w", t.Arg, err)
		}
	default:
		return fmt.Errorf("illegal set target %s", t)
	}
	return nil
}

func setParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &setStatement{location: p.Current()}
	target, err := args.ParseVariableOrLiteral()
	if err != nil {
		return nil, fmt.Errorf("unable to parse identifier: %w", err)
	}
	switch target.(type) {
	case *nodes.Name, *nodes.GetItem, *nodes.GetAttribute:
		s.target = target
	default:
		return nil, fmt.Errorf("unexpected set target %s", target)
	}
	if args.Match(tokens.Assign) == nil {
		if !args.End() {
			return nil, args.Error("Expected '=' or end of tag for block-set.", args.Current())
		}
		wrapper, endargs, err := p.WrapUntil("endset")
		if err != nil {
			return nil, err
		}
		if !endargs.End() {
			return nil, endargs.Error("endset takes no arguments", nil)
		}
		s.body = wrapper
		return s, nil
	}
	if s.expression, err = args.ParseExpression(); err != nil {
		return nil, err
	}
	condition, alternative, err := args.ParseCondition()
	if err != nil {
		return nil, err
	}
	if condition != nil {
		if alternative == nil {
			return nil, args.Error("Malformed 'set' if else condition", args.Current())
		}
		s.condition, s.alternative = condition, alternative
	}
	if !args.End() {
		return nil, args.Error("Malformed 'set' tag args.", args.Current())
	}
	return s, nil
}
