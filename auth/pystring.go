package auth

import (
	"bytes"
	"unicode/utf8"
)

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
