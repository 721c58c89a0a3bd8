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

// exampleEvent is the event of Sentyr's webhook guide, at a fixed time so
// the preview is the same on every run.
const exampleEvent = `{"type": "file_shared_externally", "severity": "warning", "timestamp": "2025-10-29T12:00:00Z", "data": {"file_id": "abc123", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com"}}`

// fixedTime stamps events that carry no timestamp, for a stable preview.
var fixedTime = time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)

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
// attribute and data becomes the map body.
func eventsFromJSONL(b []byte) (plog.Logs, error) {
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
		ts := fixedTime
		if e.Timestamp != "" {
			t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
			if err != nil {
				return ld, fmt.Errorf("line %d: timestamp: %w", n, err)
			}
			ts = t
		}
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts))
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

// loadEvents reads -otlp, else -events, else the built-in example event.
func loadEvents(eventsFile, otlpFile string) (plog.Logs, error) {
	switch {
	case otlpFile != "":
		b, err := os.ReadFile(otlpFile)
		if err != nil {
			return plog.Logs{}, err
		}
		var u plog.JSONUnmarshaler
		return u.UnmarshalLogs(b)
	case eventsFile != "":
		b, err := os.ReadFile(eventsFile)
		if err != nil {
			return plog.Logs{}, err
		}
		return eventsFromJSONL(b)
	default:
		return eventsFromJSONL([]byte(exampleEvent))
	}
}
