package securityevents

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/receiver/securityevents/internal/metadata"
)

// maxNestedLevels is how deep objects and arrays may nest in an event's
// data, data itself being level 1: the webhook exporter's bound
// (internal/mapping/nesting.go), beyond which it would send the rest as
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
// It reads the body once, building the records as it goes.
func decodeEvents(body []byte, now time.Time) (plog.Logs, error) {
	d := &decoder{
		scanner:  scanner{b: body},
		logs:     plog.NewLogs(),
		observed: pcommon.NewTimestampFromTime(now),
	}
	d.space()
	var err error
	switch d.peek() {
	case '[':
		err = d.array()
	case '{':
		err = d.stream()
	default:
		if d.i == len(d.b) {
			return plog.Logs{}, errors.New("the body is empty; post a JSON object, an array of them, or NDJSON")
		}
		return plog.Logs{}, errors.New("the body is not JSON objects; post a JSON object, an array of them, or NDJSON")
	}
	if err != nil {
		return plog.Logs{}, err
	}
	return d.logs, nil
}

type decoder struct {
	scanner
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
	d.i++
	d.space()
	if d.peek() == ']' {
		d.i++
	} else {
		for {
			if err := d.event(); err != nil {
				return err
			}
			d.space()
			if d.peek() == ']' {
				d.i++
				break
			}
			if err := d.expect(','); err != nil {
				return fmt.Errorf("after event %d: %w", d.n, err)
			}
			d.space()
		}
	}
	d.space()
	if d.i != len(d.b) {
		return errors.New("after the array: the body goes on; post one array, or objects one per line")
	}
	return nil
}

// stream reads events until the body ends.
func (d *decoder) stream() error {
	for d.i < len(d.b) {
		if err := d.event(); err != nil {
			return err
		}
		d.space()
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
	if c := d.peek(); c != '{' {
		return d.notA(c, "an event must be a JSON object")
	}
	lr := plog.NewLogRecord()
	lr.SetObservedTimestamp(d.observed)
	lr.SetSeverityNumber(severities["info"])
	lr.SetSeverityText("info")
	var source string
	// The member name that set each field, to refuse a field given twice.
	var seen [fieldCount]string
	err := d.members(func(name string) error {
		field, known := fields[name]
		if !known {
			return fmt.Errorf("%s: not a field of a security event; the fields are event_type (or type), severity, timestamp, data (or event_data) and source", quoted(name))
		}
		if prev := seen[field]; prev != "" {
			return fmt.Errorf("%s: given twice (as %s and %s); give it once", name, prev, name)
		}
		seen[field] = name
		var err error
		switch field {
		case fieldEventType:
			var s string
			if s, err = d.nonEmptyString(); err == nil {
				lr.SetEventName(s)
			}
		case fieldSeverity:
			err = d.severity(lr)
		case fieldTimestamp:
			var ts pcommon.Timestamp
			if ts, err = d.timestamp(); err == nil {
				lr.SetTimestamp(ts)
			}
		case fieldData:
			err = d.data(lr.Body())
		case fieldSource:
			source, err = d.nonEmptyString()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
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
	if c := d.peek(); c != '"' {
		return "", d.notA(c, "must be a non-empty string")
	}
	s, err := d.str()
	if err == nil && s == "" {
		err = errors.New("must not be empty")
	}
	return s, err
}

func (d *decoder) severity(lr plog.LogRecord) error {
	s, err := d.nonEmptyString()
	if err != nil {
		return err
	}
	number, ok := severities[s]
	if !ok {
		return fmt.Errorf("must be one of %s, in lower case", severityChoices)
	}
	lr.SetSeverityNumber(number)
	lr.SetSeverityText(s)
	return nil
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
	switch c := d.peek(); c {
	case 'n':
		return d.literal("null")
	case '{':
		return d.object(body.SetEmptyMap(), 1)
	default:
		return d.notA(c, "must be a JSON object")
	}
}

// object reads an object at level into m. A name given twice keeps its
// first place and its last value, as Python's json module reads it.
func (d *decoder) object(m pcommon.Map, level int) error {
	return d.members(func(name string) error {
		return d.value(m.PutEmpty(name), level)
	})
}

// value reads one value inside level objects and arrays into v.
func (d *decoder) value(v pcommon.Value, level int) error {
	switch c := d.peek(); c {
	case '{', '[':
		if level == maxNestedLevels {
			return fmt.Errorf("nests deeper than %d levels of objects and arrays", maxNestedLevels)
		}
		if c == '{' {
			return d.object(v.SetEmptyMap(), level+1)
		}
		s := v.SetEmptySlice()
		return d.items(func() error { return d.value(s.AppendEmpty(), level+1) })
	case '"':
		str, err := d.str()
		v.SetStr(str)
		return err
	case 't':
		v.SetBool(true)
		return d.literal("true")
	case 'f':
		v.SetBool(false)
		return d.literal("false")
	case 'n':
		// An empty value, which the exporter writes as null.
		return d.literal("null")
	default:
		return d.number(v)
	}
}

// number reads a JSON number into v: an integer when it is one that 64
// bits hold, else a double.
func (d *decoder) number(v pcommon.Value) error {
	text, err := d.numberText()
	if err != nil {
		return err
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		v.SetInt(i)
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("number %.*s is out of range", maxQuoted, text)
	}
	v.SetDouble(f)
	return nil
}

// notA says that the value starting with c is not what msg asks for.
func (d *decoder) notA(c byte, msg string) error {
	k := kind(c)
	if k == "" {
		return d.syntax("a value")
	}
	return fmt.Errorf("%s, not %s", msg, k)
}

// kind names the JSON type of a value that starts with c; "" for none.
func kind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return ""
}

// quoted quotes a name from the request, cut to maxQuoted bytes.
func quoted(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}
