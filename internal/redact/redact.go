// Package redact takes credentials out of text that a receiver sent back
// (error pages that echo the request are common) before the text goes into
// a log line or an error, and user info and queries out of URLs.
package redact

import (
	"encoding/base64"
	"encoding/hex"
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
// and plain characters is found; base64, hex and case forms are separate
// values. The zero value and nil redact nothing.
type Secrets struct {
	values []string        // longest first, so a value wins over its parts
	seen   map[string]bool // values, for deduplication
	first  [256][]int      // indexes into values, by their first byte
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
// id:key), that text and its part after the first colon; and of each of
// these its upper and lower case, its hex (both cases) and its base64
// (standard and URL alphabets, padded or not) at any offset of a larger
// base64 text.
func (s *Secrets) Add(values ...string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, v := range values {
		for _, form := range forms(v) {
			if len(form) < MinLen || s.seen[form] {
				continue
			}
			s.seen[form] = true
			s.values = append(s.values, form)
		}
	}
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
	s.first = [256][]int{}
	for i, v := range s.values {
		s.first[v[0]] = append(s.first[v[0]], i)
	}
}

func forms(v string) []string {
	base := []string{v}
	if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && isScheme(scheme) {
		cred = strings.TrimSpace(cred)
		base = append(base, cred)
		v = cred
	}
	if text, ok := decodeBase64(v); ok {
		base = append(base, text)
		if _, pass, ok := strings.Cut(text, ":"); ok {
			base = append(base, pass)
		}
	}
	out := slices.Clone(base)
	for _, f := range base {
		out = append(out, base64.RawStdEncoding.EncodeToString([]byte(f)), base64.RawURLEncoding.EncodeToString([]byte(f)))
	}
	// Encoded once here, decoded once more while matching: an echo
	// encoded twice (a JSON error whose text is a URL-encoded form, or
	// JSON in JSON) is found too.
	for _, f := range slices.Clone(out) {
		out = append(out, jsonEscape(f, false), jsonEscape(f, true), url.QueryEscape(f), url.PathEscape(f), html.EscapeString(f))
	}
	// Encoded once, matched decoding one level of escapes.
	for _, f := range base {
		out = append(out, strings.ToUpper(f), strings.ToLower(f), hex.EncodeToString([]byte(f)), strings.ToUpper(hex.EncodeToString([]byte(f))))
		out = append(out, base64Forms(f)...)
	}
	return out
}

// base64Forms are what base64 of a text holding f shows of f. Base64
// writes 3 bytes as 4 characters, so f starts at one of 3 offsets of a
// 3-byte group; at each, the characters that f alone decides are a fixed
// string: the encoding of f after offset bytes, less the characters that
// mix in the bytes before f and after it. Where f ends the text, its last
// characters and the padding are decided too.
func base64Forms(f string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for offset := range 3 {
			shifted := make([]byte, offset+len(f))
			copy(shifted[offset:], f)
			lead := (offset*8 + 5) / 6 // characters holding a bit of the bytes before f
			whole := len(shifted) * 8 / 6
			padded := enc.EncodeToString(shifted)
			if whole > lead {
				out = append(out, padded[lead:whole])
			}
			out = append(out, padded[lead:], strings.TrimRight(padded[lead:], "="))
		}
	}
	return out
}

// jsonEscape is s as inside a JSON string, with or without the escapes
// of <, > and & that encoding/json writes by default.
func jsonEscape(s string, escapeHTML bool) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' || strings.ContainsRune(`"\\<>&`, r) }) {
		return s
	}
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
		c := text[i]
		if len(s.first[c]) == 0 && c != '%' && c != '+' && c != '\\' && c != '&' {
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

// matchAt returns the end of the longest value that text holds at i: of
// the values starting with text[i], and, where an escape starts at i, of
// those starting with what it decodes to. Only these are tried, so the
// work per position does not grow with the number of values.
func (s *Secrets) matchAt(text string, i int) (int, bool) {
	end, ok := s.matchFirst(text, i, text[i])
	if decoded, n := unescape(text[i:]); n > 0 && decoded != "" {
		if e, found := s.matchFirst(text, i, decoded[0]); found && (!ok || e > end) {
			end, ok = e, true
		}
	}
	if text[i] == '+' {
		if e, found := s.matchFirst(text, i, ' '); found && (!ok || e > end) {
			end, ok = e, true
		}
	}
	return end, ok
}

func (s *Secrets) matchFirst(text string, i int, first byte) (int, bool) {
	for _, k := range s.first[first] {
		if end, ok := match(text, i, s.values[k]); ok {
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

// URL is raw without user info, query and fragment, for messages. It is
// cut by hand, not parsed, so that a URL that does not parse (a password
// holding a "/") is cut the same way: the user info is everything before
// the last "@" ahead of the query. Where that takes in a "/" (a password
// with one, or an "@" in the path) the cut is shown as Marker.
func URL(raw string) string {
	p := splitURL(raw)
	if strings.Contains(p.user, "/") {
		return p.scheme + Marker + "@" + p.hostPath
	}
	return p.scheme + p.hostPath
}

// URL is URL(raw) with s's values taken out too: a credential in the
// path (a Slack webhook's token) is no user info or query.
func (s *Secrets) URL(raw string) string {
	return s.String(URL(raw), 0)
}

// MaskedURL is raw with its user info and each query value replaced by
// marker, the query's keys kept, and without fragment: for showing a
// request.
func MaskedURL(raw, marker string) string {
	p := splitURL(raw)
	out := p.scheme
	if p.hasUser {
		out += marker + "@"
	}
	out += p.hostPath
	if !p.hasQuery {
		return out
	}
	params := strings.Split(p.query, "&")
	for i, kv := range params {
		if key, _, ok := strings.Cut(kv, "="); ok {
			params[i] = key + "=" + marker
		} else if kv != "" {
			params[i] = marker // a bare value may be a token
		}
	}
	return out + "?" + strings.Join(params, "&")
}

type urlParts struct {
	scheme            string // with "://", or ""
	user              string
	hostPath, query   string
	hasUser, hasQuery bool
}

func splitURL(raw string) urlParts {
	var p urlParts
	raw, _, _ = strings.Cut(raw, "#")
	raw, p.query, p.hasQuery = strings.Cut(raw, "?")
	if i := strings.Index(raw, "://"); i >= 0 {
		p.scheme, raw = raw[:i+3], raw[i+3:]
	}
	// Without a scheme, user:pass@host/path is cut the same way (it
	// parses as scheme "user"); so is an opaque mailto:user@host.
	if at := strings.LastIndexByte(raw, '@'); at >= 0 {
		p.user, raw, p.hasUser = raw[:at], raw[at+1:], true
	}
	p.hostPath = raw
	return p
}

// URLSecrets are the parts of raw that may hold a credential, as written
// and decoded: the user info and its password, the query and each of its
// values. It works on a URL that does not parse too.
func URLSecrets(raw string) []string {
	p := splitURL(raw)
	var out []string
	if p.hasUser {
		out = append(out, p.user)
		if dec, err := url.PathUnescape(p.user); err == nil {
			out = append(out, dec)
		}
		if _, pass, ok := strings.Cut(p.user, ":"); ok {
			out = append(out, pass)
			if dec, err := url.PathUnescape(pass); err == nil {
				out = append(out, dec)
			}
		}
	}
	if p.hasQuery {
		out = append(out, p.query)
		for _, kv := range strings.Split(p.query, "&") {
			_, v, _ := strings.Cut(kv, "=")
			out = append(out, v)
			if dec, err := url.QueryUnescape(v); err == nil {
				out = append(out, dec)
			}
		}
	}
	return out
}

// ParseError is the reason url.Parse gave for raw, without the URL it
// quotes; a reason that quotes a piece of raw's user info or query (an
// invalid port ":pa" cut from a password) loses the quote.
func ParseError(raw string, err error) error {
	ue, ok := errors.AsType[*url.Error](err)
	if !ok {
		return err
	}
	reason := ue.Err.Error()
	open, end := strings.IndexByte(reason, '"'), strings.LastIndexByte(reason, '"')
	if open < 0 || end <= open {
		return ue.Err
	}
	quoted, qerr := strconv.Unquote(reason[open : end+1])
	p := splitURL(raw)
	if qerr != nil || strings.Contains(p.user, quoted) || strings.Contains(p.query, quoted) {
		return errors.New(strings.TrimSpace(reason[:open]) + " (quote left out: it may hold a credential)")
	}
	return ue.Err
}
