package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/sentyr/webhookexporter/internal/bench"
)

// Every event of a run carries its number in the data member load_seq, ten
// digits, so that the sink can tell a missing or duplicated event from a
// delivered one: bench.Logs repeats the same records in every request.
const (
	seqKey    = "load_seq"
	seqDigits = 10
)

// seqHole is the placeholder that a template holds where an event's number
// goes; no generated event has a '%' anywhere else.
var seqHole = bytes.Repeat([]byte{'%'}, seqDigits)

// seqMarker is what precedes an event's number in every format's JSON.
var seqMarker = []byte(`"` + seqKey + `":"`)

// template is an encoded batch with one seqHole per event, in event order.
type template struct {
	raw   []byte
	holes []int
}

func newTemplate(raw []byte, events int) (template, error) {
	t := template{raw: raw}
	for off := 0; ; {
		i := bytes.Index(raw[off:], seqHole)
		if i < 0 {
			break
		}
		t.holes = append(t.holes, off+i)
		off += i + seqDigits
	}
	if len(t.holes) != events {
		return t, fmt.Errorf("a template of %d events has %d places for their numbers", events, len(t.holes))
	}
	return t, nil
}

// fill writes the template into dst with the events numbered from first.
func (t template) fill(dst []byte, first int) []byte {
	dst = append(dst[:0], t.raw...)
	for i, at := range t.holes {
		putSeq(dst[at:at+seqDigits], first+i)
	}
	return dst
}

func putSeq(dst []byte, n int) {
	for i := seqDigits - 1; i >= 0; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
}

// otlpTemplate is an OTLP/HTTP protobuf request of bench.Logs(n) records,
// each with a load_seq attribute (which the exporter puts in the event's
// data).
func otlpTemplate(n int) (template, error) {
	ld := bench.Logs(n)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		lrs.At(i).Attributes().PutStr(seqKey, string(seqHole))
	}
	raw, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return template{}, err
	}
	return newTemplate(raw, n)
}

// fileLine is one line of the file input, shaped as examples/events.jsonl
// (the event type, its severity and time, its data).
type fileLine struct {
	EventType string         `json:"event_type"`
	Severity  string         `json:"severity"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// fileTemplate is n JSONL lines made from bench.Logs(n): the same events
// as the OTLP load, as a security tool would write them to a file.
func fileTemplate(n int) (template, error) {
	lrs := bench.Logs(n).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	var raw bytes.Buffer
	for i := range lrs.Len() {
		line, err := json.Marshal(jsonlOf(lrs.At(i)))
		if err != nil {
			return template{}, err
		}
		raw.Write(line)
		raw.WriteByte('\n')
	}
	return newTemplate(raw.Bytes(), n)
}

// jsonlOf reads a record as the exporter's mapping does: the event name
// (or event.name) is the type, the severity attribute or number the
// severity, the other attributes join the body's data.
func jsonlOf(lr plog.LogRecord) fileLine {
	attrs := lr.Attributes()
	line := fileLine{
		EventType: lr.EventName(),
		Severity:  "info",
		Timestamp: lr.Timestamp().AsTime().UTC().Format(time.RFC3339Nano),
		Data:      lr.Body().Map().AsRaw(),
	}
	if lr.SeverityNumber() >= plog.SeverityNumberFatal {
		line.Severity = "critical"
	}
	for k, v := range attrs.All() {
		switch k {
		case "event.name":
			line.EventType = v.Str()
		case "severity":
			line.Severity = v.Str()
		default:
			line.Data[k] = v.AsRaw()
		}
	}
	line.Data[seqKey] = string(seqHole)
	return line
}

// writeEventsFile writes total events as JSONL to path, the template's
// lines over and over, numbered from 0.
func writeEventsFile(path string, total, batch int) error {
	t, err := fileTemplate(batch)
	if err != nil {
		return err
	}
	rest, err := fileTemplate(total % batch)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for first := 0; first < total; first += batch {
		tt := t
		if total-first < batch {
			tt = rest
		}
		buf = tt.fill(buf, first)
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
