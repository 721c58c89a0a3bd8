package redact

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// TextBytes is the most of a text from outside (a receiver's answer or
// reason, a token server's error) that the exporter keeps: in an error, a
// log line, a dead letter's detail. A text that was longer ends with
// CutMarker and its length in bytes.
const TextBytes = 512

// CutMarker starts what replaces the rest of a text that was cut.
const CutMarker = "…(cut, "

// Cut is Secrets.Cut for text that holds no credential, or already had
// them taken out.
func Cut(text string) string { return (*Secrets)(nil).Cut(text) }

// Cut takes the credentials out of text and keeps at most TextBytes of
// what is left, as valid UTF-8. Credentials are taken out before the text
// is cut, so that none is cut in half and kept in part. What it returns
// never shares memory with a text that was cut: a reason kept for many
// events holds its own few hundred bytes, not the answer it came from.
func (s *Secrets) Cut(text string) string {
	out := s.String(text, TextBytes)
	if len(out) <= TextBytes && len(text) <= TextBytes && utf8.ValidString(out) {
		return out
	}
	// String stops at about TextBytes: a credential's marker may pass it.
	cut := len(text) > TextBytes || len(out) > TextBytes
	out = out[:min(len(out), TextBytes)]
	if i := lastRuneStart(out); !utf8.FullRuneInString(out[i:]) {
		out = out[:i]
	}
	out = strings.ToValidUTF8(out, "\uFFFD")
	if !cut {
		return out // made anew: it was not valid UTF-8
	}
	return out + CutMarker + strconv.Itoa(len(text)) + " bytes)"
}

// lastRuneStart is the index of the byte that starts the last rune of s.
func lastRuneStart(s string) int {
	i := max(len(s)-1, 0)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
