package redact

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestCutKeepsAtMostTextBytes(t *testing.T) {
	huge := strings.Repeat("é", 2<<20) // two bytes a rune: a cut may fall inside one
	for _, tt := range []struct {
		name, text string
		s          *Secrets
	}{
		{"short", "Invalid token", nil},
		{"huge", huge, nil},
		{"huge, odd start", "x" + huge, nil},
		{"huge with secrets", strings.Repeat("pass1234 ", 1<<20), New("pass1234")},
		{"invalid UTF-8", "\xff\xfe" + strings.Repeat("a", 100), nil},
		{"markers past the limit", strings.Repeat("abcd", TextBytes/4), New("abcd")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.Cut(tt.text)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, len(got), TextBytes+len(CutMarker)+len(" 99999999999 bytes)"))
			if len(tt.text) > TextBytes {
				assert.Contains(t, got, CutMarker)
				assert.True(t, strings.HasSuffix(got, " bytes)"), got[len(got)-40:])
			}
			if tt.s != nil {
				assert.NotContains(t, got, "abcd")
				assert.NotContains(t, got, "pass1234")
			}
		})
	}
	assert.Equal(t, "Invalid token", Cut("Invalid token"))
}

// A credential that straddles the cut is taken out whole, not kept in part.
func TestCutTakesOutACredentialAtTheLimit(t *testing.T) {
	secret := "s3cr3t-" + strings.Repeat("k", 40)
	text := strings.Repeat("x", TextBytes-10) + secret + strings.Repeat("y", TextBytes)
	got := New(secret).Cut(text)
	assert.NotContains(t, got, "s3cr3t")
	assert.NotContains(t, got, "kkkk")
}
