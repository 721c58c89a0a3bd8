package jsonw

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// guard fills the bytes around a destination: a write outside it shows.
const guard = "\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee"

// checkAppendPlain runs appendPlainString (assembly on amd64) and
// appendPlainStringGo on s after a prefix, with room for s and its quotes
// and with one byte too few, and fails unless they agree, the result is
// exact, and nothing outside the destination's capacity changed.
func checkAppendPlain(t *testing.T, s string) {
	t.Helper()
	const prefix = `{"k":`
	for _, room := range []int{len(s) + 2, len(s) + 1} {
		buf := []byte(guard + prefix + strings.Repeat("\x00", room) + guard)
		dst := buf[len(guard) : len(guard)+len(prefix) : len(guard)+len(prefix)+room]
		got, ok := appendPlainString(dst, s)
		ref := make([]byte, len(dst), cap(dst))
		copy(ref, dst)
		want, wantOK := appendPlainStringGo(ref, s)
		if ok != wantOK || string(got) != string(want) {
			t.Fatalf("%q, room %d: appendPlainString %q %v, appendPlainStringGo %q %v", s, room, got, ok, want, wantOK)
		}
		if ok && string(got) != prefix+`"`+s+`"` {
			t.Fatalf("%q: appended %q", s, got)
		}
		if !ok && (len(got) != len(dst) || cap(got) != cap(dst) || unsafe.SliceData(got) != unsafe.SliceData(dst)) {
			t.Fatalf("%q, room %d: refused but did not return dst", s, room)
		}
		end := len(guard) + len(prefix) + room
		if string(buf[:len(guard)]) != guard || string(buf[len(guard):end][:len(prefix)]) != prefix || string(buf[end:]) != guard {
			t.Fatalf("%q, room %d: wrote outside its destination: %q", s, room, buf)
		}
	}
}

// Every byte value at every position of every length up to three 16-byte
// blocks: each of appendPlainString's size classes and block boundaries.
func TestAppendPlainStringMatchesGo(t *testing.T) {
	base := strings.Repeat("abcdefghijklmnop", 3)
	for n := range len(base) + 1 {
		checkAppendPlain(t, base[:n])
		for pos := range n {
			for c := range 256 {
				checkAppendPlain(t, base[:pos]+string([]byte{byte(c)})+base[pos+1:n])
			}
		}
	}
}

// Strings that alias a larger buffer at every offset, so that loads of
// every alignment run, next to bytes that need escaping: a read outside
// the string would see them.
func TestAppendPlainStringReadsOnlyItsString(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	hostile := bytes.Repeat([]byte("\"\x00\\\xff"), 64)
	buf := bytes.Clone(hostile)
	for range 20000 {
		start, n := rng.IntN(100), 1+rng.IntN(100)
		for i := range n {
			buf[start+i] = byte('a' + rng.IntN(26))
		}
		s := unsafe.String(&buf[start], n)
		if _, ok := appendPlainString(make([]byte, 0, n+2), s); !ok {
			t.Fatalf("%q at %d: appendPlainString says it needs escaping", s, start)
		}
		buf[start+rng.IntN(n)] = "\"\\\x01\x80"[rng.IntN(4)]
		if _, ok := appendPlainString(make([]byte, 0, n+2), s); ok {
			t.Fatalf("%q: appendPlainString says it is plain", s)
		}
		copy(buf, hostile)
	}
}

func FuzzAppendPlainString(f *testing.F) {
	for _, s := range []string{"", "a", "abc", "abcd", "abcdefgh", "abcdefghijklmnop", "ab\"cd", "x\\y", "\x7f", "é"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendPlain)
}
