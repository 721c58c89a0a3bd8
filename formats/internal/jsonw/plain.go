package jsonw

// appendPlainStringGo is appendPlainString in Go, used on other
// architectures and with the purego build tag. appendPlainString appends
// s as a JSON string when s goes in as it is and dst has room for it and
// its quotes, and reports whether it did; else it returns dst unchanged.
// Most keys and values of security events go in as they are, and checking
// a whole string and then copying it is cheaper than escaping it piece
// by piece. AppendString runs many times per event, so its check and copy
// weigh on the push path. On amd64, appendPlainString is SSE2 assembly
// (plain_amd64.s) that checks and copies sixteen bytes at a time, reading
// nothing outside s and writing nothing outside dst's capacity; what it
// buys is measured in bench/README.md.
func appendPlainStringGo(dst []byte, s string) ([]byte, bool) {
	if cap(dst)-len(dst) < len(s)+2 || !IsPlain(s) {
		return dst, false
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"'), true
}

// IsPlain says whether s goes into a JSON string as it is: printable ASCII
// with no quote or backslash. It checks eight bytes at a time.
func IsPlain(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if needsEscape8(load64(s[i : i+8])) {
			return false
		}
	}
	if i == len(s) {
		return true
	}
	if len(s) >= 8 {
		// The last eight bytes, overlapping some already checked.
		return !needsEscape8(load64(s[len(s)-8:]))
	}
	for ; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// plainByte is IsPlain for one byte: printable ASCII other than the quote
// and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
