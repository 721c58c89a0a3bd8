package formats

import (
	"fmt"
	"time"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// appendChatText appends s as a chat shows it, for a JSON string's body
// written later: with entities, &, < and > as Slack's &amp;, &lt; and &gt;,
// so that no content can open a mention (<!channel>) or a link
// (<https://evil|click>); control characters other than newline and tab as
// spaces; invalid UTF-8 as U+FFFD. It writes at most limit characters, an
// entity counting as its own, the last one "…" when s is cut, and returns
// how many it wrote and whether it cut s. A cut never splits an entity.
// It stops reading s at the limit.
func appendChatText(dst []byte, s string, limit int, entities bool) ([]byte, int, bool) {
	if limit < 1 {
		return dst, 0, s != ""
	}
	n, markAt, markN := 0, -1, 0
	for _, r := range s {
		var repr string
		switch {
		case entities && r == '&':
			repr = "&amp;"
		case entities && r == '<':
			repr = "&lt;"
		case entities && r == '>':
			repr = "&gt;"
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f:
			repr = " "
		}
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
	return AppendValue(dst, v)
}

// appendEventTitle appends the first line a chat shows of an event: its
// severity and type.
func appendEventTitle(dst []byte, ev *Event) []byte {
	dst = append(dst, '[')
	dst = append(dst, ev.Severity...)
	dst = append(dst, "] "...)
	return append(dst, ev.Type...)
}

// appendEventByline appends the event's source and time, below its title.
func appendEventByline(dst []byte, ev *Event) []byte {
	dst = append(dst, ev.Source...)
	dst = append(dst, " · "...)
	return ev.Timestamp.UTC().AppendFormat(dst, time.RFC3339)
}

// chatText is appendChatText of text in a buffer.
func appendChatBytes(dst, text []byte, limit int, entities bool) ([]byte, int, bool) {
	return appendChatText(dst, unsafe.String(unsafe.SliceData(text), len(text)), limit, entities)
}

// chatFieldNote says how many of an event's fields a chat message cut or
// left out, and to fit what.
func chatFieldNote(changed, total int, what string) string {
	return fmt.Sprintf("%d of %d fields cut or left out to fit %s", changed, total, what)
}
