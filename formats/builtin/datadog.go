package builtin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Limits of Datadog's Events API (v1), in characters.
const (
	datadogMaxTextChars  = 4000
	datadogMaxTitleChars = 100
)

// DatadogConfig configures the Datadog Events API format.
type DatadogConfig struct {
	// APIKey is sent as the DD-API-KEY header.
	APIKey configopaque.String `mapstructure:"api_key"`
	// Site is the Datadog site (datadoghq.com, datadoghq.eu, us5.datadoghq.com,
	// ...). The connection check validates the key at https://api.<site>.
	Site string `mapstructure:"site"`
	// Tags are added to every event's tags, e.g. "env:prod".
	Tags []string `mapstructure:"tags"`
	// TagAttributes name attributes of the record or its resource whose
	// values become tags "<attribute>:<value>".
	TagAttributes []string `mapstructure:"tag_attributes"`
	_             struct{}
}

// check checks the Datadog settings.
func (c *DatadogConfig) check() error {
	if c.Site != "" && (strings.ContainsAny(c.Site, "/: ") || strings.HasPrefix(c.Site, "api.")) {
		return fmt.Errorf("datadog::site: %q is not a site name; write the site's domain only, e.g. datadoghq.com or datadoghq.eu", c.Site)
	}
	for i, tag := range c.Tags {
		if strings.TrimSpace(tag) == "" {
			return fmt.Errorf("datadog::tags[%d]: empty tag; write key:value, e.g. env:prod, or remove it", i)
		}
	}
	return checkTagAttributes("datadog::tag_attributes", c.TagAttributes)
}

// datadogEncoder writes the guide's Datadog Events API payload. The Events
// API takes one event per request, so every event gets a request of its
// own and the requests may run concurrently.
type datadogEncoder struct {
	apiKey        string
	tags          []string
	tagAttributes []string
	bodies        bodyBuffers
}

// newDatadog returns the Datadog Events API encoder.
func newDatadog(cfg DatadogConfig) *datadogEncoder {
	return &datadogEncoder{apiKey: string(cfg.APIKey), tags: cfg.Tags, tagAttributes: cfg.TagAttributes}
}

// ContentType implements Encoder.
func (e *datadogEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder.
func (e *datadogEncoder) Wire() Wire { return Wire{Headers: e.SetHeaders} }

// SetHeaders is the format's Wire.Headers.
func (e *datadogEncoder) SetHeaders(h http.Header) {
	if e.apiKey != "" {
		h.Set("DD-API-KEY", e.apiKey)
	}
}

// Encode implements Encoder. The bodies share one buffer, as do the index
// lists, so a batch costs a few allocations however many events it has.
func (e *datadogEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Requests: make([]Request, len(events)), Concurrent: true}
	indices := make([]int, len(events))
	buf := e.bodies.get(len(events), 0)
	var text []byte
	var titles sourceTitles
	for i := range events {
		buf = growBody(buf)
		start := len(buf)
		buf, text = e.appendEvent(buf, text[:0], &events[i], &titles)
		indices[i] = i
		batch.Requests[i] = eventRequest(buf, start, indices, i)
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

// AppendEvent appends one Events API payload in the guide's key order.
func (e *datadogEncoder) AppendEvent(dst []byte, ev *formats.Event) []byte {
	var titles sourceTitles
	dst, _ = e.appendEvent(dst, nil, ev, &titles)
	return dst
}

func (e *datadogEncoder) appendEvent(dst, text []byte, ev *formats.Event, titles *sourceTitles) ([]byte, []byte) {
	dst = append(dst, `{"title":`...)
	// The title and the text are built in one scratch buffer, reused for
	// every event of the batch.
	text = append(text[:0], titles.title(ev.Source)...)
	text = append(text, ": "...)
	text = append(text, ev.Type...)
	dst = appendBytesAsString(dst, truncateRuneBytes(text, datadogMaxTitleChars))
	text = appendDatadogText(text[:0], ev.Data)
	dst = append(dst, `,"text":`...)
	dst = appendTextAsString(dst, text)
	dst = append(dst, `,"alert_type":`...)
	dst = jsonw.AppendString(dst, datadogAlertType(ev.Severity))
	dst = append(dst, `,"source_type_name":`...)
	dst = jsonw.AppendString(dst, ev.Source)
	dst = append(dst, `,"tags":[`...)
	dst = appendJoined(dst, "event_type", ':', ev.Type)
	dst = append(dst, ',')
	dst = appendJoined(dst, "severity", ':', ev.Severity)
	dst = append(dst, ',')
	dst = appendJoined(dst, "source", ':', ev.Source)
	for _, tag := range e.tags {
		dst = append(dst, ',')
		dst = jsonw.AppendString(dst, tag)
	}
	dst = appendAttributeTags(dst, ev, e.tagAttributes)
	dst = append(dst, `],"date_happened":`...)
	dst = strconv.AppendInt(dst, ev.Timestamp.Unix(), 10)
	return append(dst, '}'), text
}

// datadogAlertType maps a severity to the Events API's alert_type, which
// has no "critical".
func datadogAlertType(severity string) string {
	switch severity {
	case formats.SeverityWarning, formats.SeverityError:
		return severity
	case formats.SeverityCritical:
		return formats.SeverityError
	}
	return formats.SeverityInfo
}

// sourceTitles remembers the capitalised source: a batch shares one source,
// so it is computed once per Encode, not once per event.
type sourceTitles struct {
	source, capitalised string
}

func (s *sourceTitles) title(source string) string {
	if source != s.source || s.capitalised == "" {
		s.source, s.capitalised = source, capitalize(source)
	}
	return s.capitalised
}

// capitalize upper-cases the first letter: "sentyr" -> "Sentyr", as the
// the guide writes the source in titles and messages. The rest is left as it is.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || unicode.IsUpper(r) || !unicode.IsLetter(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// appendBytesAsString appends b as a JSON string without first copying it
// into a string: AppendString keeps no reference to its argument, and b
// does not change while it runs.
func appendBytesAsString(dst, b []byte) []byte {
	return jsonw.AppendString(dst, unsafe.String(unsafe.SliceData(b), len(b)))
}

// appendTextAsString appends text, JSON that appendDatadogText wrote, as a
// JSON string. That text is valid UTF-8 whose only characters to escape are
// quotes, backslashes and its own newlines (its strings went through
// AppendString), so the general escaper's checks, which cost half of the
// encoding on text this full of quotes, are not needed.
func appendTextAsString(dst, text []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i, c := range text {
		esc := textEscapes[c]
		if esc == 0 {
			continue
		}
		dst = append(dst, text[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	dst = append(dst, text[start:]...)
	return append(dst, '"')
}

// textEscapes is the letter after the backslash for each byte of
// appendDatadogText's output that must be escaped, 0 for the rest: one
// load per byte instead of a switch.
var textEscapes = [256]byte{'"': '"', '\\': '\\', '\n': 'n'}

// truncateRuneBytes is truncateRunes for a buffer, cut in place.
func truncateRuneBytes(b []byte, n int) []byte {
	if cut, ok := runeCut(unsafe.String(unsafe.SliceData(b), len(b)), n); ok {
		return append(b[:cut], "…"...)
	}
	return b
}

// truncateRunes keeps at most n characters of s, the last one "…" when s
// is cut.
func truncateRunes(s string, n int) string {
	if cut, ok := runeCut(s, n); ok {
		return s[:cut] + "…"
	}
	return s
}

// runeCut says where to cut s so that n-1 characters and "…" remain, and
// whether s is longer than n characters at all.
func runeCut(s string, n int) (int, bool) {
	// A string no longer in bytes than n is no longer in characters.
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return 0, false
	}
	i := 0
	for ; n > 1; n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i, true
}

// appendDatadogText appends the event's data as JSON indented by two
// spaces, as the guide writes it, within Datadog's 4000 characters.
//
// When the whole data does not fit, the text stays valid, readable JSON
// with the fields in their order: fields short enough for an equal share of
// the room are kept whole; lists and objects that are not are left out;
// long strings share the room that is left and are cut, ending in "…".
// When there are so many fields that a share is too small to read, fields
// are kept whole in order while they fit and the rest are left out. A last
// member "_truncated" says how many fields were cut or left out.
//
// Nothing is written past what could fit: the indented layout of deeply
// nested data grows with the square of its depth, and only its first 4000
// characters can be sent.
func appendDatadogText(dst []byte, fields []formats.Field) []byte {
	start := len(dst)
	w := boundedText{buf: dst, limit: start + maxTextBytes(datadogMaxTextChars)}
	w.appendFields(fields)
	if text := w.buf[start:]; !w.full() && (len(text) <= datadogMaxTextChars || utf8.RuneCount(text) <= datadogMaxTextChars) {
		return w.buf
	}
	return appendTruncatedText(w.buf[:start], fields)
}

// maxTextBytes is the most bytes a text of chars characters can take: a
// text longer than that in bytes is longer than chars in characters.
func maxTextBytes(chars int) int { return utf8.UTFMax * chars }

// boundedText is indented JSON being written that stops growing once it
// holds more than limit bytes (len(buf) counts): what is written past that
// point could not be sent anyway. Once full, the text is cut anywhere and
// must not be used as JSON.
type boundedText struct {
	buf   []byte
	limit int
}

func (w *boundedText) full() bool { return len(w.buf) > w.limit }

const (
	// Room kept for the "_truncated" member and the closing brace.
	datadogTruncationReserve = 96
	// A cut string shorter than this says too little to be worth its room.
	datadogMinCutChars = 64
)

// Plans for one field of a text that must be cut.
const (
	planUnresolved = iota
	planWhole
	planCut
	planOmit
)

func appendTruncatedText(dst []byte, fields []formats.Field) []byte {
	fields = jsonw.UniqueFields(fields)
	budget := datadogMaxTextChars - datadogTruncationReserve - 1 // 1: the opening brace
	members := make([][]byte, len(fields))
	// chars[i] is the length of members[i] in characters, or budget+1
	// for a member written only up to where it could no longer fit.
	chars := make([]int, len(fields))
	plan := make([]int, len(fields))
	for i, f := range fields {
		w := boundedText{limit: maxTextBytes(budget)}
		w.appendMember(f.Key, f.Value, true)
		members[i], chars[i] = w.buf, budget+1
		if !w.full() {
			chars[i] = utf8.RuneCount(w.buf)
		}
	}
	unresolved := len(fields)
	// Max-min fairness: what fits an equal share is kept whole; lists and
	// objects that do not are left out, so that strings get their room.
	for unresolved > 0 {
		share := budget / unresolved
		changed := false
		for i := range fields {
			if plan[i] == planUnresolved && chars[i] <= share {
				plan[i], budget, changed = planWhole, budget-chars[i], true
				unresolved--
			}
		}
		if changed {
			continue
		}
		for i, f := range fields {
			if plan[i] == planUnresolved && f.Value.Type() != pcommon.ValueTypeStr {
				plan[i], changed = planOmit, true
				unresolved--
			}
		}
		if !changed {
			break
		}
	}
	cutRoom := 0
	if unresolved > 0 {
		cutRoom = budget / unresolved
	}
	cut, omitted := 0, 0
	dst = append(dst, '{')
	written := 0
	for i, f := range fields {
		if plan[i] == planUnresolved {
			plan[i] = planOmit
			if cutRoom >= datadogMinCutChars {
				plan[i] = planCut
			} else if n := chars[i]; n <= budget {
				// Too many fields to share the room: keep them in order.
				plan[i], budget = planWhole, budget-n
			}
		}
		switch plan[i] {
		case planWhole:
			m := members[i]
			if written == 0 {
				m = m[1:] // no comma before the first member
			}
			dst = append(dst, m...)
			written++
		case planCut:
			dst = appendCutString(dst, f.Key, f.Value.Str(), written > 0, cutRoom)
			written++
			cut++
		default:
			omitted++
		}
	}
	if written > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, "\n  \"_truncated\": "...)
	note := fmt.Sprintf("%d of %d fields cut or left out to fit Datadog's %d characters", cut+omitted, len(fields), datadogMaxTextChars)
	dst = jsonw.AppendString(dst, note)
	return append(dst, "\n}"...)
}

// appendCutString writes key: "<the start of s>…" in at most room
// characters, keeping as much of s as fits once escaped.
func appendCutString(dst []byte, key, s string, comma bool, room int) []byte {
	start := len(dst)
	dst = appendIndentedKey(dst, key, comma)
	head := len(dst)
	fits := func(keep int) bool {
		out := jsonw.AppendString(dst[:head], truncateRunes(s, keep+1))
		return utf8.RuneCount(out[start:]) <= room
	}
	// Binary search for the longest prefix that fits: escapes make the
	// written length differ from the rune count.
	lo, hi := 0, min(utf8.RuneCountInString(s), room)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return jsonw.AppendString(dst[:head], truncateRunes(s, lo+1))
}

func appendIndentedKey(dst []byte, key string, comma bool) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = append(dst, "\n  "...)
	dst = jsonw.AppendString(dst, key)
	return append(dst, ": "...)
}

func (w *boundedText) appendMember(key string, v pcommon.Value, comma bool) {
	w.buf = appendIndentedKey(w.buf, key, comma)
	w.appendValue(v, 1)
}

// appendFields writes fields as an object in Python's
// json.dumps(indent=2) layout.
func (w *boundedText) appendFields(fields []formats.Field) {
	if len(fields) == 0 {
		w.buf = append(w.buf, "{}"...)
		return
	}
	w.buf = append(w.buf, '{')
	var keys jsonw.ObjectKeys
	first := true
	for i, f := range fields {
		if w.full() {
			return
		}
		mark := w.startKey(first, 0)
		start := len(w.buf)
		w.buf = jsonw.AppendString(w.buf, f.Key)
		if key := w.buf[start:]; !keys.Quick(key, f.Key) && !jsonw.FreshInFields(&keys, key, f.Key, fields[:i], nil) {
			w.buf = w.buf[:mark]
			continue
		}
		w.buf = append(w.buf, ": "...)
		first = false
		w.appendValue(f.Value, 1)
	}
	w.buf = append(w.buf, "\n}"...)
}

// startKey starts a member of an object whose keys sit at depth+1, up to
// its key, and returns where the member starts: a member whose key the
// object has already (see jsonw.ObjectKeys) is cut off there.
func (w *boundedText) startKey(first bool, depth int) int {
	mark := len(w.buf)
	if !first {
		w.buf = append(w.buf, ',')
	}
	w.appendIndent(depth + 1)
	return mark
}

// appendIndent starts a line indented for depth, with no more spaces than
// the limit leaves room for: a line deep down is as long as its depth.
func (w *boundedText) appendIndent(depth int) {
	w.buf = append(w.buf, '\n')
	n := min(2*depth, max(w.limit+1-len(w.buf), 0))
	for n > 0 {
		k := min(n, len(indentSpaces))
		w.buf = append(w.buf, indentSpaces[:k]...)
		n -= k
	}
}

const indentSpaces = "                                                                "

// appendValue writes v, whose key sits at depth.
func (w *boundedText) appendValue(v pcommon.Value, depth int) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		m := v.Map()
		if m.Len() == 0 {
			w.buf = append(w.buf, "{}"...)
			return
		}
		w.buf = append(w.buf, '{')
		var keys jsonw.ObjectKeys
		first := true
		i := -1
		for k, item := range m.All() {
			i++
			if w.full() {
				return
			}
			mark := w.startKey(first, depth)
			start := len(w.buf)
			w.buf = jsonw.AppendString(w.buf, k)
			if key := w.buf[start:]; !keys.Quick(key, k) && !keys.FreshInMap(key, k, m, i) {
				w.buf = w.buf[:mark]
				continue
			}
			w.buf = append(w.buf, ": "...)
			first = false
			w.appendValue(item, depth+1)
		}
		w.appendIndent(depth)
		w.buf = append(w.buf, '}')
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		if s.Len() == 0 {
			w.buf = append(w.buf, "[]"...)
			return
		}
		w.buf = append(w.buf, '[')
		for i := 0; i < s.Len(); i++ {
			if w.full() {
				return
			}
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.appendIndent(depth + 1)
			w.appendValue(s.At(i), depth+1)
		}
		w.appendIndent(depth)
		w.buf = append(w.buf, ']')
	default:
		w.buf = jsonw.AppendValue(w.buf, v)
	}
}
