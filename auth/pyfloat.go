package auth

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// number reads a JSON number and writes it as Python would after
// json.loads: a literal with a fraction or exponent is a float, any other
// is an int of unlimited size.
func (p *pyParser) number(w *bytes.Buffer) error {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	intStart := p.i
	if n := digits(); n == 0 {
		return p.fail("expecting a value")
	} else if n > 1 && p.b[intStart] == '0' {
		// Python matches "0" and then stops at the next digit.
		p.i = intStart + 1
		return nil
	}
	isFloat := false
	if p.i+1 < len(p.b) && p.b[p.i] == '.' && p.b[p.i+1] >= '0' && p.b[p.i+1] <= '9' {
		p.i++
		digits()
		isFloat = true
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		save := p.i
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.i = save // not an exponent; the caller fails on what follows
		} else {
			isFloat = true
		}
	}
	lit := string(p.b[start:p.i])
	if !isFloat {
		if lit == "-0" {
			lit = "0"
		}
		w.WriteString(lit)
		return nil
	}
	// Out of range parses to ±Inf (as float() does); the error is only that.
	f, _ := strconv.ParseFloat(lit, 64)
	w.WriteString(pyFloatRepr(f))
	return nil
}

// pyFloatRepr is Python's repr(float), as json.dumps writes floats: the
// shortest digits that round-trip (as Go's 'e', -1), positional when the
// decimal exponent is in [-4, 16), else scientific with a signed
// exponent of at least two digits; always a "." or an "e".
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	decpt := exp + 1 // the point sits after this many digits

	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			return sign + "0." + strings.Repeat("0", -decpt) + digits
		case decpt >= len(digits):
			return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		default:
			return sign + digits[:decpt] + "." + digits[decpt:]
		}
	}
	out := sign + digits[:1]
	if len(digits) > 1 {
		out += "." + digits[1:]
	}
	expSign := "+"
	if exp < 0 {
		expSign, exp = "-", -exp
	}
	es := strconv.Itoa(exp)
	if len(es) < 2 {
		es = "0" + es
	}
	return out + "e" + expSign + es
}
