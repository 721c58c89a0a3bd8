package template

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// Methods ("x".ljust(10)) get no evaluator, so they cannot reach the
// render's budget. What they return is counted by the (call) filter around
// every call; the string methods that can return far more than they are
// given are refused first when their result would be larger than
// max_output_size.

// strMethodBounds are the sizes those string methods would build.
var strMethodBounds = map[string]func(self string, args *exec.VarArgs, limit int) int{
	"center": padBound,
	"ljust":  padBound,
	"rjust":  padBound,
	"zfill": func(self string, args *exec.VarArgs, _ int) int {
		return sizeSum(len(self), widthArg(kwarg(args, 0, "width")))
	},
	"expandtabs": func(self string, args *exec.VarArgs, _ int) int {
		size := 8
		if v := kwarg(args, 0, "tabsize"); v != nil {
			size = widthArg(v)
		}
		return sizeSum(len(self), sizeProduct(strings.Count(self, "\t"), size))
	},
	"format": func(self string, args *exec.VarArgs, limit int) int {
		return formatBound(self, args.Args, args.KwArgs, limit)
	},
	"format_map": func(self string, args *exec.VarArgs, limit int) int {
		return formatBound(self, args.Args, args.KwArgs, limit)
	},
	"join": func(self string, args *exec.VarArgs, limit int) int {
		items := arg(args, 0)
		return sizeSum(deepSize(items, limit), sizeProduct(itemCount(items)+1, len(self)))
	},
	"replace": func(self string, args *exec.VarArgs, _ int) int {
		return replaceBound(self, arg(args, 0).String(), arg(args, 1).String())
	},
}

// padBound is the size of self padded to a width with a fill character of
// up to four bytes.
func padBound(self string, args *exec.VarArgs, _ int) int {
	return sizeSum(len(self), sizeProduct(widthArg(kwarg(args, 0, "width")), 4))
}

// boundedMethods is gonja's methods with the string methods above refused
// past maxValue bytes.
func boundedMethods(maxValue int) exec.Methods {
	m := builtins.Methods
	str := make(map[string]exec.Method[string])
	for _, name := range methodNames(m.Str) {
		fn, _ := m.Str.Get(name)
		if bound := strMethodBounds[name]; bound != nil {
			fn = boundStrMethod(name, fn, bound, maxValue)
		}
		str[name] = fn
	}
	m.Str = exec.NewMethodSet(str)
	return m
}

func boundStrMethod(name string, fn exec.Method[string], bound func(string, *exec.VarArgs, int) int, maxValue int) exec.Method[string] {
	return func(self string, selfValue *exec.Value, args *exec.VarArgs) (any, error) {
		if n := bound(self, args, maxValue); n > maxValue {
			return nil, &budgetError{limit: fmt.Sprintf("%s() would build a value larger than custom::max_output_size (%d bytes)", name, maxValue)}
		}
		return fn(self, selfValue, args)
	}
}

// methodNames lists set's methods, read through reflection as filterNames
// does.
func methodNames[I any](set *exec.MethodSet[I]) []string {
	m := reflect.ValueOf(set).Elem().FieldByName("methods")
	names := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		names = append(names, k.String())
	}
	return names
}
