package redact

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStringFindsEveryForm(t *testing.T) {
	const pass = "p@ss/w+rd x&y"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+pass))
	s := New(basic)
	for name, text := range map[string]string{
		"as is":               "got " + pass + " end",
		"query-escape":        "got " + url.QueryEscape(pass) + " end",
		"path-escape":         "got " + url.PathEscape(pass) + " end",
		"lower-case escapes":  "got " + strings.ToLower(url.QueryEscape(pass)) + " end",
		"partly escaped":      "got p%40ss/w%2Brd+x&y end",
		"json":                `got p@ss\/w+rd x\u0026y end`,
		"html":                "got p@ss/w+rd x&amp;y end",
		"user:pass":           "got svc:" + pass + " end",
		"basic value":         "got " + basic + " end",
		"base64 of user:pass": "got " + base64.StdEncoding.EncodeToString([]byte("svc:"+pass)) + " end",
		"base64 of pass":      "got " + base64.RawURLEncoding.EncodeToString([]byte(pass)) + " end",
		"json of query":       `got p%40ss%2Fw%2Brd+x%26y end`,
		"json in json":        `got p@ss/w+rd x\\u0026y end`,
	} {
		t.Run(name, func(t *testing.T) {
			got := s.String(text, 0)
			assert.True(t, strings.HasPrefix(got, "got [redacted]"), got)
			assert.True(t, strings.HasSuffix(got, " end"), got)
			assert.NotContains(t, got, "ss/w")
		})
	}
}

func TestStringLeavesOtherTextAlone(t *testing.T) {
	s := New("Bearer tok-123456", "abc", "")
	text := `{"error":"Bearer token required","code":401} 100% done & dusted \n`
	assert.Equal(t, text, s.String(text, 0), "the scheme, short values and escapes of other text stay")
	assert.Equal(t, "token [redacted] or [redacted]", s.String("token tok-123456 or Bearer tok-123456", 0))
}

func TestStringCutsAfterRedacting(t *testing.T) {
	s := New("0123456789-secret")
	got := s.String("xxxx0123456789-secret yyyy", 6)
	assert.Equal(t, "xxxx[redacted]", got, "a secret across the limit is matched whole, not cut in half")
	assert.Equal(t, "xxxx[redacted]", s.String("xxxx0123456", 0), "a text ending inside a secret")
	assert.Equal(t, "xxxx012", s.String("xxxx012", 0), "fewer than MinLen bytes of it")
	assert.Equal(t, "abcdef", New().String("abcdefgh", 6))
}

func TestErrorKeepsTheChain(t *testing.T) {
	base := errors.New("boom secret-value")
	err := New("secret-value").Error(fmt.Errorf("wrapped: %w", base))
	assert.Equal(t, "wrapped: boom [redacted]", err.Error())
	assert.ErrorIs(t, err, base)
	var nilSecrets *Secrets
	assert.Same(t, base, nilSecrets.Error(base))
}

// TestHostileTextIsLinear: text made of escape starts costs a bounded
// amount of work per position.
func TestHostileTextIsLinear(t *testing.T) {
	s := New(strings.Repeat("%", 40), strings.Repeat("\\", 40))
	text := strings.Repeat(`%25\\&amp;+`, 10000)
	assert.NotEmpty(t, s.String(text, 0))
}

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://user:SECRET@siem.example.com/hook?token=SECRET#x": "https://siem.example.com/hook",
		"https://user:SECRET@siem example.com/hook?token=SECRET":   "https://siem example.com/hook",
		"https://u:SECRET@[::1/x?k=SECRET":                         "https://[::1/x",
		"siem.example.com/hook?token=SECRET":                       "siem.example.com/hook",
		"https://user:SE@CRET@host":                                "https://host",
		"user:SECRET@splunk.example.com/health?x=SECRET":           "splunk.example.com/health",
		"mailto:someone@example.com":                               "example.com",
	} {
		assert.Equal(t, want, URL(raw), raw)
	}
}
