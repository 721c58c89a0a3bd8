package formats

// headerMemo keeps what an encoder wrote for the last few event headers
// (source, type and severity): a batch repeats a handful of them, and
// writing one again costs an escaping pass per string, several times more
// than comparing three strings and copying the bytes. It lives for one
// Encode call; its bytes are slices of that call's body, which only grows.
type headerMemo struct {
	entries [headerMemoSize]headerEntry
	next    int
	second  stampMemo
}

// stamps is the memo of the events' timestamps; nil for a nil memo.
func (m *headerMemo) stamps() *stampMemo {
	if m == nil {
		return nil
	}
	return &m.second
}

// headerMemoSize is how many headers a memo keeps: the event types of a
// batch interleave, so one would rarely match.
const headerMemoSize = 4

type headerEntry struct {
	source, eventType, severity string
	written                     []byte
}

// append appends ev's header: the bytes written for an event with the
// same header, when the memo has them, else what write appends, which it
// keeps. A nil memo always writes.
func (m *headerMemo) append(dst []byte, ev *Event, write func([]byte, *Event) []byte) []byte {
	if m == nil {
		return write(dst, ev)
	}
	for i := range m.entries {
		if e := &m.entries[i]; e.written != nil && e.source == ev.Source && e.eventType == ev.Type && e.severity == ev.Severity {
			return append(dst, e.written...)
		}
	}
	start := len(dst)
	dst = write(dst, ev)
	m.entries[m.next] = headerEntry{source: ev.Source, eventType: ev.Type, severity: ev.Severity, written: dst[start:len(dst):len(dst)]}
	m.next = (m.next + 1) % headerMemoSize
	return dst
}
