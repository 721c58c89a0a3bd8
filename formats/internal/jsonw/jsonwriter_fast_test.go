package jsonw

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// appendStringByteWise is AppendString without the eight-byte fast path:
// the reference the fast path must match byte for byte.
func appendStringByteWise(dst []byte, s string) []byte {
	return appendQuotedByteWise(dst, s, false)
}

// appendQuotedByteWise is the reference for AppendEscaped between quotes;
// with html, < > & and ' become \u escapes as in Jinja's tojson.
func appendQuotedByteWise(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case html && isHTMLSpecial(c):
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// Every byte value at every position of a word, and word boundaries on
// both sides, must be escaped exactly as the byte-wise writer does.
func TestAppendStringFastPathMatchesByteWise(t *testing.T) {
	base := strings.Repeat("abcdefgh", 3)
	for c := range 256 {
		// Every length up to three words: short strings, whole words and
		// a tail that overlaps the last word.
		for n := range 25 {
			for pos := range n + 1 {
				s := base[:pos] + string([]byte{byte(c)}) + base[pos:n]
				got := AppendString(nil, s)
				require.Equal(t, string(appendStringByteWise(nil, s)), string(got), "byte %#x at %d of %d", c, pos, n+1)
				require.True(t, json.Valid(got), "byte %#x at %d of %d", c, pos, n+1)
			}
		}
	}
}

// The html mode (templates' escaping) skips plain words too: every byte at
// every position of a word, as for AppendString.
func TestAppendEscapedHTMLMatchesByteWise(t *testing.T) {
	base := strings.Repeat("abcdefgh", 3)
	for c := range 256 {
		for pos := range 17 {
			s := base[:pos] + string([]byte{byte(c)}) + base[pos:]
			got := append(AppendEscaped([]byte{'"'}, s, true), '"')
			require.Equal(t, string(appendQuotedByteWise(nil, s, true)), string(got), "byte %#x at %d", c, pos)
			require.True(t, json.Valid(got), "byte %#x at %d", c, pos)
		}
	}
}

func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "plain ascii text longer than eight", "12345678<", "1234567'", "é\xff\xc3", "\u2028\u2029x", "a&b\"c\\d\ne"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			got := append(AppendEscaped([]byte{'"'}, s, html), '"')
			if want := appendQuotedByteWise(nil, s, html); string(got) != string(want) {
				t.Fatalf("%q (html %v): got %q, want %q", s, html, got, want)
			}
		}
	})
}

func TestAppendStringFastPathRandomText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "🔒", "\u2028", "\xff", "\xc3", "<", "~"}
	for range 20000 {
		var sb strings.Builder
		for range rng.IntN(40) {
			if rng.IntN(4) == 0 {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			} else {
				sb.WriteByte(byte('a' + rng.IntN(26)))
			}
		}
		s := sb.String()
		// A buffer with room to spare, its spare bytes dirty: the fast
		// path writes whole words into them and must leave what precedes
		// intact and what it returns exact.
		dst := append(make([]byte, 0, 3+len(s)+rng.IntN(16)), `{"x`...)
		copy(dst[len(dst):cap(dst)], strings.Repeat(`"\`, cap(dst)))
		got := AppendString(dst, s)
		require.Equal(t, `{"x`+string(appendStringByteWise(nil, s)), string(got), "%q", s)
		require.True(t, json.Valid(got[3:]), "%q", s)
	}
}
