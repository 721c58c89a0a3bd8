// Package redact takes credentials out of text that a receiver sent back
// (error pages that echo the request are common) before the text goes into
// a log line or an error, and user info and queries out of URLs.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Marker replaces each credential.
const Marker = "[redacted]"

// MinLen is the shortest value that is redacted. Shorter values (a "1",
// a "yes") would cut ordinary words out of every answer, and hide nothing
// worth hiding: a credential of 3 bytes is guessed anyway.
const MinLen = 4

// Secrets is a set of credential values in each of the forms a receiver
// may echo them in. The text is matched decoding, as it goes, the
// escapes of URL encoding (%2F in either case, + for a space), JSON
// strings (\" \/ \u002F) and HTML (&amp; &#47;), so every mix of encoded
// and plain characters is found; base64 forms are separate values.
// The zero value and nil redact nothing.
type Secrets struct {
	values []string // longest first, so a value wins over its parts
	first  [256]bool
}

// New returns the set of values and of their encoded and decoded forms.
func New(values ...string) *Secrets {
	s := &Secrets{}
	s.Add(values...)
	return s
}

// Add adds values, each with: the credential of an Authorization-style
// "<scheme> <credential>" value (Bearer, Basic, Splunk, ApiKey, ...); for
// a credential that is base64 of text (Basic's user:pass, Elastic's
// id:key), that text and its part after the first colon; and the base64
// of each (standard and URL alphabets).
func (s *Secrets) Add(values ...string) {
	for _, v := range values {
		for _, form := range forms(v) {
			if len(form) < MinLen || slices.Contains(s.values, form) {
				continue
			}
			s.values = append(s.values, form)
		}
	}
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
	s.first = [256]bool{}
	for _, v := range s.values {
		s.first[v[0]] = true
	}
	if len(s.values) > 0 {
		// Where an escape may start.
		s.first['%'], s.first['+'], s.first['\\'], s.first['&'] = true, true, true, true
	}
}

func forms(v string) []string {
	out := []string{v}
	if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && isScheme(scheme) {
		cred = strings.TrimSpace(cred)
		out = append(out, cred)
		v = cred
	}
	if text, ok := decodeBase64(v); ok {
		out = append(out, text)
		if _, pass, ok := strings.Cut(text, ":"); ok {
			out = append(out, pass)
		}
	}
	for _, f := range slices.Clone(out) {
		out = append(out, base64.RawStdEncoding.EncodeToString([]byte(f)), base64.RawURLEncoding.EncodeToString([]byte(f)))
	}
	// Encoded once here, decoded once more while matching: an echo
	// encoded twice (a JSON error whose text is a URL-encoded form, or
	// JSON in JSON) is found too.
	for _, f := range slices.Clone(out) {
		out = append(out, jsonEscape(f, false), jsonEscape(f, true), url.QueryEscape(f), url.PathEscape(f), html.EscapeString(f))
	}
	return out
}

// jsonEscape is s as inside a JSON string, with or without the escapes
// of <, > and & that encoding/json writes by default.
func jsonEscape(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '.' || c == '_')) {
			return false
		}
	}
	return true
}

// decodeBase64 decodes v when it is base64 of printable text.
func decodeBase64(v string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(v)
		if err != nil || len(b) == 0 || !utf8.Valid(b) {
			continue
		}
		if strings.IndexFunc(string(b), func(r rune) bool { return r < ' ' || r == utf8.RuneError }) >= 0 {
			continue
		}
		return string(b), true
	}
	return "", false
}

// Empty says whether there is nothing to redact.
func (s *Secrets) Empty() bool { return s == nil || len(s.values) == 0 }

// String redacts text; limit > 0 stops the output at about limit bytes (a
// credential that starts before the limit is still matched whole).
// Text that ends inside a credential, as a body cut at a read limit does,
// has that start redacted too once it is MinLen bytes or more.
func (s *Secrets) String(text string, limit int) string {
	if s.Empty() {
		if limit > 0 && len(text) > limit {
			return text[:limit]
		}
		return text
	}
	var b strings.Builder
	plain := 0 // start of the text not yet copied
	for i := 0; i < len(text); {
		if limit > 0 && b.Len()+i-plain >= limit {
			break
		}
		if !s.first[text[i]] {
			i++
			continue
		}
		end, ok := s.matchAt(text, i)
		if !ok {
			i++
			continue
		}
		b.WriteString(text[plain:i])
		b.WriteString(Marker)
		i, plain = end, end
	}
	rest := text[plain:]
	if limit > 0 {
		rest = rest[:min(len(rest), max(0, limit-b.Len()))]
	}
	b.WriteString(rest)
	return b.String()
}

// Error returns err with its message redacted; errors.Is and As still
// reach err's chain.
func (s *Secrets) Error(err error) error {
	if err == nil || s.Empty() {
		return err
	}
	msg := s.String(err.Error(), 0)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// matchAt returns the end of the longest value that text holds at i.
func (s *Secrets) matchAt(text string, i int) (int, bool) {
	for _, v := range s.values {
		if end, ok := match(text, i, v); ok {
			return end, true
		}
	}
	return 0, false
}

// match compares text from i with v, decoding escapes in text; where a
// character may be itself or the start of an escape, both are tried. A
// text that ends after MinLen or more bytes of v matches.
func match(text string, i int, v string) (int, bool) {
	budget := 16*len(v) + 64 // bounds the backtracking on hostile text
	return matchFrom(text, i, v, 0, &budget)
}

func matchFrom(text string, i int, v string, j int, budget *int) (int, bool) {
	for j < len(v) {
		if *budget--; *budget < 0 {
			return 0, false
		}
		if i >= len(text) {
			return i, j >= MinLen
		}
		c := text[i]
		if c != '%' && c != '\\' && c != '&' && c != '+' {
			if c != v[j] {
				return 0, false
			}
			i, j = i+1, j+1
			continue
		}
		if decoded, n := unescape(text[i:]); n > 0 && strings.HasPrefix(v[j:], decoded) {
			if end, ok := matchFrom(text, i+n, v, j+len(decoded), budget); ok {
				return end, true
			}
		}
		if c == '+' && v[j] == ' ' {
			if end, ok := matchFrom(text, i+1, v, j+1, budget); ok {
				return end, true
			}
		}
		if c != v[j] {
			return 0, false
		}
		i, j = i+1, j+1
	}
	return i, true
}

// unescape decodes one escape at the start of t: %XX, a JSON backslash
// escape, or an HTML character reference; n is 0 when there is none.
func unescape(t string) (decoded string, n int) {
	switch t[0] {
	case '%':
		if len(t) >= 3 {
			if b, err := strconv.ParseUint(t[1:3], 16, 8); err == nil {
				return string([]byte{byte(b)}), 3
			}
		}
	case '\\':
		if len(t) < 2 {
			return "", 0
		}
		switch t[1] {
		case '"', '\\', '/', '\'':
			return t[1:2], 2
		case 'n':
			return "\n", 2
		case 't':
			return "\t", 2
		case 'r':
			return "\r", 2
		case 'u':
			if len(t) >= 6 {
				if r, err := strconv.ParseUint(t[2:6], 16, 32); err == nil {
					return string(rune(r)), 6
				}
			}
		}
	case '&':
		end := strings.IndexByte(t[:min(len(t), 10)], ';')
		if end < 0 {
			return "", 0
		}
		switch ref := t[1:end]; ref {
		case "amp":
			return "&", end + 1
		case "lt":
			return "<", end + 1
		case "gt":
			return ">", end + 1
		case "quot":
			return `"`, end + 1
		case "apos":
			return "'", end + 1
		default:
			if num, ok := strings.CutPrefix(ref, "#"); ok {
				base := 10
				if hex, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
					num, base = hex, 16
				}
				if r, err := strconv.ParseUint(num, base, 32); err == nil {
					return string(rune(r)), end + 1
				}
			}
		}
	}
	return "", 0
}

// URL is raw without user info, query and fragment, for messages; a URL
// that does not parse is cut the same way by hand.
func URL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Opaque == "" {
		u.User = nil
		u.RawQuery = ""
		u.ForceQuery = false
		u.Fragment = ""
		return u.String()
	}
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		raw = scheme + "://" + host
		if path != "" || strings.Contains(rest, "/") {
			raw += "/" + path
		}
		return raw
	}
	// No scheme: user:pass@host/path parses as scheme "user".
	host, path, hasPath := strings.Cut(raw, "/")
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		raw = host[at+1:]
		if hasPath {
			raw += "/" + path
		}
	}
	return raw
}

// ParseError is the reason url.Parse gave, without the URL it quotes.
func ParseError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
