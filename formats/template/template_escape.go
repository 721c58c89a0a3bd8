package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
)

// filterJSONEscape writes any value as the content of a JSON string: the
// quotes around it are the template's. Safe marks from other filters are
// ignored on purpose: gonja's escape filter is HTML escaping, which leaves
// backslashes that would end the JSON string.
func filterJSONEscape(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	return exec.AsSafeValue(string(appendJSONText(nil, in.String())))
}

// filterToJSON is Jinja's tojson: the value as JSON, keys sorted, < > & '
// escaped as Jinja escapes them, with an optional indent.
func filterToJSON(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	indent := -1
	if len(params.Args) > 0 {
		return exec.AsValue(errors.New("tojson takes no positional arguments; write tojson or tojson(indent=2)"))
	}
	for k, v := range params.KwArgs {
		if k != "indent" {
			return exec.AsValue(fmt.Errorf("tojson has no argument %q; it takes indent", k))
		}
		if !v.IsNil() {
			if !v.IsInteger() {
				return exec.AsValue(errors.New("tojson: indent must be a number"))
			}
			indent = min(max(v.Integer(), 0), 16)
		}
	}
	out, err := appendJSONAny(nil, in.Interface(), 0)
	if err != nil {
		return exec.AsValue(err)
	}
	if indent >= 0 {
		var buf bytes.Buffer
		if err := json.Indent(&buf, out, "", strings.Repeat(" ", indent)); err != nil {
			return exec.AsValue(err)
		}
		out = buf.Bytes()
	}
	return exec.AsSafeValue(string(out))
}

// maxJSONDepth stops tojson on a value that contains itself (a template can
// build one with do and append) before the stack does.
const maxJSONDepth = 10_000

var errTooDeep = errors.New("tojson: the value is nested too deeply (or contains itself)")

// appendJSONAny appends v as JSON. It handles the values a template sees:
// those of the event context, gonja's literals and filter results.
func appendJSONAny(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return dst, errTooDeep
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case float64:
		return jsonw.AppendFloat(dst, x), nil
	case *exec.Value:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendJSONAny(dst, x.Interface(), depth+1)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONAny(dst, x[k], depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		return appendJSONList(dst, x, depth)
	case exec.ValuesList:
		return appendJSONList(dst, x, depth)
	case *exec.Dict:
		if x == nil {
			return append(dst, "null"...), nil
		}
		// Sorted by key, as Jinja's tojson sorts them.
		m := make(map[string]any, len(x.Pairs))
		for _, p := range x.Pairs {
			m[p.Key.String()] = p.Value
		}
		return appendJSONAny(dst, m, depth+1)
	case *exec.Pair:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendJSONAny(dst, []any{x.Key, x.Value}, depth+1)
	case fmt.Stringer:
		return appendJSONString(dst, x.String()), nil
	}
	return appendJSONReflect(dst, reflect.ValueOf(v), depth)
}

// appendJSONReflect covers the typed maps, slices and numbers that gonja's
// filters return.
func appendJSONReflect(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return appendJSONAny(dst, valueInterface(rv.Elem()), depth+1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return jsonw.AppendFloat(dst, rv.Float()), nil
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.String:
		return appendJSONString(dst, rv.String()), nil
	case reflect.Slice, reflect.Array:
		dst = append(dst, '[')
		for i := range rv.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONAny(dst, valueInterface(rv.Index(i)), depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case reflect.Map:
		type member struct {
			key string
			val reflect.Value
		}
		members := make([]member, 0, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			members = append(members, member{fmt.Sprint(valueInterface(it.Key())), it.Value()})
		}
		slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
		dst = append(dst, '{')
		for i, m := range members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, m.key)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONAny(dst, valueInterface(m.val), depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case reflect.Invalid:
		return append(dst, "null"...), nil
	}
	// Functions, channels and structs have no JSON form in a template.
	return appendJSONString(dst, fmt.Sprint(valueInterface(rv))), nil
}

func valueInterface(rv reflect.Value) any {
	if !rv.IsValid() || !rv.CanInterface() {
		return nil
	}
	return rv.Interface()
}

// appendJSONString appends s as a JSON string, escaped as appendJSONText does.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONText(dst, s)
	return append(dst, '"')
}

// appendJSONText appends s escaped for the inside of a JSON string, with
// < > & ' escaped too so that a payload shown in HTML cannot close a
// script element either.
func appendJSONText(dst []byte, s string) []byte {
	return jsonw.AppendEscaped(dst, s, true)
}

// appendJSONList writes a list of any element type as a JSON array.
func appendJSONList[E any](dst []byte, items []E, depth int) ([]byte, error) {
	dst = append(dst, '[')
	for i, e := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendJSONAny(dst, e, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}
