package builtin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type teamsCard struct {
	Type        string `json:"type"`
	Attachments []struct {
		ContentType string `json:"contentType"`
		Content     struct {
			Type string `json:"type"`
			Body []struct {
				Type  string `json:"type"`
				Style string `json:"style"`
				Items []struct {
					Text string `json:"text"`
				} `json:"items"`
				Facts []struct {
					Title string `json:"title"`
					Value string `json:"value"`
				} `json:"facts"`
			} `json:"body"`
		} `json:"content"`
	} `json:"attachments"`
}

func encodeTeams(t testing.TB, events ...formats.Event) (Batch, []teamsCard) {
	t.Helper()
	batch, err := newTeams().Encode(events)
	require.NoError(t, err)
	require.Len(t, batch.Requests, len(events), "a card per event")
	var out []teamsCard
	for _, r := range batch.Requests {
		if a := judgeTeams(r.Body); a != nil {
			require.Failf(t, "Teams refuses the message", "%s: %.300s", a.Body, r.Body)
		}
		var c teamsCard
		require.NoError(t, json.Unmarshal(r.Body, &c), "%.300s", r.Body)
		out = append(out, c)
	}
	return batch, out
}

func TestTeamsSeedCard(t *testing.T) {
	_, got := encodeTeams(t, serviceEvent(t, seedData...))
	c := got[0]
	require.Len(t, c.Attachments, 1)
	card := c.Attachments[0].Content
	assert.Equal(t, "AdaptiveCard", card.Type)
	require.Len(t, card.Body, 2)
	assert.Equal(t, "warning", card.Body[0].Style)
	assert.Equal(t, "file_shared_externally", card.Body[0].Items[0].Text, "an _ inside a word is no emphasis: not escaped")
	assert.Equal(t, "warning · sentyr · 2025-10-29T12:00:00Z", card.Body[0].Items[1].Text)
	facts := card.Body[1].Facts
	require.Len(t, facts, 4)
	assert.Equal(t, "owner", facts[2].Title)
	assert.Equal(t, "user@example.com", facts[2].Value)
}

func TestTeamsStylesAndEmptyData(t *testing.T) {
	for severity, style := range map[string]string{formats.SeverityInfo: "accent", formats.SeverityWarning: "warning", formats.SeverityError: "attention", formats.SeverityCritical: "attention"} {
		ev := serviceEvent(t)
		ev.Severity = severity
		_, got := encodeTeams(t, ev)
		assert.Equal(t, style, got[0].Attachments[0].Content.Body[0].Style, severity)
		assert.Len(t, got[0].Attachments[0].Content.Body, 1, "no fact set without data")
	}
}

// Large and many values: the message stays within Teams' 28 KB, kept
// facts whole in order while they fit, one cut, and a note says how many.
func TestTeamsKeepsItsSize(t *testing.T) {
	big := strings.Repeat("<b>\n", 100<<10/4)
	kv := []any{"a", "first", "b", big, "c", big, "nested", map[string]any{"deep": big}}
	for i := range 2000 {
		kv = append(kv, fmt.Sprintf("z%04d", i), i)
	}
	batch, got := encodeTeams(t, serviceEvent(t, kv...))
	assert.LessOrEqual(t, len(batch.Requests[0].Body), teamsMaxMessageBytes)
	facts := got[0].Attachments[0].Content.Body[1].Facts
	assert.Equal(t, "a", facts[0].Title)
	assert.Equal(t, "first", facts[0].Value)
	assert.Equal(t, "b", facts[1].Title)
	assert.True(t, strings.HasSuffix(facts[1].Value, cutMarker))
	last := facts[len(facts)-1]
	assert.Equal(t, "_truncated", last.Title)
	assert.Contains(t, last.Value, "of 2004 fields cut or left out to fit Teams' 28 KB per message")
}

// The stand-in refuses a card over Teams' size and what is not a message
// of one Adaptive Card.
func TestTeamsServiceRefuses(t *testing.T) {
	ok := teamsService.Sample
	assert.Nil(t, judgeTeams([]byte(ok)))
	for name, body := range map[string]string{
		"over 28 KB":         strings.Replace(ok, `"body":[]`, `"body":[],"pad":"`+strings.Repeat("p", teamsMaxMessageBytes)+`"`, 1),
		"not a message":      strings.Replace(ok, `"type":"message"`, `"type":"note"`, 1),
		"another attachment": strings.Replace(ok, "vnd.microsoft.card.adaptive", "vnd.microsoft.card.hero", 1),
		"not JSON":           `{`,
	} {
		a := judgeTeams([]byte(body))
		if assert.NotNil(t, a, name) {
			assert.Contains(t, []int{400, 413}, a.Status, name)
		}
	}
}

// Hostile content shows in a card as the characters it is: Markdown's
// emphasis, links and code are escaped, in titles and values alike.
func TestTeamsEscapesMarkdown(t *testing.T) {
	ev := serviceEvent(t, "link", "[click](https://evil.example)", "bold", "**bold** *it* _it_ ~s~ `c` a\\b",
		"[key](https://evil.example)", "v", "snake_case_word", "x_y")
	ev.Type = "**urgent** [open](https://evil.example)"
	_, got := encodeTeams(t, ev)
	card := got[0].Attachments[0].Content
	assert.Equal(t, `\*\*urgent\*\* \[open\](https://evil.example)`, card.Body[0].Items[0].Text)
	facts := map[string]string{}
	for _, f := range card.Body[1].Facts {
		facts[f.Title] = f.Value
	}
	assert.Equal(t, `\[click\](https://evil.example)`, facts["link"])
	assert.Equal(t, "\\*\\*bold\\*\\* \\*it\\* \\_it\\_ \\~s\\~ \\`c\\` a\\\\b", facts["bold"])
	assert.Equal(t, "x_y", facts["snake_case_word"])
	assert.Contains(t, facts, `\[key\](https://evil.example)`)
}
