// Package echosink is a recorder (testsink) whose error answers echo the
// request (its query, credential headers and body) in one of the encodings
// real error pages use, and the scan for a secret in those encodings: for
// the tests that no credential reaches a log line or an error.
package echosink // import "github.com/sentyr/webhookexporter/internal/echosink"

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// Encodings are how a receiver may write back what it got.
var Encodings = map[string]func(string) string{
	"plain":  func(s string) string { return s },
	"query":  url.QueryEscape,
	"path":   url.PathEscape,
	"base64": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	"json": func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	},
}

// EncodingNames lists Encodings in a stable order.
func EncodingNames() []string {
	names := make([]string, 0, len(Encodings))
	for n := range Encodings {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Shape wraps the echo into the body of an answer.
type Shape func(echo string) []byte

// Plain is the echo as it is.
func Plain(echo string) []byte { return []byte("invalid credentials: " + echo) }

// HEC is a Splunk HEC refusal of the token whose text is the echo.
func HEC(echo string) []byte {
	b, _ := json.Marshal(map[string]any{"text": "Invalid token " + echo, "code": 4})
	return b
}

// Bulk is an Elasticsearch _bulk answer (200) refusing its one item with
// the echo as the reason.
func Bulk(echo string) []byte {
	b, _ := json.Marshal(map[string]any{"errors": true, "items": []any{map[string]any{"create": map[string]any{
		"status": 400, "error": map[string]any{"type": "security_exception", "reason": "refused " + echo},
	}}}})
	return b
}

// quiet are the headers left out of the echo, so that the credentials
// come within the start of the body that log lines quote.
var quiet = map[string]bool{
	"User-Agent": true, "Content-Type": true, "Content-Length": true, "Accept-Encoding": true,
	"Idempotency-Key": true, "Traceparent": true, "Tracestate": true,
}

// New starts a recorder (testsink) that answers every request with status
// and shape(echo), the echo's values written with encode.
func New(t testing.TB, status int, encode func(string) string, shape Shape) *testsink.Sink {
	return testsink.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		body, _ := io.ReadAll(r.Body)
		var parts []string
		for k, vs := range r.URL.Query() {
			parts = append(parts, k+"="+encode(strings.Join(vs, ",")))
		}
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			if !quiet[k] {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		for _, k := range names {
			parts = append(parts, k+": "+encode(r.Header.Get(k)))
		}
		if u, p, ok := r.BasicAuth(); ok {
			parts = append(parts, "user "+encode(u+":"+p), "password "+encode(p))
		}
		if form, err := url.ParseQuery(string(body)); err == nil && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
			// A form's values, each encoded once: the form itself is
			// URL-encoded already.
			for k := range form {
				parts = append(parts, k+"="+encode(form.Get(k)))
			}
			parts = append(parts, "form "+string(body))
		} else {
			if len(body) > 64 {
				body = body[:64]
			}
			parts = append(parts, "body "+encode(string(body)))
		}
		w.WriteHeader(status)
		_, _ = w.Write(shape(strings.Join(parts, "; ")))
	})
}

// Forms are the ways a secret may show: as is, URL-encoded (query and path
// forms), and base64 (as inside Basic).
func Forms(secret string) map[string]string {
	return map[string]string{
		"as is":        secret,
		"query-escape": url.QueryEscape(secret),
		"path-escape":  url.PathEscape(secret),
		"base64":       base64.RawStdEncoding.EncodeToString([]byte(secret)),
		"json":         Encodings["json"](secret),
		// Encoded once by the echo and once more by a JSON answer.
		"json of query-escape": Encodings["json"](url.QueryEscape(secret)),
		"json of json":         Encodings["json"](Encodings["json"](secret)),
		// Half of it is a leak already.
		"first half": secret[:len(secret)/2],
	}
}

// Leaks lists, for each text, the secrets it holds in any of their Forms.
func Leaks(texts []string, secrets []string) []string {
	var out []string
	for _, text := range texts {
		for _, s := range secrets {
			for name, f := range Forms(s) {
				if strings.Contains(text, f) {
					out = append(out, fmt.Sprintf("%q (%s) in %q", s, name, text))
				}
			}
		}
	}
	return out
}
