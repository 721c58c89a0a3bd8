package formats

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// appendStringByteWise is AppendString without the eight-byte fast path:
// the reference the fast path must match byte for byte.
func appendStringByteWise(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
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
		got := AppendString(nil, s)
		require.Equal(t, string(appendStringByteWise(nil, s)), string(got), "%q", s)
		require.True(t, json.Valid(got), "%q", s)
	}
}

// The hand-written time format must be exactly AppendFormat's RFC3339Nano.
func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	zones := []*time.Location{time.UTC, time.FixedZone("CEST", 2*3600), time.FixedZone("NST", -(3*3600 + 1800))}
	cases := []time.Time{
		time.Unix(0, 0),
		time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 10, 29, 12, 0, 0, 100_000_000, time.UTC),
		time.Date(2025, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 1, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 5, time.UTC),
	}
	for range 5000 {
		cases = append(cases, time.Unix(rng.Int64N(253402300799), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))]))
	}
	for _, tm := range cases {
		want := `"` + tm.UTC().Format(time.RFC3339Nano) + `"`
		require.Equal(t, want, string(AppendTime(nil, tm)), "%v", tm)
	}
}
