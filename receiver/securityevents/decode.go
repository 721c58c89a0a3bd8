package securityevents

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/receiver/securityevents/internal/metadata"
)

// maxNestedLevels is how deep objects and arrays may nest in an event's
// data, data itself being level 1: the webhook exporter's bound
// (nesting.go in its package), beyond which it would send the rest as
// JSON text. An event that nests deeper is refused, so that what is
// accepted comes out as it went in.
const maxNestedLevels = 32

// AttrSource is the resource attribute that keeps an event's source. The
// webhook exporter writes its own `source` setting in each event, so a
// source comes out unchanged when the two agree (both default to sentyr).
const AttrSource = "security_event.source"

// severities maps the guide's severities to the record's severity number,
// which the webhook exporter maps back to the same name.
var severities = map[string]plog.SeverityNumber{
	"info":     plog.SeverityNumberInfo,
	"warning":  plog.SeverityNumberWarn,
	"error":    plog.SeverityNumberError,
	"critical": plog.SeverityNumberFatal,
}

// The fields of an event, by the member names that give them: the
// guide's payload names, and the names of its send_batch events (type)
// and of send_event's argument (event_data).
const (
	fieldEventType = iota
	fieldSeverity
	fieldTimestamp
	fieldData
	fieldSource
	fieldCount
)

var fields = map[string]int{
	"event_type": fieldEventType,
	"type":       fieldEventType,
	"severity":   fieldSeverity,
	"timestamp":  fieldTimestamp,
	"data":       fieldData,
	"event_data": fieldData,
	"source":     fieldSource,
}

const severityChoices = "info, warning, error or critical"

// maxQuoted is how much of a member name from the request an error
// message quotes.
const maxQuoted = 64

// decodeEvents turns a request body into log records, one per event: one
// JSON object, a JSON array of them, or objects one after another
// (NDJSON). Either every event is valid and all are returned, or the
// error names the first invalid event (counted from 1) and its field.
func decodeEvents(body []byte, now time.Time) (plog.Logs, error) {
	d := &decoder{
		dec:      json.NewDecoder(bytes.NewReader(body)),
		logs:     plog.NewLogs(),
		observed: pcommon.NewTimestampFromTime(now),
	}
	d.dec.UseNumber()
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return plog.Logs{}, errors.New("the body is empty; post a JSON object, an array of them, or NDJSON")
	case trimmed[0] == '[':
		return d.logs, d.array()
	case trimmed[0] == '{':
		return d.logs, d.stream()
	}
	return plog.Logs{}, errors.New("the body is not JSON objects; post a JSON object, an array of them, or NDJSON")
}

type decoder struct {
	dec      *json.Decoder
	logs     plog.Logs
	observed pcommon.Timestamp
	// records is where events of source go: consecutive events of one
	// source share a resource, so the order of events is kept.
	records plog.LogRecordSlice
	source  string
	n       int
}

// array reads "[ event, ... ]" and nothing after it.
func (d *decoder) array() error {
	if _, err := d.dec.Token(); err != nil {
		return syntaxError(err)
	}
	for d.dec.More() {
		if err := d.event(); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return fmt.Errorf("after event %d: %w", d.n, syntaxError(err))
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return errors.New("after the array: the body goes on; post one array, or objects one per line")
	}
	return nil
}

// stream reads events until the body ends.
func (d *decoder) stream() error {
	for d.dec.More() {
		if err := d.event(); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return fmt.Errorf("after event %d: %w", d.n, syntaxError(err))
	}
	return nil
}

// event reads one event object into a new record.
func (d *decoder) event() error {
	d.n++
	if err := d.readEvent(); err != nil {
		return fmt.Errorf("event %d: %w", d.n, err)
	}
	return nil
}

func (d *decoder) readEvent() error {
	if err := d.delim('{', "an event must be a JSON object"); err != nil {
		return err
	}
	lr := plog.NewLogRecord()
	lr.SetObservedTimestamp(d.observed)
	lr.SetSeverityNumber(severities["info"])
	lr.SetSeverityText("info")
	var source string
	// The member name that set each field, to refuse a field given twice.
	var seen [fieldCount]string
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		name := tok.(string) // object keys are always strings
		field, known := fields[name]
		if !known {
			return fmt.Errorf("%s: not a field of a security event; the fields are event_type (or type), severity, timestamp, data (or event_data) and source", quoted(name))
		}
		if prev := seen[field]; prev != "" {
			return fmt.Errorf("%s: given twice (as %s and %s); give it once", name, prev, name)
		}
		seen[field] = name
		switch field {
		case fieldEventType:
			s, err := d.nonEmptyString()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			lr.SetEventName(s)
		case fieldSeverity:
			s, err := d.nonEmptyString()
			if err != nil {
				return fmt.Errorf("severity: %w", err)
			}
			number, ok := severities[s]
			if !ok {
				return fmt.Errorf("severity: must be one of %s, in lower case", severityChoices)
			}
			lr.SetSeverityNumber(number)
			lr.SetSeverityText(s)
		case fieldTimestamp:
			ts, err := d.timestamp()
			if err != nil {
				return fmt.Errorf("timestamp: %w", err)
			}
			lr.SetTimestamp(ts)
		case fieldData:
			if err := d.data(lr.Body()); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case fieldSource:
			s, err := d.nonEmptyString()
			if err != nil {
				return fmt.Errorf("source: %w", err)
			}
			source = s
		}
	}
	if _, err := d.dec.Token(); err != nil { // the closing brace
		return syntaxError(err)
	}
	if seen[fieldEventType] == "" {
		return errors.New("event_type: required, e.g. \"file_shared_externally\"")
	}
	lr.MoveTo(d.recordsFor(source).AppendEmpty())
	return nil
}

// recordsFor returns the records of a new resource when source differs
// from the previous event's.
func (d *decoder) recordsFor(source string) plog.LogRecordSlice {
	if d.records == (plog.LogRecordSlice{}) || source != d.source {
		rl := d.logs.ResourceLogs().AppendEmpty()
		if source != "" {
			rl.Resource().Attributes().PutStr(AttrSource, source)
		}
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(metadata.ScopeName)
		d.records, d.source = sl.LogRecords(), source
	}
	return d.records
}

func (d *decoder) nonEmptyString() (string, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return "", syntaxError(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("must be a non-empty string, not %s", kind(tok))
	}
	if s == "" {
		return "", errors.New("must not be empty")
	}
	return s, nil
}

// minTime and maxTime bound what a record's time (nanoseconds since 1970
// in 64 bits, 0 meaning unset) can hold.
var (
	minTime = time.Unix(0, 1).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

func (d *decoder) timestamp() (pcommon.Timestamp, error) {
	s, err := d.nonEmptyString()
	if err != nil {
		return 0, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, errors.New("must be RFC 3339 with a time zone, e.g. 2025-10-29T12:00:00Z")
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("must be after %s and before %s", minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339))
	}
	return pcommon.NewTimestampFromTime(t), nil
}

// data reads the event's data, an object (or null for none), into body.
func (d *decoder) data(body pcommon.Value) error {
	tok, err := d.dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch tok {
	case nil:
		return nil
	case json.Delim('{'):
		return d.object(body.SetEmptyMap(), 1)
	}
	return fmt.Errorf("must be a JSON object, not %s", kind(tok))
}

// object reads the members of an object at level, up to its closing
// brace. A name given twice keeps its first place and its last value,
// as Python's json module reads it.
func (d *decoder) object(m pcommon.Map, level int) error {
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		if err := d.value(m.PutEmpty(tok.(string)), level); err != nil {
			return err
		}
	}
	_, err := d.dec.Token()
	return syntaxError(err)
}

// value reads one value inside level objects and arrays.
func (d *decoder) value(v pcommon.Value, level int) error {
	tok, err := d.dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if level == maxNestedLevels {
			return fmt.Errorf("nests deeper than %d levels of objects and arrays", maxNestedLevels)
		}
		if t == '{' {
			return d.object(v.SetEmptyMap(), level+1)
		}
		s := v.SetEmptySlice()
		for d.dec.More() {
			if err := d.value(s.AppendEmpty(), level+1); err != nil {
				return err
			}
		}
		_, err := d.dec.Token()
		return syntaxError(err)
	case string:
		v.SetStr(t)
	case bool:
		v.SetBool(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			v.SetInt(i)
			return nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return fmt.Errorf("number %.*s is out of range", maxQuoted, t)
		}
		v.SetDouble(f)
	case nil:
		// An empty value, which the exporter writes as null.
	}
	return nil
}

// delim reads the token that must be open.
func (d *decoder) delim(open json.Delim, msg string) error {
	tok, err := d.dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	if tok != open {
		return fmt.Errorf("%s, not %s", msg, kind(tok))
	}
	return nil
}

// kind names a token's JSON type for an error message.
func kind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// syntaxError describes a JSON error without quoting the body.
func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the body ends inside a value")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// quoted quotes a name from the request, cut to maxQuoted bytes.
func quoted(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}
