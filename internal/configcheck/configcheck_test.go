package configcheck

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClearText(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://siem.example.com/hook":        true,
		"HTTP://10.0.0.5:8088/x":              true,
		"http://127.0.0.1.example.com/x":      true,
		"http://0.0.0.0:8080/":                true,
		"https://siem.example.com/hook":       false,
		"http://localhost:8088/x":             false,
		"http://LOCALHOST./x":                 false,
		"http://splunk.localhost/x":           false,
		"http://127.8.0.1/x":                  false,
		"http://[::1]:8080/x":                 false,
		"http://user:pw@[::ffff:127.0.0.1]/x": false,
		"://not a url":                        false,
	} {
		assert.Equal(t, want, ClearText(raw), raw)
	}
}

func TestHeaderNameAndValue(t *testing.T) {
	assert.NoError(t, HeaderName("f", "X-API-Key"))
	for _, bad := range []string{"", "X API Key", "X-Key:", "X-Key\n", "Ключ"} {
		assert.ErrorContains(t, HeaderName("f", bad), "f: ", bad)
	}
	assert.NoError(t, Value("f", "Bearer a\tb"))
	for _, bad := range []string{"a\nb", "a\r", "a\x00b", "a\x7f"} {
		err := Value("f", bad)
		assert.ErrorContains(t, err, "f: contains a line break")
	}
}
