package builtin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodeSlack encodes events, and requires every message to be one the
// service takes.
func encodeSlack(t testing.TB, cfg SlackConfig, events ...formats.Event) (Batch, []map[string]any) {
	t.Helper()
	batch, err := newSlack(cfg).Encode(events)
	require.NoError(t, err)
	var out []map[string]any
	for _, r := range batch.Requests {
		if a := judgeSlack(r.Body); a != nil {
			require.Failf(t, "Slack refuses the message", "%s: %.500s", a.Body, r.Body)
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &m))
		out = append(out, m)
	}
	return batch, out
}

// slackTexts are the texts of a message and the types of its text objects.
func slackTexts(m map[string]any) (texts []string, types map[string]int) {
	types = map[string]int{}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch v := v.(type) {
		case map[string]any:
			if t, ok := v["type"].(string); ok && isString(v["text"]) {
				types[t]++
			}
			for k, item := range v {
				walk(item, k)
			}
		case []any:
			for _, item := range v {
				walk(item, key)
			}
		case string:
			if key == "text" {
				texts = append(texts, v)
			}
		}
	}
	walk(m, "")
	return texts, types
}

func TestSlackSeedMessage(t *testing.T) {
	_, got := encodeSlack(t, SlackConfig{}, serviceEvent(t, seedData...))
	require.Len(t, got, 1)
	texts, types := slackTexts(got[0])
	assert.Equal(t, []string{"[warning] file_shared_externally", "[warning] file_shared_externally", "sentyr · 2025-10-29T12:00:00Z",
		"file_id\nabc123", "file_name\nsensitive.pdf", "owner\nuser@example.com", "shared_with\nexternal@partner.com"}, sortedTexts(texts))
	assert.Equal(t, map[string]int{"plain_text": 6}, types, "no text is read as mrkdwn")
}

func sortedTexts(texts []string) []string {
	// The walk visits the top-level text in map order: put it first.
	out := []string{}
	for _, t := range texts {
		if t == "[warning] file_shared_externally" {
			out = append(out, t)
		}
	}
	for _, t := range texts {
		if t != "[warning] file_shared_externally" {
			out = append(out, t)
		}
	}
	return out
}

// Hostile content arrives escaped and cut, never as markup: no mention, no
// link, no bold; a 100 KB value is cut to a field's 2,000 characters with
// the marker; newlines stay inside their field.
func TestSlackHostileContentArrivesEscapedAndCut(t *testing.T) {
	big := strings.Repeat("<!here>", 100<<10/7)
	ev := serviceEvent(t,
		"mention", "<!channel> look", "link", "<https://evil.example|click> here",
		"bold", "*bold* _it_ ~s~ `c` :smile:", "big", big, "lines", "a\nb\r\nc\x00d",
		"<!everyone>", "key as markup")
	ev.Type = "<!channel>"
	_, got := encodeSlack(t, SlackConfig{}, ev)
	texts, types := slackTexts(got[0])
	assert.Equal(t, []string{"plain_text"}, mapKeys(types), "plain_text shows *, _, ~ and ` as they are")
	all := strings.Join(texts, "\n")
	assert.NotContains(t, all, "<")
	assert.NotContains(t, all, ">")
	assert.Contains(t, all, "mention\n&lt;!channel&gt; look")
	assert.Contains(t, all, "link\n&lt;https://evil.example|click&gt; here")
	assert.Contains(t, all, "*bold* _it_ ~s~ `c` :smile:")
	assert.Contains(t, all, "a\nb \nc d", "control characters as spaces")
	assert.Contains(t, all, "&lt;!everyone&gt;\nkey as markup")
	for _, text := range texts {
		if strings.HasPrefix(text, "big\n") {
			assert.Equal(t, slackMaxFieldChars, utf8.RuneCountInString(text))
			assert.True(t, strings.HasSuffix(text, "&gt;"+cutMarker) || strings.HasSuffix(text, "!here&gt;"+cutMarker) || strings.HasSuffix(text, cutMarker))
			assert.NotContains(t, text, "&l"+cutMarker, "a cut never splits an entity")
		}
	}
}

func mapKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// However many and however large its fields, a message keeps Slack's 50
// blocks, 10 fields a section and its characters, and says what it left
// out.
func TestSlackKeepsItsLimits(t *testing.T) {
	var kv []any
	for i := range 1000 {
		kv = append(kv, fmt.Sprintf("f%04d", i), strings.Repeat("v", 500))
	}
	_, got := encodeSlack(t, SlackConfig{}, serviceEvent(t, kv...))
	blocks := got[0]["blocks"].([]any)
	assert.LessOrEqual(t, len(blocks), slackMaxBlocks)
	assert.Contains(t, lastBlockText(blocks), "fields cut or left out to fit Slack's limits of a message")

	// Many tiny fields: the blocks run out before the characters.
	kv = nil
	for i := range 1000 {
		kv = append(kv, fmt.Sprintf("f%04d", i), i)
	}
	_, got = encodeSlack(t, SlackConfig{}, serviceEvent(t, kv...))
	blocks = got[0]["blocks"].([]any)
	assert.Len(t, blocks, slackMaxBlocks)
	assert.Contains(t, lastBlockText(blocks), "530 of 1000 fields cut or left out")
}

// A storm packed into messages: 300 events, up to 16 a message, each
// message within Slack's limits, every event in exactly one message, in
// order.
func TestSlackPacksEventsIntoMessages(t *testing.T) {
	events := make([]formats.Event, 300)
	for i := range events {
		events[i] = serviceEvent(t, "n", i, "note", strings.Repeat("x", 3000))
		events[i].Severity = formats.SeverityCritical
	}
	batch, got := encodeSlack(t, SlackConfig{EventsPerMessage: slackMaxEventsPerMessage}, events...)
	assert.Len(t, got, 19)
	assert.False(t, batch.Concurrent, "in order, one at a time")
	next := 0
	for _, r := range batch.Requests {
		for _, i := range r.Events {
			assert.Equal(t, next, i)
			next++
		}
	}
	assert.Equal(t, 300, next)
	assert.Equal(t, slackMinInterval, newSlack(SlackConfig{}).Wire().MinInterval, "the exporter is told Slack's pace")
}

func TestSlackAnswers(t *testing.T) {
	req := &Request{Events: []int{0, 1}}
	assert.Nil(t, readSlackAnswer(req, 200, []byte("ok")))
	assert.Nil(t, readSlackAnswer(req, 429, []byte("rate_limited")), "429: retried by its status, after its Retry-After")
	assert.Nil(t, readSlackAnswer(req, 500, []byte("internal_error")))
	for code, status := range map[string]int{"invalid_payload": 400, "no_service": 404, "channel_is_archived": 410, "action_prohibited": 403} {
		got := readSlackAnswer(req, status, []byte(code+"\n"))
		require.Len(t, got, 2, code)
		assert.Equal(t, Drop, got[0].Outcome, code)
		assert.True(t, got[0].WholeRequest, code)
		assert.Contains(t, got[0].Reason, code+"): "+slackRefusals[code])
	}
	assert.Nil(t, readSlackAnswer(req, 400, []byte("something else")), "an unknown answer is judged by its status")
}

func TestSlackCheck(t *testing.T) {
	for _, n := range []int{0, 1, slackMaxEventsPerMessage} {
		assert.NoError(t, (&SlackConfig{EventsPerMessage: n}).check())
	}
	assert.ErrorContains(t, (&SlackConfig{EventsPerMessage: 17}).check(), "slack::events_per_message: 17 is out of range; write 1 to 16")
}

// The stand-in refuses what Slack refuses, and a message that would reach
// a channel as markup.
func TestSlackServiceRefuses(t *testing.T) {
	assert.Nil(t, judgeSlack([]byte(slackService.Sample)))
	for name, body := range map[string]string{
		"not JSON":              `{`,
		"no text":               `{"blocks":[]}`,
		"an unescaped @channel": `{"text":"<!channel> hi"}`,
		"a forged link":         `{"text":"t","blocks":[{"type":"section","text":{"type":"plain_text","text":"<https://evil|click>"}}]}`,
		"a bare ampersand":      `{"text":"a & b"}`,
		"a long header":         `{"text":"t","blocks":[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]}`,
		"a long field":          `{"text":"t","blocks":[{"type":"section","fields":[{"type":"plain_text","text":"` + strings.Repeat("f", 2001) + `"}]}]}`,
		"51 blocks":             `{"text":"t","blocks":[` + strings.TrimSuffix(strings.Repeat(`{"type":"context","elements":[{"type":"plain_text","text":"c"}]},`, 51), ",") + `]}`,
		"too long in all":       `{"text":"t","blocks":[` + strings.TrimSuffix(strings.Repeat(`{"type":"section","text":{"type":"plain_text","text":"`+strings.Repeat("s", 3000)+`"}},`, 5), ",") + `]}`,
	} {
		a := judgeSlack([]byte(body))
		if assert.NotNil(t, a, name) {
			assert.Equal(t, 400, a.Status, name)
		}
	}
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// lastBlockText is the text of the last block, a context block.
func lastBlockText(blocks []any) string {
	last := blocks[len(blocks)-1].(map[string]any)
	return last["elements"].([]any)[0].(map[string]any)["text"].(string)
}

// The token in a webhook's path is named for redaction.
func TestSlackEndpointSecrets(t *testing.T) {
	b, _ := LookupBuiltin("slack")
	assert.Equal(t, []string{"XXXXXXXXXXXXXXXXXXXXXXXX"}, b.EndpointSecrets("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"))
	assert.Empty(t, b.EndpointSecrets("https://hooks.slack.com/"))
}
