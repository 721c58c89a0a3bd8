package builtin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/config/configopaque"
)

// Limits of PagerDuty's Events API v2: the summary's characters and the
// bytes of one event (its documented 512 KB).
const (
	pagerDutyMaxSummaryChars = 1024
	pagerDutyMaxEventBytes   = 512 << 10
)

// pagerDutyDetailsNote is what a cut of custom_details says it made room for.
const pagerDutyDetailsNote = "PagerDuty's 512 KB per event"

// PagerDutyConfig configures the PagerDuty Events API v2 format.
type PagerDutyConfig struct {
	// RoutingKey is the integration key of a service's Events API v2
	// integration; it goes in every event's body.
	RoutingKey configopaque.String `mapstructure:"routing_key"`
	// Component, Group and Class are written into every event's payload;
	// the attribute settings name a record or resource attribute whose
	// value is written instead where an event has it. Class defaults to
	// the event's type.
	Component          string `mapstructure:"component"`
	Group              string `mapstructure:"group"`
	Class              string `mapstructure:"class"`
	ComponentAttribute string `mapstructure:"component_attribute"`
	GroupAttribute     string `mapstructure:"group_attribute"`
	ClassAttribute     string `mapstructure:"class_attribute"`
	_                  struct{}
}

// check checks the PagerDuty settings: without a routing key the service
// refuses every event.
func (c *PagerDutyConfig) check() error {
	if strings.TrimSpace(string(c.RoutingKey)) == "" {
		return fmt.Errorf("pagerduty::routing_key: not set; write the Integration Key of the service's Events API v2 integration, e.g. routing_key: ${env:PAGERDUTY_ROUTING_KEY}")
	}
	return nil
}

// routes are the attributes that set a payload member.
func (c *PagerDutyConfig) routes() []string {
	out := []string{attrHostName}
	for _, a := range []string{c.ComponentAttribute, c.GroupAttribute, c.ClassAttribute} {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// pagerDutyEncoder writes Events API v2 trigger events, one per request:
// the event id is the dedup_key, so that a retry, a replica or a replay of
// an event adds to its alert instead of paging again.
type pagerDutyEncoder struct {
	cfg    PagerDutyConfig
	bodies bodyBuffers
}

func newPagerDuty(cfg PagerDutyConfig) *pagerDutyEncoder { return &pagerDutyEncoder{cfg: cfg} }

// ContentType implements Encoder.
func (e *pagerDutyEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder.
func (e *pagerDutyEncoder) Wire() Wire { return Wire{ReadAnswer: readPagerDutyAnswer} }

// Encode implements Encoder. Events go apart and may go concurrently.
func (e *pagerDutyEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Concurrent: true}
	batch.Requests = make([]Request, 0, len(events))
	indices := make([]int, len(events))
	buf := e.bodies.get(len(events), 0)
	var scratch alertScratch
	for i := range events {
		indices[i] = i
		buf = growBody(buf)
		start := len(buf)
		buf = e.appendEvent(buf, &scratch, &events[i])
		if n := len(buf) - start; n > pagerDutyMaxEventBytes {
			buf = buf[:start]
			batch.Rejected = append(batch.Rejected, Rejection{Index: i, Err: fmt.Errorf(
				"the event takes %d bytes, over the %d bytes PagerDuty takes, even with its custom_details cut: its attributes for component, group or class are too long", n, pagerDutyMaxEventBytes)})
			continue
		}
		batch.Requests = append(batch.Requests, eventRequest(buf, start, indices, i))
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

// AppendEvent appends one Events API v2 trigger event, as the README shows it.
func (e *pagerDutyEncoder) AppendEvent(dst []byte, ev *formats.Event) []byte {
	return e.appendEvent(dst, &alertScratch{}, ev)
}

func (e *pagerDutyEncoder) appendEvent(dst []byte, scratch *alertScratch, ev *formats.Event) []byte {
	start := len(dst)
	dst = append(dst, `{"routing_key":`...)
	dst = jsonw.AppendString(dst, string(e.cfg.RoutingKey))
	dst = append(dst, `,"event_action":"trigger","dedup_key":`...)
	dst = jsonw.AppendString(dst, ev.ID)
	dst = append(dst, `,"payload":{"summary":`...)
	// PagerDuty refuses a blank summary or source.
	summary := scratch.summary(ev, pagerDutyMaxSummaryChars)
	if len(bytes.TrimSpace(summary)) == 0 {
		summary = append(summary[:0], "security event"...)
	}
	dst = appendBytesAsString(dst, summary)
	dst = append(dst, `,"source":`...)
	source, ok := attributeValue(ev, attrHostName)
	if !ok || strings.TrimSpace(source) == "" {
		source = ev.Source
	}
	if strings.TrimSpace(source) == "" {
		source = "unknown"
	}
	dst = jsonw.AppendString(dst, source)
	dst = append(dst, `,"severity":`...)
	dst = jsonw.AppendString(dst, pagerDutySeverity(ev.Severity))
	dst = append(dst, `,"timestamp":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = appendPagerDutyMember(dst, "component", ev, e.cfg.ComponentAttribute, e.cfg.Component)
	dst = appendPagerDutyMember(dst, "group", ev, e.cfg.GroupAttribute, e.cfg.Group)
	class := e.cfg.Class
	if class == "" {
		class = ev.Type
	}
	dst = appendPagerDutyMember(dst, "class", ev, e.cfg.ClassAttribute, class)
	dst = append(dst, `,"custom_details":{`...)
	// The closing braces take three bytes.
	room := pagerDutyMaxEventBytes - (len(dst) - start) - 3
	dst = appendMembersWithin(dst, ev.Data, false, max(room, 0), pagerDutyDetailsNote, nil)
	return append(dst, "}}}"...)
}

// appendPagerDutyMember writes member name: the attribute's value where
// the event has it, else value; nothing when both are empty.
func appendPagerDutyMember(dst []byte, name string, ev *formats.Event, attr, value string) []byte {
	if attr != "" {
		if v, ok := attributeValue(ev, attr); ok {
			value = v
		}
	}
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return jsonw.AppendString(dst, value)
}

// pagerDutySeverity is the payload's severity: PagerDuty takes the
// guide's four as they are.
func pagerDutySeverity(severity string) string {
	switch severity {
	case formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical:
		return severity
	}
	return formats.SeverityInfo
}

// pagerDutyMaxErrors is how many of PagerDuty's errors a reason quotes.
const pagerDutyMaxErrors = 5

// readPagerDutyAnswer is the format's Wire.ReadAnswer: a 400 says in its
// errors what is wrong with the event, which is refused for good; every
// other answer is judged by its status (202 taken, 429 and 5xx retried).
func readPagerDutyAnswer(req *Request, status int, body []byte) []Result {
	if status != http.StatusBadRequest {
		return nil
	}
	var a struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal(body, &a) != nil {
		return nil
	}
	errs := a.Errors
	if len(errs) > pagerDutyMaxErrors {
		errs = append(errs[:pagerDutyMaxErrors:pagerDutyMaxErrors], fmt.Sprintf("and %d more", len(a.Errors)-pagerDutyMaxErrors))
	}
	reason := fmt.Sprintf("PagerDuty refused the event (%s): %s", a.Message, strings.Join(errs, "; "))
	return allResults(req, Result{Outcome: Drop, Reason: reason})
}
