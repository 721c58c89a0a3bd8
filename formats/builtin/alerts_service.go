package builtin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
)

// testPagerDutyKey is the test routing key: 32 characters, as PagerDuty's
// integration keys are.
const testPagerDutyKey = "R0123456789abcdef0123456789abcde"

// pagerDutyService is the Events API v2 as its stand-ins must take it: it
// reads the routing key, the action and the payload from the body and
// refuses an event that lacks them or passes its limits.
var pagerDutyService = Service{
	Path:       "/v2/enqueue",
	Settings:   map[string]any{"pagerduty": map[string]any{"routing_key": testPagerDutyKey}},
	TestSecret: testPagerDutyKey, Body: BodyObject,
	Accept: answerOK(202, "application/json", `{"status":"success","message":"Event processed","dedup_key":"srv01"}`),
	Refuse: pagerDutyInvalid("'routing_key' is invalid"),
	Judge:  judgePagerDuty,
	Sample: `{"routing_key":"` + testPagerDutyKey + `","event_action":"trigger","dedup_key":"k1",` +
		`"payload":{"summary":"s","source":"h","severity":"info"}}`,
	Dedup: pagerDutyDedupKey,
}

// pagerDutyInvalid is the Events API's 400, naming what is wrong.
func pagerDutyInvalid(errs ...string) Answer {
	body, _ := json.Marshal(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
	return Answer{Status: http.StatusBadRequest, ContentType: "application/json", Body: string(body)}
}

type pagerDutyEvent struct {
	RoutingKey  *string `json:"routing_key"`
	EventAction string  `json:"event_action"`
	DedupKey    string  `json:"dedup_key"`
	Payload     *struct {
		Summary  *string `json:"summary"`
		Source   *string `json:"source"`
		Severity string  `json:"severity"`
	} `json:"payload"`
}

// judgePagerDuty refuses what the Events API v2 refuses: no routing key
// or another one, an action other than trigger, acknowledge and resolve, a
// trigger without summary, source or a known severity, a summary over its
// characters, a dedup_key over 255 characters, an event over its bytes.
func judgePagerDuty(body []byte) *Answer {
	if len(body) > pagerDutyMaxEventBytes {
		a := Answer{Status: http.StatusRequestEntityTooLarge, ContentType: "text/plain", Body: "Request Entity Too Large"}
		return &a
	}
	var ev pagerDutyEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		a := pagerDutyInvalid("Event object is not valid JSON")
		return &a
	}
	var errs []string
	switch {
	case ev.RoutingKey == nil:
		errs = append(errs, "'routing_key' is missing or blank")
	case *ev.RoutingKey != testPagerDutyKey:
		errs = append(errs, "'routing_key' is invalid")
	}
	switch ev.EventAction {
	case "trigger":
		p := ev.Payload
		switch {
		case p == nil:
			errs = append(errs, "'payload' is missing or blank")
		default:
			if p.Summary == nil || strings.TrimSpace(*p.Summary) == "" {
				errs = append(errs, "'payload.summary' is missing or blank")
			} else if n := utf8.RuneCountInString(*p.Summary); n > pagerDutyMaxSummaryChars {
				errs = append(errs, fmt.Sprintf("'payload.summary' is %d characters, over %d", n, pagerDutyMaxSummaryChars))
			}
			if p.Source == nil || strings.TrimSpace(*p.Source) == "" {
				errs = append(errs, "'payload.source' is missing or blank")
			}
			switch p.Severity {
			case formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical:
			default:
				errs = append(errs, "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
			}
		}
	case "acknowledge", "resolve":
	default:
		errs = append(errs, "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
	}
	if utf8.RuneCountInString(ev.DedupKey) > 255 {
		errs = append(errs, "'dedup_key' is over 255 characters")
	}
	if len(errs) == 0 {
		return nil
	}
	a := pagerDutyInvalid(errs...)
	return &a
}

// pagerDutyDedupKey is the event's dedup_key: PagerDuty adds an event to
// the open alert of its key instead of opening another.
func pagerDutyDedupKey(body []byte) string {
	var ev pagerDutyEvent
	_ = json.Unmarshal(body, &ev)
	return ev.DedupKey
}

// testSlackToken is the stand-in webhook's token, the last segment of
// its path.
const testSlackToken = "sLaCkT0kenOfTheStandIn42"

// slackService is an incoming webhook as its stand-ins must take it: the
// webhook URL is the credential; Slack answers "ok", or a code in plain
// text, and takes a message a second.
var slackService = Service{
	Path: "/services/T00000000/B00000000/" + testSlackToken,
	// The webhook's token is its credential, in the path
	// (Builtin.EndpointSecrets): the hostile tests look for it.
	TestSecret: testSlackToken,
	Body:       BodyObject,
	Accept:     answerOK(200, "text/html", "ok"),
	Refuse:     Answer{Status: http.StatusNotFound, ContentType: "text/html", Body: "no_service"},
	Judge:      judgeSlack,
	Sample:     `{"text":"t","blocks":[{"type":"section","text":{"type":"plain_text","text":"a &lt;b&gt; &amp; c"}}]}`,
	// Slack's rate for incoming webhooks.
	MinInterval: slackMinInterval,
}

// slackAnswer is a refusal of an incoming webhook: its code in plain text.
func slackAnswer(status int, code string) *Answer {
	return &Answer{Status: status, ContentType: "text/html", Body: code}
}

type slackMessage struct {
	Text   *string `json:"text"`
	Blocks []struct {
		Type     string      `json:"type"`
		Text     *slackText  `json:"text"`
		Fields   []slackText `json:"fields"`
		Elements []slackText `json:"elements"`
	} `json:"blocks"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// judgeSlack refuses what an incoming webhook refuses: no message, no
// text, blocks over Slack's limits; and text with &, < or > not written
// as Slack's entities, which Slack would read as a mention (<!channel>) or
// a link (<https://evil|click>): a message must never carry them from
// event content.
func judgeSlack(body []byte) *Answer {
	var m slackMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return slackAnswer(http.StatusBadRequest, "invalid_payload")
	}
	if (m.Text == nil || *m.Text == "") && len(m.Blocks) == 0 {
		return slackAnswer(http.StatusBadRequest, "no_text")
	}
	if len(m.Blocks) > slackMaxBlocks {
		return slackAnswer(http.StatusBadRequest, "invalid_blocks")
	}
	texts := []string{}
	if m.Text != nil {
		texts = append(texts, *m.Text)
	}
	chars := 0
	for _, b := range m.Blocks {
		var limit int
		var objects []slackText
		switch b.Type {
		case "header":
			limit = slackMaxHeaderChars
		case "section":
			limit = slackMaxTextChars
			if len(b.Fields) > slackMaxSectionFields {
				return slackAnswer(http.StatusBadRequest, "invalid_blocks")
			}
		case "context":
			limit = slackMaxTextChars
		default:
			return slackAnswer(http.StatusBadRequest, "invalid_blocks")
		}
		if b.Text != nil {
			objects = append(objects, *b.Text)
		}
		for _, f := range b.Fields {
			if utf8.RuneCountInString(f.Text) > slackMaxFieldChars {
				return slackAnswer(http.StatusBadRequest, "invalid_blocks")
			}
		}
		objects = append(append(objects, b.Fields...), b.Elements...)
		for _, o := range objects {
			n := utf8.RuneCountInString(o.Text)
			if n > limit || (o.Type != "plain_text" && o.Type != "mrkdwn") || (b.Type == "header" && o.Type != "plain_text") {
				return slackAnswer(http.StatusBadRequest, "invalid_blocks")
			}
			chars += n
			texts = append(texts, o.Text)
		}
	}
	if chars > slackMaxBlockChars {
		return slackAnswer(http.StatusBadRequest, "msg_blocks_too_long")
	}
	for _, t := range texts {
		if !slackEscaped(t) {
			return slackAnswer(http.StatusBadRequest, fmt.Sprintf("unescaped_markup (the stand-in's refusal: Slack would read %.40q as markup)", t))
		}
	}
	return nil
}

// slackEscaped says that t has no <, > or & that is not one of Slack's
// three entities.
func slackEscaped(t string) bool {
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '<', '>':
			return false
		case '&':
			rest := t[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				return false
			}
		}
	}
	return true
}

// teamsService is a Teams Workflows webhook as its stand-ins must take it:
// the URL's signature is the credential; the flow answers 202 to a message
// of one Adaptive Card within Teams' size of a message.
var teamsService = Service{
	Path: "/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke" +
		"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + testTeamsSignature,
	TestSecret: testTeamsSignature,
	Body:       BodyObject,
	Accept:     answerOK(202, "", ""),
	Refuse: Answer{Status: http.StatusUnauthorized, ContentType: "application/json",
		Body: `{"error":{"code":"DirectApiInvalidAuthorizationScheme","message":"The provided authorization scheme is not valid."}}`},
	Judge:  judgeTeams,
	Sample: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[]}}]}`,
}

// testTeamsSignature is the test Workflows URL's signature.
const testTeamsSignature = "teams-test-signature-0123456789abcdef"

func teamsError(status int, code, message string) *Answer {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return &Answer{Status: status, ContentType: "application/json", Body: string(body)}
}

// judgeTeams refuses what a Workflows webhook posting a card refuses: a
// message over Teams' size, or one that is not a message of one Adaptive
// Card.
func judgeTeams(body []byte) *Answer {
	if len(body) > teamsMaxMessageBytes {
		return teamsError(http.StatusRequestEntityTooLarge, "MessageSizeTooBig", "Request Entity too large")
	}
	var m struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     *struct {
				Type string `json:"type"`
				Body []any  `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if json.Unmarshal(body, &m) != nil || m.Type != "message" {
		return teamsError(http.StatusBadRequest, "InvalidRequestContent", "the request content is not a message")
	}
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
		m.Attachments[0].Content == nil || m.Attachments[0].Content.Type != "AdaptiveCard" {
		return teamsError(http.StatusBadRequest, "InvalidRequestContent", "the message must carry one Adaptive Card")
	}
	return nil
}
