package builtin

import (
	"unsafe"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
)

// Limits of a Teams message posted by a Workflows webhook: about 28 KB a
// message, the card included (Microsoft's Teams connector reference: "the
// message size limit is approximately 28 KB"), kept in decimal bytes. A
// fact's title is cut like a header.
const (
	teamsMaxMessageBytes = 28_000
	teamsMaxTitleChars   = 256
	// teamsMaxFacts is the most facts a card shows: far more than fit.
	teamsMaxFacts = 1000
)

// teamsLimitNote is what a cut says it made room for.
const teamsLimitNote = "Teams' 28 KB per message"

// teamsEncoder writes a message of one Adaptive Card per event: its type in
// a container styled by its severity, a byline with the severity, source
// and time, and its data as a fact set, within Teams' size of a message.
// Every text has its Markdown escaped: no content shows as formatting or
// a link.
type teamsEncoder struct {
	bodies bodyBuffers
}

func newTeams() *teamsEncoder { return &teamsEncoder{} }

// ContentType implements Encoder.
func (e *teamsEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder: the status decides (202 taken).
func (e *teamsEncoder) Wire() Wire { return Wire{} }

// Encode implements Encoder: a card per event, in order.
func (e *teamsEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Requests: make([]Request, len(events))}
	indices := make([]int, len(events))
	buf := e.bodies.get(len(events), teamsMaxMessageBytes)
	var scratch alertScratch
	for i := range events {
		buf = growBody(buf)
		start := len(buf)
		buf = appendTeamsMessage(buf, &scratch, &events[i])
		indices[i] = i
		batch.Requests[i] = eventRequest(buf, start, indices, i)
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

// AppendMessage appends the message of one event, as the README shows it.
func (e *teamsEncoder) AppendMessage(dst []byte, ev *formats.Event) []byte {
	return appendTeamsMessage(dst, &alertScratch{}, ev)
}

// teamsStyle is the container style of a severity.
func teamsStyle(severity string) string {
	switch severity {
	case formats.SeverityCritical, formats.SeverityError:
		return "attention"
	case formats.SeverityWarning:
		return "warning"
	}
	return "accent"
}

func appendTeamsMessage(dst []byte, s *alertScratch, ev *formats.Event) []byte {
	start := len(dst)
	dst = append(dst, `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{`...)
	dst = append(dst, `"type":"AdaptiveCard","version":"1.4","body":[{"type":"Container","style":"`...)
	dst = append(dst, teamsStyle(ev.Severity)...)
	dst = append(dst, `","items":[{"type":"TextBlock","text":`...)
	s.text, _, _ = appendChatText(s.text[:0], ev.Type, teamsMaxTitleChars, cardMarkdown)
	dst = appendBytesAsString(dst, s.text)
	dst = append(dst, `,"weight":"Bolder","wrap":true},{"type":"TextBlock","text":`...)
	s.line = append(append(s.line[:0], ev.Severity...), " · "...)
	s.line = appendEventByline(s.line, ev)
	s.text, _, _ = appendChatBytes(s.text[:0], s.line, teamsMaxTitleChars, cardMarkdown)
	dst = appendBytesAsString(dst, s.text)
	dst = append(dst, `,"isSubtle":true,"wrap":true}]}`...)
	const closing = `]}}]}`
	if len(ev.Data) > 0 {
		dst = append(dst, `,{"type":"FactSet","facts":[`...)
		// The fact set's closing and the card's, and the note of a cut.
		budget := teamsMaxMessageBytes - (len(dst) - start) - len(closing) - 2 - truncationReserve
		dst = s.appendFacts(dst, ev.Data, budget)
		dst = append(dst, "]}"...)
	}
	return append(dst, closing...)
}

// appendFacts writes the facts of data, by key, in at most budget bytes:
// facts are kept whole while they fit, a value that does not is cut to the
// room left when that is worth it, and the rest are left out; a last fact
// says how many were cut or left out.
func (s *alertScratch) appendFacts(dst []byte, data []formats.Field, budget int) []byte {
	start := len(dst)
	fields := s.sortedFields(data, teamsMaxFacts)
	changed := len(data) - len(fields)
	for _, f := range fields {
		at := len(dst)
		if budget-(at-start) < minCutBytes+len(`,{"title":"","value":""}`) {
			changed++
			continue
		}
		if at > start {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"title":`...)
		s.text, _, _ = appendChatText(s.text[:0], f.Key, teamsMaxTitleChars, cardMarkdown)
		dst = appendBytesAsString(dst, s.text)
		dst = append(dst, `,"value":`...)
		s.line = appendValueText(s.line[:0], f.Value, teamsMaxMessageBytes)
		s.text, _, _ = appendChatBytes(s.text[:0], s.line, teamsMaxMessageBytes, cardMarkdown)
		room := budget - (len(dst) - start) - 1
		if room < minCutBytes {
			dst = dst[:at]
			changed++
			continue
		}
		var cut bool
		dst, cut = appendStringWithin(dst, unsafe.String(unsafe.SliceData(s.text), len(s.text)), room)
		if cut {
			changed++
		}
		dst = append(dst, '}')
	}
	clear(fields)
	s.fields = fields[:0]
	if changed > 0 {
		if len(dst) > start {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"title":"_truncated","value":`...)
		dst = jsonw.AppendString(dst, chatFieldNote(changed, len(data), teamsLimitNote))
		dst = append(dst, '}')
	}
	return dst
}
