package builtin

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// chatMarkup is the markup a chat reads in text, which event content must
// never carry.
type chatMarkup uint8

const (
	// slackMarkup: &, < and > open Slack's mentions (<!channel>), links
	// (<https://evil|click>) and entities; they are written as &amp;, &lt;
	// and &gt;.
	slackMarkup chatMarkup = iota
	// cardMarkdown: an Adaptive Card's text is Markdown; its emphasis,
	// link, code and escape characters are escaped with a backslash.
	cardMarkdown
)

// appendChatText appends s as a chat shows it, for a JSON string's body
// written later: with its markup characters escaped, so that no content
// can open a mention, a link or formatting; control characters other than
// newline and tab as spaces; invalid UTF-8 as U+FFFD. It writes at most
// limit characters, an escape counting as its own, the last one "…" when
// s is cut, and returns how many it wrote and whether it cut s. A cut
// never splits an escape. It stops reading s at the limit.
func appendChatText(dst []byte, s string, limit int, markup chatMarkup) ([]byte, int, bool) {
	if limit < 1 {
		return dst, 0, s != ""
	}
	n, markAt, markN := 0, -1, 0
	prev := ' '
	for i, r := range s {
		var repr string
		switch {
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f:
			repr = " "
		case markup == slackMarkup:
			repr = slackEntities[min(r, 0x7f)]
		case markup == cardMarkdown && r == '_':
			// Inside a word, as in file_shared_externally, _ is no
			// emphasis (CommonMark): it is escaped only at a word's edge.
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if !wordRune(prev) || !wordRune(next) {
				repr = `\_`
			}
		case markup == cardMarkdown:
			repr = markdownEscapes[min(r, 0x7f)]
		}
		prev = r
		w := 1
		if repr != "" {
			w = len(repr)
		}
		if markAt < 0 && n+w > limit-1 {
			markAt, markN = len(dst), n
		}
		if n+w > limit {
			return append(dst[:markAt], cutMarker...), markN + 1, true
		}
		if repr != "" {
			dst = append(dst, repr...)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
		n += w
	}
	return dst, n, false
}

// appendValueText appends a data value as a chat shows it: a string as it
// is, other scalars as JSON writes them, lists and maps as indented JSON.
// Only about the first limit bytes of a list or map are written, so a
// deep or huge one costs what can be shown.
func appendValueText(dst []byte, v pcommon.Value, limit int) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return append(dst, v.Str()...)
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
		w := boundedText{buf: dst, limit: len(dst) + limit}
		w.appendValue(v, 0)
		return w.buf
	}
	return jsonw.AppendValue(dst, v)
}

// appendEventTitle appends the first line a chat shows of an event: its
// severity and type.
func appendEventTitle(dst []byte, ev *formats.Event) []byte {
	dst = append(dst, '[')
	dst = append(dst, ev.Severity...)
	dst = append(dst, "] "...)
	return append(dst, ev.Type...)
}

// appendEventByline appends the event's source and time, below its title.
func appendEventByline(dst []byte, ev *formats.Event) []byte {
	dst = append(dst, ev.Source...)
	dst = append(dst, " · "...)
	return ev.Timestamp.UTC().AppendFormat(dst, time.RFC3339)
}

// wordRune says that r is a letter or a digit, for Markdown's word edges.
func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// appendChatBytes is appendChatText of text in a buffer.
func appendChatBytes(dst, text []byte, limit int, markup chatMarkup) ([]byte, int, bool) {
	return appendChatText(dst, unsafe.String(unsafe.SliceData(text), len(text)), limit, markup)
}

// slackEntities and markdownEscapes are what a markup character is
// written as, "" for a character written as it is.
var (
	slackEntities = [0x80]string{'&': "&amp;", '<': "&lt;", '>': "&gt;"}
	// Adaptive Cards read emphasis, links and code, no HTML, headings
	// or images.
	markdownEscapes = [0x80]string{'\\': `\\`, '*': `\*`, '[': `\[`, ']': `\]`, '`': "\\`", '~': `\~`}
)

// chatFieldNote says how many of an event's fields a chat message cut or
// left out, and to fit what.
func chatFieldNote(changed, total int, what string) string {
	return fmt.Sprintf("%d of %d fields cut or left out to fit %s", changed, total, what)
}
