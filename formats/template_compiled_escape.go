package formats

import "unicode/utf8"

// appendTemplateText appends s escaped as appendJSONText escapes it, with
// the same bytes, but skips plain text eight bytes at a time:
// appendEscaped's html mode goes byte by byte, and template values are
// mostly plain. What needs escaping is handed to appendEscaped one
// character at a time; it escapes each character on its own, so the
// pieces add up to its output for the whole string.
func appendTemplateText(dst []byte, s string) []byte {
	i := 0
	for {
		start := i
		for i+8 <= len(s) && !needsTemplateEscape8(load64(s[i:i+8])) {
			i += 8
		}
		for i < len(s) && plainTemplateBytes[s[i]] {
			i++
		}
		dst = append(dst, s[start:i]...)
		if i >= len(s) {
			return dst
		}
		size := 1
		if s[i] >= utf8.RuneSelf {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		dst = appendEscaped(dst, s[i:i+size], true)
		i += size
	}
}

// appendTemplateString appends s as a JSON string, as appendJSONString does.
func appendTemplateString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendTemplateText(dst, s)
	return append(dst, '"')
}

// plainTemplateBytes are the bytes appendEscaped copies as they are in html
// mode, as a table: the tail of most strings is tested byte by byte.
var plainTemplateBytes = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && !isHTMLSpecial(byte(c))
	}
	return t
}()

// needsTemplateEscape8 is needsEscape8 that also finds < > & and '.
func needsTemplateEscape8(x uint64) bool {
	if needsEscape8(x) {
		return true
	}
	return (hasZeroByte(x^'<'*lanes01)|hasZeroByte(x^'>'*lanes01)|
		hasZeroByte(x^'&'*lanes01)|hasZeroByte(x^'\''*lanes01))&lanes80 != 0
}

// hasZeroByte has a lane's top bit set, under lanes80, exactly when some
// byte of x is zero.
func hasZeroByte(x uint64) uint64 { return (x - lanes01) &^ x }
