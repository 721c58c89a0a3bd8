package jsonw

import (
	"math"
	"strconv"
	"time"
)

// AppendFloat appends f as a JSON number in the form encoding/json uses.
// NaN and the infinities have no JSON form; they become null so that the
// payload stays valid and the rest of the event is still delivered.
func AppendFloat(dst []byte, f float64) []byte {
	if out, ok := appendShortDecimal(dst, f); ok {
		return out
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// decimalScales are the powers of ten by which appendShortDecimal tries to
// make a value whole.
var decimalScales = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// appendShortDecimal writes the values events mostly carry (scores,
// ratios, counts: below 1e9 with at most six fraction digits) without
// strconv's shortest-digits search, which costs several times more; it
// reports false for any other value. The output is strconv's: for the
// fewest fraction digits k at which f*10^k rounds to a whole d with
// d/10^k == f exactly, d·10^-k is a decimal that parses back to f, and no
// other decimal of k digits does, because below 1e9 one step of f
// (at most 1.2e-7) is smaller than 10^-6.
func appendShortDecimal(dst []byte, f float64) ([]byte, bool) {
	// Written so that NaN fails too; zero is left to strconv for "-0".
	if !(f > -1e9 && f < 1e9) || f == 0 {
		return dst, false
	}
	abs := math.Abs(f)
	for k, scale := range decimalScales {
		d := math.Round(abs * scale)
		if d/scale != abs {
			continue
		}
		if f < 0 {
			dst = append(dst, '-')
		}
		n, unit := uint64(d), uint64(scale)
		dst = strconv.AppendUint(dst, n/unit, 10)
		if k == 0 {
			return dst, true
		}
		var frac [len(decimalScales)]byte
		frac[0] = '.'
		for i, rest := k, n%unit; i > 0; i-- {
			frac[i] = byte('0' + rest%10)
			rest /= 10
		}
		return append(dst, frac[:k+1]...), true
	}
	return dst, false
}

// AppendTime appends t as an RFC 3339 UTC JSON string ending in Z, with
// the fraction of time.RFC3339Nano (trailing zeros dropped). Written by
// hand because it runs once per event and AppendFormat costs several times
// more; years outside 0-9999 take AppendFormat's path.
func AppendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	}
	hour, minute, sec := t.Clock()
	dst = append(dst, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	dst = AppendFraction(dst, int64(t.Nanosecond()))
	return append(dst, 'Z', '"')
}

// AppendFraction appends ns nanoseconds (below 1e9) as a decimal fraction
// of a second, ".001375", trailing zeros dropped; nothing for 0. It writes
// three digits at a time: it runs once or twice per event.
func AppendFraction(dst []byte, ns int64) []byte {
	if ns == 0 {
		return dst
	}
	var frac [10]byte
	frac[0] = '.'
	copy(frac[1:4], ThreeDigits[ns/1e6][:])
	copy(frac[4:7], ThreeDigits[ns/1e3%1e3][:])
	copy(frac[7:10], ThreeDigits[ns%1e3][:])
	n := 10
	for frac[n-1] == '0' {
		n--
	}
	return append(dst, frac[:n]...)
}

// ThreeDigits holds 000 to 999.
var ThreeDigits = func() (t [1000][3]byte) {
	for i := range t {
		t[i] = [3]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)}
	}
	return t
}()
