package builtin

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Limits of a Slack message posted to an incoming webhook, in characters:
// Slack's Block Kit reference (a header's plain_text 150, a section's
// field 2,000 and fields 10, blocks 50 per message) and its rate of one
// message a second per webhook. The blocks of one message are kept to
// 12,000 characters in all: Slack refuses longer ones (msg_blocks_too_long)
// before the sum of its documented limits (slackapi/bolt-js#2509).
const (
	slackMaxHeaderChars   = 150
	slackMaxFieldChars    = 2000
	slackMaxSectionFields = 10
	slackMaxBlocks        = 50
	slackMaxBlockChars    = 12_000
	slackMaxTextChars     = 3000
	slackMinInterval      = time.Second
	// slackMaxEventsPerMessage keeps three blocks (a header, its byline
	// and a section of fields) for each event of a message.
	slackMaxEventsPerMessage = slackMaxBlocks / 3
	// A field cut shorter than this says too little to be worth its room.
	slackMinCutChars = 64
	// slackNoteChars is the room kept for the note of what was cut.
	slackNoteChars = 96
)

// slackLimitsNote is what a cut says it made room for.
const slackLimitsNote = "Slack's limits of a message"

// SlackConfig configures the Slack incoming-webhook format.
type SlackConfig struct {
	// EventsPerMessage packs up to this many events of a batch into one
	// message (0 or 1: a message per event), within Slack's limits of a
	// message: a storm is then fewer messages at Slack's one a second.
	EventsPerMessage int `mapstructure:"events_per_message"`
	_                struct{}
}

func (c *SlackConfig) check() error {
	if c.EventsPerMessage < 0 || c.EventsPerMessage > slackMaxEventsPerMessage {
		return fmt.Errorf("slack::events_per_message: %d is out of range; write 1 to %d (a message keeps three of Slack's %d blocks for each event)",
			c.EventsPerMessage, slackMaxEventsPerMessage, slackMaxBlocks)
	}
	return nil
}

// slackEncoder writes Block Kit messages for an incoming webhook: per event
// a header with its severity and type, a byline with its source and time,
// and its data as section fields. Every text is plain_text with &, < and >
// escaped: no content is read as markup, a mention or a link.
type slackEncoder struct {
	perMessage int
	bodies     bodyBuffers
}

func newSlack(cfg SlackConfig) *slackEncoder {
	return &slackEncoder{perMessage: max(cfg.EventsPerMessage, 1)}
}

// ContentType implements Encoder.
func (e *slackEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder: Slack takes a message a second per webhook.
func (e *slackEncoder) Wire() Wire {
	return Wire{ReadAnswer: readSlackAnswer, MinInterval: slackMinInterval}
}

// Encode implements Encoder. The messages of a batch go in order, one at a
// time: the channel shows them as they came.
func (e *slackEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Requests: make([]Request, 0, (len(events)+e.perMessage-1)/e.perMessage)}
	indices := make([]int, len(events))
	buf := e.bodies.get((len(events)+e.perMessage-1)/e.perMessage, 0)
	var scratch alertScratch
	for first := 0; first < len(events); first += e.perMessage {
		last := min(first+e.perMessage, len(events))
		buf = growBody(buf)
		start := len(buf)
		for i := first; i < last; i++ {
			indices[i] = i
		}
		buf = appendSlackMessage(buf, &scratch, events[first:last])
		batch.Requests = append(batch.Requests, Request{Body: buf[start:len(buf):len(buf)], Events: indices[first:last:last]})
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

// AppendMessage appends the message of events, as the README shows it.
func (e *slackEncoder) AppendMessage(dst []byte, events []formats.Event) []byte {
	return appendSlackMessage(dst, &alertScratch{}, events)
}

// appendSlackMessage writes one message of events, each given an equal
// share of the message's blocks and characters.
func appendSlackMessage(dst []byte, s *alertScratch, events []formats.Event) []byte {
	dst = append(dst, `{"text":`...)
	// The notification's text: each event's title, one a line.
	scratch := s.text[:0]
	room := slackMaxTextChars
	for i := range events {
		if i > 0 {
			scratch = append(scratch, '\n')
			room--
		}
		var n int
		s.line = appendEventTitle(s.line[:0], &events[i])
		scratch, n, _ = appendChatBytes(scratch, s.line, min(room, slackMaxHeaderChars), slackMarkup)
		room -= n
	}
	dst = appendBytesAsString(dst, scratch)
	s.text = scratch
	dst = append(dst, `,"blocks":[`...)
	blocks, chars := slackMaxBlocks/len(events), slackMaxBlockChars/len(events)
	for i := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendSlackEvent(dst, s, &events[i], blocks, chars)
	}
	return append(dst, "]}"...)
}

// appendSlackEvent writes the blocks of one event, at most blocks of them
// and chars characters of text.
func appendSlackEvent(dst []byte, s *alertScratch, ev *formats.Event, blocks, chars int) []byte {
	var n int
	s.line = appendEventTitle(s.line[:0], ev)
	scratch, n, _ := appendChatBytes(s.text[:0], s.line, slackMaxHeaderChars, slackMarkup)
	chars -= n
	dst = append(dst, `{"type":"header","text":`...)
	dst = appendSlackPlain(dst, scratch)
	s.line = appendEventByline(s.line[:0], ev)
	scratch, n, _ = appendChatBytes(scratch[:0], s.line, slackMaxHeaderChars, slackMarkup)
	chars -= n
	dst = append(dst, `},{"type":"context","elements":[`...)
	dst = appendSlackPlain(dst, scratch)
	dst = append(dst, "]}"...)
	// The header and its byline, and room for a note of what was cut.
	sections := blocks - 3
	chars -= slackNoteChars
	fields := s.sortedFields(ev.Data, sections*slackMaxSectionFields)
	changed, inSection := len(ev.Data)-len(fields), 0
	for _, f := range fields {
		if inSection == slackMaxSectionFields {
			inSection = 0
		}
		scratch, n, _ = appendChatText(scratch[:0], f.Key, slackMaxHeaderChars, slackMarkup)
		scratch = append(scratch, '\n')
		room := min(slackMaxFieldChars, chars) - n - 1
		var cut bool
		var m int
		if room > 0 {
			if f.Value.Type() == pcommon.ValueTypeStr {
				scratch, m, cut = appendChatText(scratch, f.Value.Str(), room, slackMarkup)
			} else {
				s.line = appendValueText(s.line[:0], f.Value, maxTextBytes(slackMaxFieldChars))
				scratch, m, cut = appendChatBytes(scratch, s.line, room, slackMarkup)
			}
		}
		if room < slackMinCutChars && (cut || room <= 0) {
			changed++
			continue
		}
		if cut {
			changed++
		}
		chars -= n + 1 + m
		if inSection == 0 {
			dst = append(dst, `,{"type":"section","fields":[`...)
			sections--
		} else {
			dst = append(dst, ',')
		}
		dst = appendSlackPlain(dst, scratch)
		inSection++
		if inSection == slackMaxSectionFields {
			dst = append(dst, "]}"...)
		}
	}
	if inSection > 0 && inSection < slackMaxSectionFields {
		dst = append(dst, "]}"...)
	}
	if changed > 0 {
		dst = append(dst, `,{"type":"context","elements":[`...)
		dst = appendSlackPlain(dst, []byte(chatFieldNote(changed, len(ev.Data), slackLimitsNote)))
		dst = append(dst, "]}"...)
	}
	clear(fields)
	s.text, s.fields = scratch, fields[:0]
	return dst
}

// appendSlackPlain writes a plain_text object of text, already escaped:
// plain_text shows *, _, ~ and ` as they are.
func appendSlackPlain(dst, text []byte) []byte {
	dst = append(dst, `{"type":"plain_text","text":`...)
	dst = appendBytesAsString(dst, text)
	return append(dst, '}')
}

// slackRefusals are the answers with which an incoming webhook refuses a
// message for good, and what they mean.
var slackRefusals = map[string]string{
	"invalid_payload":                   "the message is not valid JSON or not a message",
	"invalid_blocks":                    "a block of the message is malformed or over its limits",
	"invalid_blocks_format":             "the message's blocks are not a list of blocks",
	"msg_blocks_too_long":               "the message's blocks are too long",
	"no_text":                           "the message has no text",
	"too_many_attachments":              "the message has more than 100 attachments",
	"user_not_found":                    "the webhook's user is gone",
	"channel_not_found":                 "the webhook's channel is gone: make a new webhook",
	"channel_is_archived":               "the webhook's channel is archived: unarchive it or make a new webhook",
	"action_prohibited":                 "an admin restricted posting to the webhook's channel",
	"posting_to_general_channel_denied": "only admins may post to the workspace's general channel",
	"no_service":                        "the webhook is disabled, removed or invalid: make a new one and set endpoint to its URL",
	"no_service_id":                     "the webhook URL has no service id: set endpoint to the whole URL Slack gave",
	"no_team":                           "the webhook's workspace is gone or the URL is wrong",
	"team_disabled":                     "the webhook's workspace is disabled",
	"invalid_token":                     "the webhook's token is no longer valid: make a new webhook",
}

// readSlackAnswer is the format's Wire.ReadAnswer: an incoming webhook
// answers "ok", or a code in plain text. A known code refuses the message
// for good, with its meaning; 429 and 5xx are judged by their status.
func readSlackAnswer(req *Request, status int, body []byte) []Result {
	if status == http.StatusTooManyRequests || status >= 500 {
		return nil
	}
	code := string(bytes.TrimSpace(body))
	meaning, ok := slackRefusals[code]
	if !ok {
		return nil
	}
	return allResults(req, refusedRequest(fmt.Sprintf("Slack refused the message (%d %s): %s", status, code, meaning)))
}

// slackEndpointSecrets is the token of an incoming webhook's URL,
// https://hooks.slack.com/services/<team>/<bot>/<token>: whoever has it
// posts to the channel.
func slackEndpointSecrets(endpoint string) []string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segments) < 2 || segments[len(segments)-1] == "" {
		return nil
	}
	return segments[len(segments)-1:]
}
