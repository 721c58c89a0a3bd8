package template

import (
	"fmt"
	"io"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// A render through the engine has a budget: a deadline, a cap on the
// output, and a cap on what it builds on the way (strings, lists, loop
// items). The engine has no such notion, so the budget lives in the render's
// context under a name no template can write, and the places where a
// template can make work or memory grow consult it: every output write,
// every statement block and loop iteration, every filter, method, operator
// and call that builds a value, and range(). An over-budget render stops at
// the next of these and its event is rejected. Nothing is abandoned in a
// goroutine: the render returns, and Shutdown never waits past the budget.

// budgetKey is the context name of the render's budget. Template names are
// identifiers, so no template can read, shadow or replace it.
const budgetKey = "(budget)"

// Per-item costs charged for values whose size is counted by items rather
// than bytes: a list element or a map entry holds an interface and a
// wrapped value, a loop item also the pair and the scope gonja makes for it.
const (
	itemCost     = 64
	loopItemCost = 256
	// callCost is charged for every call, so that a loop of calls that
	// each keep a little (list.append) cannot grow without bound.
	callCost = itemCost
)

// WorkPerOutput is how much more than its output a render may build on
// the way (strings, lists, loop items).
const WorkPerOutput = 8

// Limits are a template's budget settings.
type Limits struct {
	// Timeout is how long one render may take.
	Timeout time.Duration
	// MaxOutput is the most bytes one render may write, and the largest
	// value it may build.
	MaxOutput int
	// MaxWork caps the bytes a render builds, output included.
	MaxWork int
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// budgetError says which limit a render went over.
type budgetError struct {
	limit string
}

func (e *budgetError) Error() string { return e.limit }

// renderBudget is one render's account. A render runs on one goroutine, so
// it needs no lock.
type renderBudget struct {
	limits   *Limits
	deadline time.Time
	output   int
	work     int
	ticks    int
	// err is the first limit gone over; every later check returns it, so
	// that a render whose engine swallows one error still stops at the next.
	err *budgetError
}

func newRenderBudget(l *Limits) *renderBudget {
	return &renderBudget{limits: l, deadline: l.Now().Add(l.Timeout)}
}

func (b *renderBudget) fail(limit string) error {
	if b.err == nil {
		b.err = &budgetError{limit: limit}
	}
	return b.err
}

// clockEvery is how many checks share one reading of the clock: reading it
// costs more than most of the steps between two checks.
const clockEvery = 16

// tick checks the deadline.
func (b *renderBudget) tick() error {
	if b.err != nil {
		return b.err
	}
	b.ticks++
	if b.ticks%clockEvery == 0 && b.limits.Now().After(b.deadline) {
		return b.fail(fmt.Sprintf("the render took longer than custom::render_timeout (%s)", b.limits.Timeout))
	}
	return nil
}

// reserve accounts for a value of n bytes about to be built, or refuses it.
func (b *renderBudget) reserve(n int) error {
	if b.err != nil {
		return b.err
	}
	if n > b.limits.MaxOutput {
		return b.fail(fmt.Sprintf("the template built a value larger than custom::max_output_size (%d bytes)", b.limits.MaxOutput))
	}
	return b.charge(n)
}

// charge accounts for n bytes built.
func (b *renderBudget) charge(n int) error {
	if b.err != nil {
		return b.err
	}
	b.work += n
	if n < 0 || b.work > b.limits.MaxWork || b.work < 0 {
		return b.fail(fmt.Sprintf("the render built more than %d bytes of values on the way (%d × custom::max_output_size)", b.limits.MaxWork, WorkPerOutput))
	}
	return b.tick()
}

// room is what the render may still build.
func (b *renderBudget) room() int { return max(b.limits.MaxWork-b.work, 0) }

// write accounts for n bytes of output.
func (b *renderBudget) write(n int) error {
	if b.err != nil {
		return b.err
	}
	b.output += n
	if b.output > b.limits.MaxOutput {
		return b.fail(fmt.Sprintf("the output is larger than custom::max_output_size (%d bytes)", b.limits.MaxOutput))
	}
	return b.charge(n)
}

// budgetOf finds the render's budget in ctx; nil outside a bounded render.
func budgetOf(ctx *exec.Context) *renderBudget {
	if ctx == nil {
		return nil
	}
	v, _ := ctx.Get(budgetKey)
	b, _ := v.(*renderBudget)
	return b
}

// budgetWriter counts what the engine writes. The render's own writer
// appends to the batch buffer and counts output; a nested one (a block set
// captures its body in a buffer) counts the bytes as values built.
type budgetWriter struct {
	b      *renderBudget
	buf    []byte
	nested io.Writer
}

func (w *budgetWriter) Write(p []byte) (int, error) {
	if w.nested != nil {
		if err := w.b.charge(len(p)); err != nil {
			return 0, err
		}
		return w.nested.Write(p)
	}
	if err := w.b.write(len(p)); err != nil {
		return 0, err
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *budgetWriter) WriteString(s string) (int, error) {
	if w.nested != nil {
		if err := w.b.charge(len(s)); err != nil {
			return 0, err
		}
		return io.WriteString(w.nested, s)
	}
	if err := w.b.write(len(s)); err != nil {
		return 0, err
	}
	w.buf = append(w.buf, s...)
	return len(s), nil
}

var (
	typeOfValue        = reflect.TypeFor[exec.Value]()
	typeOfReflectValue = reflect.TypeFor[reflect.Value]()
)

// underlying is the value v holds, through interfaces and pointers; false
// for nothing or nil.
func underlying(v *exec.Value) (reflect.Value, bool) {
	if v == nil || !v.Val.IsValid() {
		return reflect.Value{}, false
	}
	rv := v.Val
	for rv.Kind() == reflect.Interface || rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return reflect.Value{}, false
		}
		rv = rv.Elem()
	}
	return rv, true
}

// shallowSize is what a value costs without what it shares: a string's
// bytes, a container's items.
func shallowSize(v *exec.Value) int {
	rv, ok := underlying(v)
	if !ok {
		return 0
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.Len()
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Chan:
		return itemCost * (rv.Len() + 1)
	}
	return 0
}

// deepSize is what a value holds, counted up to limit: past it the count
// stops, so that measuring costs no more than the budget it checks. Values
// shared in several places are counted in each.
func deepSize(v *exec.Value, limit int) int {
	if v == nil {
		return 0
	}
	n := 0
	addDeepSize(v.Val, &n, limit)
	return n
}

func addDeepSize(rv reflect.Value, n *int, limit int) {
	if *n > limit || !rv.IsValid() {
		return
	}
	switch rv.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !rv.IsNil() {
			addDeepSize(rv.Elem(), n, limit)
		}
	case reflect.String:
		*n += rv.Len()
	case reflect.Slice, reflect.Array:
		*n += itemCost
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			*n += rv.Len()
			return
		}
		for i := 0; i < rv.Len() && *n <= limit; i++ {
			*n += itemCost
			addDeepSize(rv.Index(i), n, limit)
		}
	case reflect.Map:
		*n += itemCost
		it := rv.MapRange()
		for *n <= limit && it.Next() {
			*n += itemCost
			addDeepSize(it.Key(), n, limit)
			addDeepSize(it.Value(), n, limit)
		}
	case reflect.Struct:
		switch rv.Type() {
		case typeOfValue:
			addDeepSize(rv.Field(0), n, limit)
		case typeOfReflectValue:
			// An exec.Value's Val: read it through an exported path.
			if rv.CanInterface() {
				addDeepSize(rv.Interface().(reflect.Value), n, limit)
			} else {
				*n += itemCost
			}
		default:
			*n += itemCost
		}
	default:
		*n += 8
	}
}

// itemCount is how many items iterating v yields: runes of a string,
// entries of a container.
func itemCount(v *exec.Value) int {
	rv, ok := underlying(v)
	if !ok {
		return 0
	}
	switch rv.Kind() {
	case reflect.String:
		return utf8.RuneCountInString(rv.String())
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Chan:
		return rv.Len()
	}
	return 0
}
