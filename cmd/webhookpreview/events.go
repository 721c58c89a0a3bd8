package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// exampleEvent is the event of Sentyr's webhook guide as an OTLP/JSON
// logs request: examples/event.otlp.json, the record behind every payload
// of README.md (TestExampleEventIsTheExampleFile keeps them the same). It
// carries its time, so the preview shows the same payloads on every run.
const exampleEvent = `{"resourceLogs": [{"scopeLogs": [{"logRecords": [{
  "timeUnixNano": "1761739200000000000", "eventName": "file_shared_externally", "severityNumber": 13,
  "body": {"kvlistValue": {"values": [
    {"key": "file_id", "value": {"stringValue": "abc123"}},
    {"key": "file_name", "value": {"stringValue": "sensitive.pdf"}},
    {"key": "owner", "value": {"stringValue": "user@example.com"}},
    {"key": "shared_with", "value": {"stringValue": "external@partner.com"}}]}}}]}]}]}
`

// jsonlEvent is one line of examples/events.jsonl.
type jsonlEvent struct {
	Type      string          `json:"type"`
	EventType string          `json:"event_type"`
	Severity  string          `json:"severity"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// eventsFromJSONL maps each line as examples/quickstart.yaml's filelog
// receiver does: type becomes the event_type attribute, severity stays an
// attribute and data becomes the map body. Every event is observed now, as
// the receiver observes it when it reads the line: an event without a
// timestamp is sent with that time, as the collector sends it.
func eventsFromJSONL(b []byte, now time.Time) (plog.Logs, error) {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e jsonlEvent
		if err := json.Unmarshal(line, &e); err != nil {
			return ld, fmt.Errorf("line %d: %w", n, err)
		}
		lr := lrs.AppendEmpty()
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
		if e.Timestamp != "" {
			t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
			if err != nil {
				return ld, fmt.Errorf("line %d: timestamp: %w", n, err)
			}
			lr.SetTimestamp(pcommon.NewTimestampFromTime(t))
		}
		if e.EventType == "" {
			e.EventType = e.Type
		}
		if e.EventType != "" {
			lr.Attributes().PutStr("event_type", e.EventType)
		}
		if e.Severity != "" {
			lr.Attributes().PutStr("severity", e.Severity)
		}
		if len(e.Data) == 0 {
			e.Data = json.RawMessage("{}")
		}
		if err := setJSON(lr.Body(), e.Data); err != nil {
			return ld, fmt.Errorf("line %d: data: %w", n, err)
		}
	}
	return ld, sc.Err()
}

// loadEvents reads -otlp, else -events, else the built-in example event;
// now is when events without a time of their own are observed.
func loadEvents(eventsFile, otlpFile string, now time.Time) (plog.Logs, error) {
	var u plog.JSONUnmarshaler
	switch {
	case otlpFile != "":
		b, err := os.ReadFile(otlpFile)
		if err != nil {
			return plog.Logs{}, err
		}
		return u.UnmarshalLogs(b)
	case eventsFile != "":
		b, err := os.ReadFile(eventsFile)
		if err != nil {
			return plog.Logs{}, err
		}
		return eventsFromJSONL(b, now)
	default:
		return u.UnmarshalLogs([]byte(exampleEvent))
	}
}
