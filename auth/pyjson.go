package auth

import (
	"bytes"
	"fmt"
	"slices"
)

// pythonJSON returns what Python 3 prints for
// json.dumps(json.loads(body), sort_keys=True): the text the guide's
// server-side verify_signature signs. The payload is re-serialised, not
// signed as sent, so every byte must match CPython's json module:
//
//   - separators ", " and ": ", keys sorted by code point, duplicate keys
//     resolved to the last value (a dict);
//   - ensure_ascii: everything outside 0x20-0x7e escaped as lower-case
//     \uXXXX, characters beyond the BMP as surrogate pairs;
//   - a number literal with a fraction or exponent is a float, printed
//     with repr (1.0, 1e-07, 1e+16); any other is an int, kept exact;
//   - NaN, Infinity and -Infinity are accepted and written back.
//
// A hand-written parser rather than encoding/json because Go decodes
// lone surrogates (legal in Python strings) to U+FFFD and loses the
// int/float distinction of literals such as 1.0.
func pythonJSON(body []byte) ([]byte, error) {
	// json.loads(bytes) reads UTF-8 with or without a byte order mark.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	p := &pyParser{b: body}
	var out bytes.Buffer
	p.space()
	if err := p.value(&out); err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, p.fail("extra data after the JSON document (the sorted_json scheme signs one JSON document; use scheme raw for NDJSON or concatenated objects)")
	}
	return out.Bytes(), nil
}

type pyParser struct {
	b []byte
	i int
}

func (p *pyParser) fail(msg string) error {
	return fmt.Errorf("body is not what Python's json.loads accepts: %s at byte %d", msg, p.i)
}

func (p *pyParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// literal consumes word if the input continues with it.
func (p *pyParser) literal(word string) bool {
	if bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *pyParser) value(w *bytes.Buffer) error {
	if p.i >= len(p.b) {
		return p.fail("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(w)
	case c == '[':
		return p.array(w)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		writePyString(w, s)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		if p.literal("-Infinity") {
			w.WriteString("-Infinity")
			return nil
		}
		return p.number(w)
	}
	for _, word := range []string{"true", "false", "null", "NaN", "Infinity"} {
		if p.literal(word) {
			w.WriteString(word)
			return nil
		}
	}
	return p.fail("expecting a value")
}

type pyMember struct {
	key   []rune
	value []byte
}

func (p *pyParser) object(w *bytes.Buffer) error {
	p.i++ // {
	var members []pyMember
	p.space()
	if p.literal("}") {
		w.WriteString("{}")
		return nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return p.fail("expecting a property name in double quotes")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if !p.literal(":") {
			return p.fail("expecting ':' delimiter")
		}
		p.space()
		var v bytes.Buffer
		if err := p.value(&v); err != nil {
			return err
		}
		members = setMember(members, key, v.Bytes())
		p.space()
		if p.literal("}") {
			break
		}
		if !p.literal(",") {
			return p.fail("expecting ',' delimiter")
		}
	}
	slices.SortFunc(members, func(a, b pyMember) int { return slices.Compare(a.key, b.key) })
	w.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			w.WriteString(", ")
		}
		writePyString(w, m.key)
		w.WriteString(": ")
		w.Write(m.value)
	}
	w.WriteByte('}')
	return nil
}

// setMember keeps the last value of a repeated key, as a dict does.
func setMember(members []pyMember, key []rune, value []byte) []pyMember {
	for i := range members {
		if slices.Equal(members[i].key, key) {
			members[i].value = value
			return members
		}
	}
	return append(members, pyMember{key: key, value: value})
}

func (p *pyParser) array(w *bytes.Buffer) error {
	p.i++ // [
	p.space()
	if p.literal("]") {
		w.WriteString("[]")
		return nil
	}
	w.WriteByte('[')
	for first := true; ; first = false {
		if !first {
			w.WriteString(", ")
		}
		p.space()
		if err := p.value(w); err != nil {
			return err
		}
		p.space()
		if p.literal("]") {
			break
		}
		if !p.literal(",") {
			return p.fail("expecting ',' delimiter")
		}
	}
	w.WriteByte(']')
	return nil
}
