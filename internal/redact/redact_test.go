package redact

import (
	"encoding/base64"
	"encoding/hex"
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
		"https://user:SE/CRET@host/path":                           "https://[redacted]@host/path",
	} {
		assert.Equal(t, want, URL(raw), raw)
	}
	// MaskedURL keeps the query's keys and says where user info was.
	assert.Equal(t, "https://[R]@siem.example.com/hook?token=[R]&api-version=[R]",
		MaskedURL("https://user:SECRET@siem.example.com/hook?token=SECRET&api-version=1#x", "[R]"))
	assert.Equal(t, "https://[R]@host/path", MaskedURL("https://user:SE/CRET@host/path", "[R]"))
	assert.Equal(t, "https://siem.example.com/hook?[R]", MaskedURL("https://siem.example.com/hook?SECRET", "[R]"))
	assert.Equal(t, "https://siem.example.com/hook", MaskedURL("https://siem.example.com/hook", "[R]"))
}

// TestStringFindsEncodedSecretsInLargerText: a secret inside a larger text
// that was base64-encoded whole (at each of the 3 offsets of a base64
// group, in both alphabets, padded or not), hex-encoded, or upper-cased
// is found.
func TestStringFindsEncodedSecretsInLargerText(t *testing.T) {
	const secret = "k3y-Secret_value.42"
	s := New(secret)
	for _, prefix := range []string{"X-Key: ", "X-Key:  ", "X-Key:   "} {
		for _, suffix := range []string{"", "\r\n", "\r\nnext: header\r\n"} {
			plain := []byte(prefix + secret + suffix)
			for name, enc := range map[string]*base64.Encoding{
				"std": base64.StdEncoding, "url": base64.URLEncoding, "raw std": base64.RawStdEncoding, "raw url": base64.RawURLEncoding,
			} {
				text := "echo " + enc.EncodeToString(plain) + " end"
				got := s.String(text, 0)
				assert.Contains(t, got, Marker, "%s, offset %d, suffix %q: %s", name, len(prefix)%3, suffix, got)
				assertNoSecretLeft(t, got, secret)
			}
		}
	}
	for name, text := range map[string]string{
		"hex":        "echo " + hex.EncodeToString([]byte("X-Key: "+secret)) + " end",
		"HEX":        "echo " + strings.ToUpper(hex.EncodeToString([]byte("X-Key: "+secret))) + " end",
		"upper case": "echo X-KEY: " + strings.ToUpper(secret) + " end",
		"lower case": "echo x-key: " + strings.ToLower(secret) + " end",
	} {
		got := s.String(text, 0)
		assert.Contains(t, got, Marker, name)
		assertNoSecretLeft(t, got, secret)
	}
}

// assertNoSecretLeft: no form of the secret's middle survives, decoded.
func assertNoSecretLeft(t *testing.T, got, secret string) {
	t.Helper()
	for _, f := range []string{secret[2 : len(secret)-2], strings.ToUpper(secret[2 : len(secret)-2])} {
		assert.NotContains(t, got, f)
		assert.NotContains(t, got, hex.EncodeToString([]byte(f)))
	}
	for _, word := range strings.Fields(got) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(word); err == nil {
				assert.NotContains(t, string(b), secret[2:len(secret)-2])
			}
		}
	}
}

// BenchmarkString: redaction of an answer against a baseline that copies
// it, in the same run; the ratio is what redaction costs per byte.
func BenchmarkString(b *testing.B) {
	text := strings.Repeat(`{"error":"invalid token","detail":"the request carried a token the index does not take; aGVsbG8gd29ybGQ="}`, 600)
	s := New("Splunk 0f4c3a2e-1b5d-4e6f-8a9b-0c1d2e3f4a5b", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo", "https://svc:pa55word@siem.example.com/in?token=q-secret-1")
	b.Run("baseline copy", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			_ = strings.Clone(text)
		}
	})
	b.Run("redact", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			_ = s.String(text, 0)
		}
	})
	b.Run("new", func(b *testing.B) {
		for b.Loop() {
			_ = New("Splunk 0f4c3a2e-1b5d-4e6f-8a9b-0c1d2e3f4a5b", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo")
		}
	})
}
