package formats

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// guard fills the bytes around a destination: a write outside it shows.
const guard = "\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee"

// checkCopyPlain runs copyPlain (assembly on amd64) and copyPlainGo on s
// and fails unless they agree, the copy is exact, and nothing around the
// destination changed.
func checkCopyPlain(t *testing.T, s string) {
	t.Helper()
	buf := []byte(guard + strings.Repeat("\x00", len(s)) + guard)
	dst := buf[len(guard) : len(guard)+len(s)]
	got, want := copyPlain(dst, s), copyPlainGo(make([]byte, len(s)), s)
	if got != want {
		t.Fatalf("%q: copyPlain %v, copyPlainGo %v", s, got, want)
	}
	if got && string(dst) != s {
		t.Fatalf("%q: copied %q", s, dst)
	}
	if string(buf[:len(guard)]) != guard || string(buf[len(guard)+len(s):]) != guard {
		t.Fatalf("%q: copyPlain wrote outside its destination: %q", s, buf)
	}
}

// Every byte value at every position of every length up to three 16-byte
// blocks: each of copyPlain's size classes and block boundaries.
func TestCopyPlainMatchesGo(t *testing.T) {
	base := strings.Repeat("abcdefghijklmnop", 3)
	for n := range len(base) + 1 {
		checkCopyPlain(t, base[:n])
		for pos := range n {
			for c := range 256 {
				checkCopyPlain(t, base[:pos]+string([]byte{byte(c)})+base[pos+1:n])
			}
		}
	}
}

// Strings that alias a larger buffer at every offset, so that loads of
// every alignment run, next to bytes that need escaping: a read outside
// the string would see them.
func TestCopyPlainReadsOnlyItsString(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	hostile := bytes.Repeat([]byte("\"\x00\\\xff"), 64)
	buf := bytes.Clone(hostile)
	for range 20000 {
		start, n := rng.IntN(100), 1+rng.IntN(100)
		for i := range n {
			buf[start+i] = byte('a' + rng.IntN(26))
		}
		s := unsafe.String(&buf[start], n)
		if !copyPlain(make([]byte, n), s) {
			t.Fatalf("%q at %d: copyPlain says it needs escaping", s, start)
		}
		buf[start+rng.IntN(n)] = "\"\\\x01\x80"[rng.IntN(4)]
		if copyPlain(make([]byte, n), s) {
			t.Fatalf("%q: copyPlain says it is plain", s)
		}
		copy(buf, hostile)
	}
}

func FuzzCopyPlain(f *testing.F) {
	for _, s := range []string{"", "a", "abc", "abcd", "abcdefgh", "abcdefghijklmnop", "ab\"cd", "x\\y", "\x7f", "é"} {
		f.Add(s)
	}
	f.Fuzz(checkCopyPlain)
}
