package auth

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"
)

// pythonJSON returns what Python 3 prints for
// json.dumps(json.loads(body), sort_keys=True): the text the seed's
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
		return nil, p.fail("extra data after the JSON document (the seed scheme signs one JSON document; use scheme raw for NDJSON or concatenated objects)")
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

// str reads a string literal into code points. Like Python, an escaped
// surrogate pair becomes one character and a lone surrogate stays itself.
func (p *pyParser) str() ([]rune, error) {
	p.i++ // "
	var out []rune
	for {
		if p.i >= len(p.b) {
			return nil, p.fail("unterminated string")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return out, nil
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		case c < 0x20:
			return nil, p.fail("invalid control character in string")
		case c < utf8.RuneSelf:
			out = append(out, rune(c))
			p.i++
		default:
			r, n := decodeSurrogatePass(p.b[p.i:])
			if n == 0 {
				return nil, p.fail("invalid UTF-8")
			}
			out = append(out, r)
			p.i += n
		}
	}
}

func (p *pyParser) escape() (rune, error) {
	if p.i+1 >= len(p.b) {
		return 0, p.fail("unterminated string")
	}
	c := p.b[p.i+1]
	p.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		u, err := p.hex4()
		if err != nil {
			return 0, err
		}
		if u >= 0xd800 && u <= 0xdbff && bytes.HasPrefix(p.b[p.i:], []byte(`\u`)) {
			save := p.i
			p.i += 2
			lo, err := p.hex4()
			if err != nil {
				return 0, err
			}
			if lo >= 0xdc00 && lo <= 0xdfff {
				return 0x10000 + (u-0xd800)<<10 + (lo - 0xdc00), nil
			}
			p.i = save
		}
		return u, nil
	}
	p.i -= 2
	return 0, p.fail("invalid \\escape")
}

func (p *pyParser) hex4() (rune, error) {
	if p.i+4 > len(p.b) {
		return 0, p.fail("invalid \\uXXXX escape")
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, p.fail("invalid \\uXXXX escape")
		}
	}
	p.i += 4
	return r, nil
}

// decodeSurrogatePass decodes one UTF-8 sequence, accepting encoded
// surrogates as json.loads(bytes) does ('surrogatepass'). n is 0 when
// the bytes are not UTF-8.
func decodeSurrogatePass(b []byte) (rune, int) {
	if len(b) >= 3 && b[0] == 0xed && b[1] >= 0xa0 && b[1] <= 0xbf && b[2]&0xc0 == 0x80 {
		return rune(b[0]&0x0f)<<12 | rune(b[1]&0x3f)<<6 | rune(b[2]&0x3f), 3
	}
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return 0, 0
	}
	return r, n
}

// writePyString writes s as json.dumps does with ensure_ascii=True.
func writePyString(w *bytes.Buffer, s []rune) {
	const hex = "0123456789abcdef"
	u := func(r rune) {
		w.WriteString(`\u`)
		w.WriteByte(hex[r>>12&0xf])
		w.WriteByte(hex[r>>8&0xf])
		w.WriteByte(hex[r>>4&0xf])
		w.WriteByte(hex[r&0xf])
	}
	w.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			w.WriteString(`\"`)
		case r == '\\':
			w.WriteString(`\\`)
		case r == '\n':
			w.WriteString(`\n`)
		case r == '\r':
			w.WriteString(`\r`)
		case r == '\t':
			w.WriteString(`\t`)
		case r == '\b':
			w.WriteString(`\b`)
		case r == '\f':
			w.WriteString(`\f`)
		case r >= 0x20 && r <= 0x7e:
			w.WriteByte(byte(r))
		case r > 0xffff:
			r -= 0x10000
			u(0xd800 + r>>10)
			u(0xdc00 + r&0x3ff)
		default:
			u(r)
		}
	}
	w.WriteByte('"')
}
