package template

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"

	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
	"github.com/nikolalohinski/gonja/v2/utils"
)

// boundTemplate makes a parsed template keep to its render budget (see
// template_budget.go). It runs after escapeOutputs and compileTemplate,
// which do not know the nodes it adds:
//   - every block (the template, loop bodies, if branches, block sets)
//     starts with a budget check, which also counts what a block set
//     captures;
//   - a loop's items are counted before gonja makes them;
//   - the operators that build strings and lists (* + ~), calls and list
//     and dict literals go through hidden filters that check a value's
//     size before it is built, or count it after when it cannot be larger
//     than what it is made of.
func boundTemplate(root *nodes.Template) error {
	root.Nodes = withCheck(root.Nodes, &tokens.Token{Line: 1, Col: 1})
	return boundAll(root.Nodes)
}

func withCheck(list []nodes.Node, tok *tokens.Token) []nodes.Node {
	check := &nodes.ControlStructureBlock{Location: tok, Name: budgetKey, ControlStructure: &budgetCheck{tok: tok}}
	return append([]nodes.Node{check}, list...)
}

func boundWrapper(w *nodes.Wrapper) error {
	if w == nil {
		return nil
	}
	w.Nodes = withCheck(w.Nodes, w.Position())
	return boundAll(w.Nodes)
}

func boundAll(list []nodes.Node) error {
	for _, n := range list {
		if err := boundNode(n); err != nil {
			return err
		}
	}
	return nil
}

func boundNode(node nodes.Node) error {
	switch n := node.(type) {
	case *nodes.Output:
		n.Expression = boundExpr(n.Expression)
		n.Condition = boundExpr(n.Condition)
		n.Alternative = boundExpr(n.Alternative)
	case *nodes.ControlStructureBlock:
		switch cs := n.ControlStructure.(type) {
		case *controlStructures.IfControlStructure:
			for i := range cs.Conditions {
				cs.Conditions[i] = boundExpr(cs.Conditions[i])
			}
			for _, w := range cs.Wrappers {
				if err := boundWrapper(w); err != nil {
					return err
				}
			}
		case *controlStructures.ForControlStructure:
			if cs.Recursive {
				return fmt.Errorf("recursive loops are not supported (line %d): a loop that calls itself has no bound; loop over the data's levels one by one", cs.Position().Line)
			}
			cs.ObjectEvaluator = hiddenFilter(boundExpr(cs.ObjectEvaluator), filterLoopItems)
			cs.IfCondition = boundExpr(cs.IfCondition)
			if err := boundWrapper(cs.BodyWrapper); err != nil {
				return err
			}
			return boundWrapper(cs.EmptyWrapper)
		case *setStatement:
			cs.target = boundExpr(cs.target)
			cs.expression = boundExpr(cs.expression)
			cs.condition = boundExpr(cs.condition)
			cs.alternative = boundExpr(cs.alternative)
			return boundWrapper(cs.body)
		case *controlStructures.DoControlStructure:
			cs.Expression = boundExpr(cs.Expression)
		case *budgetCheck:
		}
	}
	return nil
}

// Hidden filters. Their names cannot be written in a template.
const (
	filterMul       = "(mul)"
	filterAdd       = "(add)"
	filterConcat    = "(concat)"
	filterCall      = "(call)"
	filterLiteral   = "(literal)"
	filterLoopItems = "(loop-items)"
)

func hiddenFilter(e nodes.Expression, name string, args ...nodes.Expression) nodes.Expression {
	if e == nil {
		return nil
	}
	return &nodes.FilteredExpression{Expression: e, Filters: []*nodes.FilterCall{{Token: e.Position(), Name: name, Args: args}}}
}

// boundExpr rewrites e, and what it is made of, as boundTemplate says.
func boundExpr(e nodes.Expression) nodes.Expression {
	if e == nil {
		return nil
	}
	switch n := e.(type) {
	case *nodes.BinaryExpression:
		n.Left, n.Right = boundExpr(n.Left), boundExpr(n.Right)
		switch n.Operator.Token.Type {
		case tokens.Multiply:
			return hiddenFilter(n.Left, filterMul, n.Right)
		case tokens.Addition:
			return hiddenFilter(n.Left, filterAdd, n.Right)
		case tokens.Tilde:
			return hiddenFilter(n.Left, filterConcat, n.Right)
		}
		return n
	case *nodes.Call:
		n.Func = boundNodeExpr(n.Func)
		n.Parent = boundNodeExpr(n.Parent)
		boundExprs(n.Args)
		boundKwargs(n.Kwargs)
		return hiddenFilter(n, filterCall)
	case *nodes.List:
		boundExprs(n.Val)
		return hiddenFilter(n, filterLiteral)
	case *nodes.Tuple:
		boundExprs(n.Val)
		return hiddenFilter(n, filterLiteral)
	case *nodes.Dict:
		for _, p := range n.Pairs {
			p.Key, p.Value = boundExpr(p.Key), boundExpr(p.Value)
		}
		return hiddenFilter(n, filterLiteral)
	case *nodes.GetItem:
		n.Node, n.Arg = boundNodeExpr(n.Node), boundNodeExpr(n.Arg)
	case *nodes.GetAttribute:
		n.Node = boundNodeExpr(n.Node)
	case *nodes.GetSlice:
		n.Node, n.Start, n.End, n.Step = boundNodeExpr(n.Node), boundNodeExpr(n.Start), boundNodeExpr(n.End), boundNodeExpr(n.Step)
	case *nodes.Negation:
		n.Term = boundExpr(n.Term)
	case *nodes.UnaryExpression:
		n.Term = boundExpr(n.Term)
	case *nodes.FilteredExpression:
		n.Expression = boundExpr(n.Expression)
		for _, f := range n.Filters {
			boundExprs(f.Args)
			boundKwargs(f.Kwargs)
		}
	case *nodes.TestExpression:
		n.Expression = boundExpr(n.Expression)
		if n.Test != nil {
			boundExprs(n.Test.Args)
			boundKwargs(n.Test.Kwargs)
		}
	}
	return e
}

// boundNodeExpr is boundExpr for the fields gonja types as Node. A Name
// stays a Name: gonja writes a method's changes back only to a variable.
func boundNodeExpr(n nodes.Node) nodes.Node {
	e, ok := n.(nodes.Expression)
	if !ok || e == nil {
		return n
	}
	if _, isName := e.(*nodes.Name); isName {
		return n
	}
	return boundExpr(e)
}

func boundExprs(list []nodes.Expression) {
	for i := range list {
		list[i] = boundExpr(list[i])
	}
}

func boundKwargs(m map[string]nodes.Expression) {
	for k, v := range m {
		m[k] = boundExpr(v)
	}
}

// budgetCheck opens every block: it checks the deadline, and makes a block
// that writes into a buffer of its own (a block set) count what it writes.
type budgetCheck struct{ tok *tokens.Token }

func (c *budgetCheck) Position() *tokens.Token { return c.tok }
func (c *budgetCheck) String() string          { return "BudgetCheck" }

func (c *budgetCheck) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	b := budgetOf(r.Environment.Context)
	if b == nil {
		return nil
	}
	if err := b.tick(); err != nil {
		return err
	}
	if _, ok := r.Output.(*budgetWriter); !ok {
		r.Output = &budgetWriter{b: b, nested: r.Output}
	}
	return nil
}

// budgeted runs f with the render's budget: the guard of every bounded
// filter, method and function.
func budgeted(e *exec.Evaluator, in *exec.Value, f func(b *renderBudget) *exec.Value) *exec.Value {
	if in != nil && in.IsError() {
		return in
	}
	var b *renderBudget
	if e != nil {
		b = budgetOf(e.Environment.Context)
	}
	if b == nil {
		return exec.AsValue(errors.New("the template engine ran without a budget"))
	}
	if err := b.tick(); err != nil {
		return exec.AsValue(err)
	}
	return f(b)
}

func arg(params *exec.VarArgs, i int) *exec.Value {
	if params != nil && i < len(params.Args) {
		return params.Args[i]
	}
	return exec.AsValue(nil)
}

// sizeProduct is a*b, or MaxInt when it does not fit.
func sizeProduct(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

func sizeSum(xs ...int) int {
	s := 0
	for _, x := range xs {
		if x < 0 || s > math.MaxInt-x {
			return math.MaxInt
		}
		s += x
	}
	return s
}

func absInt(x int) int {
	if x < 0 {
		if x == math.MinInt {
			return math.MaxInt
		}
		return -x
	}
	return x
}

// hiddenFilters are the filters boundExpr's rewrites call.
func hiddenFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		filterMul: func(e *exec.Evaluator, left *exec.Value, params *exec.VarArgs) *exec.Value {
			return budgeted(e, left, func(b *renderBudget) *exec.Value {
				right := arg(params, 0)
				// gonja's * : floats, then string repetition, then integers.
				switch {
				case left.IsFloat() || right.IsFloat():
					return exec.AsValue(left.Float() * right.Float())
				case left.IsString():
					s, n := left.String(), max(right.Integer(), 0)
					if err := b.reserve(sizeProduct(len(s), n)); err != nil {
						return exec.AsValue(err)
					}
					return exec.AsValue(strings.Repeat(s, n))
				}
				return exec.AsValue(left.Integer() * right.Integer())
			})
		},
		filterAdd: func(e *exec.Evaluator, left *exec.Value, params *exec.VarArgs) *exec.Value {
			return budgeted(e, left, func(b *renderBudget) *exec.Value {
				right := arg(params, 0)
				switch {
				case left.IsList():
					if !right.IsList() {
						return exec.AsValue(errors.New("unable to concatenate a list to a value that is not a list"))
					}
					if err := b.reserve(sizeProduct(itemCost, sizeSum(left.Len(), right.Len()))); err != nil {
						return exec.AsValue(err)
					}
					out := make([]any, 0, left.Len()+right.Len())
					for _, v := range []*exec.Value{left, right} {
						rv := reflect.Indirect(v.Val)
						for i := 0; i < rv.Len(); i++ {
							out = append(out, rv.Index(i).Interface())
						}
					}
					return exec.AsValue(out)
				case left.IsFloat() || right.IsFloat():
					return exec.AsValue(left.Float() + right.Float())
				case left.IsString() || right.IsString():
					return concatBounded(b, left, right)
				}
				return exec.AsValue(left.Integer() + right.Integer())
			})
		},
		filterConcat: func(e *exec.Evaluator, left *exec.Value, params *exec.VarArgs) *exec.Value {
			return budgeted(e, left, func(b *renderBudget) *exec.Value {
				return concatBounded(b, left, arg(params, 0))
			})
		},
		filterCall: func(e *exec.Evaluator, result *exec.Value, _ *exec.VarArgs) *exec.Value {
			return budgeted(e, result, func(b *renderBudget) *exec.Value {
				if err := b.charge(callCost + shallowSize(result)); err != nil {
					return exec.AsValue(err)
				}
				return result
			})
		},
		filterLiteral: func(e *exec.Evaluator, v *exec.Value, _ *exec.VarArgs) *exec.Value {
			return budgeted(e, v, func(b *renderBudget) *exec.Value {
				if err := b.charge(shallowSize(v)); err != nil {
					return exec.AsValue(err)
				}
				return v
			})
		},
		filterLoopItems: func(e *exec.Evaluator, v *exec.Value, _ *exec.VarArgs) *exec.Value {
			return budgeted(e, v, func(b *renderBudget) *exec.Value {
				if err := b.charge(sizeProduct(loopItemCost, itemCount(v))); err != nil {
					return exec.AsValue(err)
				}
				return v
			})
		},
	}
}

func concatBounded(b *renderBudget, left, right *exec.Value) *exec.Value {
	l := left.String()
	r := right.String()
	if err := b.reserve(sizeSum(len(l), len(r))); err != nil {
		return exec.AsValue(err)
	}
	return exec.AsValue(l + r)
}

// boundedRange is Jinja's range as a list, counted before it is made.
// gonja's own feeds a channel from a goroutine, which a range that is not
// iterated to its end leaves blocked forever.
func boundedRange(e *exec.Evaluator, params *exec.VarArgs) *exec.Value {
	return budgeted(e, nil, func(b *renderBudget) *exec.Value {
		start, stop, step := 0, 0, 1
		for _, a := range params.Args {
			if !a.IsInteger() {
				return exec.AsValue(errors.New("invalid call to function 'range': expected signature is [start, ]stop[, step] where all arguments are integers"))
			}
		}
		switch len(params.Args) {
		case 1:
			stop = params.Args[0].Integer()
		case 2:
			start, stop = params.Args[0].Integer(), params.Args[1].Integer()
		case 3:
			start, stop, step = params.Args[0].Integer(), params.Args[1].Integer(), params.Args[2].Integer()
		default:
			return exec.AsValue(errors.New("invalid call to function 'range': expected signature is [start, ]stop[, step] where all arguments are integers"))
		}
		if step == 0 {
			return exec.AsValue(errors.New("invalid call to function 'range': step cannot be 0"))
		}
		n := 0
		if step > 0 && stop > start {
			n = int((uint(stop-start) + uint(step) - 1) / uint(step))
		} else if step < 0 && start > stop {
			n = int((uint(start-stop) + uint(-step) - 1) / uint(-step))
		}
		if n < 0 || b.reserve(sizeProduct(itemCost, n)) != nil {
			return exec.AsValue(b.fail(fmt.Sprintf("range(%d items) is more than the render may build (%d bytes, %d × custom::max_output_size)", n, b.limits.MaxWork, WorkPerOutput)))
		}
		out := make([]int, n)
		for i := range out {
			out[i] = start + i*step
		}
		return exec.AsValue(out)
	})
}

// boundedLipsum is Jinja's lipsum, counted before it is made.
func boundedLipsum(e *exec.Evaluator, params *exec.VarArgs) *exec.Value {
	return budgeted(e, nil, func(b *renderBudget) *exec.Value {
		n, html, lo, hi := 5, true, 20, 100
		if err := params.Take(
			exec.KeywordArgument("n", exec.AsValue(5), exec.IntArgument(&n)),
			exec.KeywordArgument("html", exec.AsValue(true), exec.BoolArgument(&html)),
			exec.KeywordArgument("min", exec.AsValue(20), exec.IntArgument(&lo)),
			exec.KeywordArgument("max", exec.AsValue(100), exec.IntArgument(&hi)),
		); err != nil {
			return exec.AsValue(exec.ErrInvalidCall(err))
		}
		// A lipsum word is at most 13 bytes with its space.
		if err := b.reserve(sizeProduct(sizeSum(absInt(n), 1), sizeSum(sizeProduct(absInt(hi), 13), 16))); err != nil {
			return exec.AsValue(err)
		}
		return exec.AsSafeValue(utils.Lipsum(n, html, lo, hi))
	})
}

// formatBound is the most a printf or str.format call can write: the
// format, its widths and precisions, its arguments, and the widths it may
// take from arguments.
func formatBound(format string, args []*exec.Value, kwargs map[string]*exec.Value, limit int) int {
	n := sizeSum(len(format), sizeProduct(strings.Count(format, "%")+strings.Count(format, "{"), 32))
	for i := 0; i < len(format); {
		if format[i] < '0' || format[i] > '9' {
			i++
			continue
		}
		v := 0
		for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
			v = sizeSum(sizeProduct(v, 10), int(format[i]-'0'))
		}
		n = sizeSum(n, v)
	}
	widthsFromArgs := strings.Contains(format, "*") || strings.Contains(format, ":{") || strings.Contains(format, "{}}")
	all := args
	for _, v := range kwargs {
		all = append(all[:len(all):len(all)], v)
	}
	for _, a := range all {
		n = sizeSum(n, deepSize(a, limit))
		if widthsFromArgs && a.IsInteger() {
			n = sizeSum(n, absInt(a.Integer()))
		}
	}
	return n
}

// replaceBound is the size of s with old replaced by new.
func replaceBound(s, old, new string) int {
	if old == "" {
		return sizeSum(len(s), sizeProduct(utf8.RuneCountInString(s)+1, len(new)))
	}
	if len(new) <= len(old) {
		return len(s)
	}
	return sizeSum(len(s), sizeProduct(strings.Count(s, old), len(new)-len(old)))
}

func widthArg(v *exec.Value) int {
	switch {
	case v == nil:
		return 0
	case v.IsString():
		return len(v.String())
	case v.IsInteger():
		return absInt(v.Integer())
	case v.IsFloat():
		return absInt(int(math.Min(math.Abs(v.Float()), math.MaxInt32)))
	}
	return 0
}

func kwarg(params *exec.VarArgs, i int, name string) *exec.Value {
	if params != nil && i >= 0 && i < len(params.Args) {
		return params.Args[i]
	}
	if params != nil {
		if v, ok := params.KwArgs[name]; ok {
			return v
		}
	}
	return nil
}

// filterBounds are the sizes of what the filters that can write more than
// they are given would build, computed from their arguments first.
var filterBounds = map[string]func(in *exec.Value, params *exec.VarArgs, limit int) int{
	"center": func(in *exec.Value, params *exec.VarArgs, _ int) int {
		return sizeSum(len(in.String()), widthArg(kwarg(params, 0, "width")))
	},
	"indent": func(in *exec.Value, params *exec.VarArgs, _ int) int {
		s := in.String()
		return sizeSum(len(s), sizeProduct(strings.Count(s, "\n")+1, sizeSum(widthArg(kwarg(params, 0, "width")), 4)))
	},
	"format": func(in *exec.Value, params *exec.VarArgs, limit int) int {
		return formatBound(in.String(), params.Args, params.KwArgs, limit)
	},
	"replace": func(in *exec.Value, params *exec.VarArgs, _ int) int {
		return replaceBound(in.String(), arg(params, 0).String(), arg(params, 1).String())
	},
	"join": func(in *exec.Value, params *exec.VarArgs, limit int) int {
		sep := kwarg(params, 0, "d")
		return sizeSum(deepSize(in, limit), sizeProduct(itemCount(in)+1, widthArg(sep)+itemCost))
	},
	"batch": func(in *exec.Value, params *exec.VarArgs, _ int) int {
		return sizeProduct(itemCost, sizeSum(itemCount(in), widthArg(kwarg(params, 0, "linecount")), 1))
	},
	"slice": func(in *exec.Value, params *exec.VarArgs, _ int) int {
		return sizeProduct(itemCost, sizeSum(itemCount(in), widthArg(kwarg(params, 0, "slices")), 1))
	},
	"urlize": func(in *exec.Value, params *exec.VarArgs, _ int) int {
		s := in.String()
		extra := sizeSum(widthArg(kwarg(params, -1, "target")), widthArg(kwarg(params, -1, "rel")), 64)
		return sizeSum(sizeProduct(len(s), 3), sizeProduct(strings.Count(s, " ")+strings.Count(s, "\n")+1, extra))
	},
	"wordwrap": func(in *exec.Value, _ *exec.VarArgs, _ int) int {
		return sizeProduct(len(in.String()), 2)
	},
}

// referenceFilters return (part of) what they are given, or a number:
// they build nothing to count.
var referenceFilters = map[string]bool{
	"abs": true, "attr": true, "d": true, "default": true, "filesizeformat": true, "first": true,
	"float": true, "int": true, "last": true, "length": true, "count": true, "max": true, "min": true,
	"random": true, "round": true, "safe": true, "wordcount": true,
}

// boundFilters makes every filter of set keep to the render's budget: the
// deadline is checked, a filter that can amplify its input is refused when
// its result would not fit, and what a filter builds is counted.
func boundFilters(set *exec.FilterSet) {
	for _, name := range filterNames(set) {
		fn, _ := set.Get(name)
		_ = set.Replace(name, boundFilter(name, fn))
	}
}

func boundFilter(name string, fn exec.FilterFunction) exec.FilterFunction {
	bound := filterBounds[name]
	reference := referenceFilters[name]
	return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		return budgeted(e, in, func(b *renderBudget) *exec.Value {
			if bound != nil {
				if err := b.reserve(bound(in, params, b.room())); err != nil {
					return exec.AsValue(err)
				}
			} else if in.IsString() && !reference && !stringFilters[name] {
				// A filter that iterates a string makes an item per rune.
				if err := b.charge(sizeProduct(itemCost, itemCount(in))); err != nil {
					return exec.AsValue(err)
				}
			}
			out := fn(e, in, params)
			if out.IsError() || reference {
				return out
			}
			if err := b.charge(deepSize(out, b.room())); err != nil {
				return exec.AsValue(err)
			}
			return out
		})
	}
}

// stringFilters turn a string into a string of about its size.
var stringFilters = map[string]bool{
	"capitalize": true, "e": true, "escape": true, "forceescape": true, "lower": true, "upper": true,
	"title": true, "trim": true, "truncate": true, "striptags": true, "string": true, "urlencode": true,
	"tojson": true, "pprint": true, "reverse": true, jsonEscapeFilter: true,
}

// filterNames lists set's filters. gonja has no accessor; the names are
// read (never written) through reflection, so that a filter added by a
// later gonja is bounded too rather than missed.
func filterNames(set *exec.FilterSet) []string {
	m := reflect.ValueOf(set).Elem().FieldByName("filters")
	names := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		names = append(names, k.String())
	}
	return names
}
