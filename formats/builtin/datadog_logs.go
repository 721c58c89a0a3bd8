package builtin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/config/configopaque"
)

// Limits of Datadog's Logs intake (v2), in bytes: 5 MB of uncompressed
// content and 1,000 entries per request, 1 MB per log (which the intake
// truncates, breaking its JSON). Decimal units keep us below either
// reading of "MB".
const (
	datadogLogsMaxRequestBytes = 5_000_000
	datadogLogsMaxEntries      = 1000
	datadogLogsMaxEntryBytes   = 1_000_000
	// A header value (event type, host) gets no more than this, so that a
	// hostile one leaves the entry's room to its data.
	datadogLogsMaxValueBytes = 64_000
	// Datadog keeps the first 200 characters of a tag.
	datadogMaxTagBytes = 200
)

// DatadogLogsConfig configures the Datadog Logs intake format.
type DatadogLogsConfig struct {
	// APIKey is sent as the DD-API-KEY header.
	APIKey configopaque.String `mapstructure:"api_key"`
	// Service names the entries' service (default: the exporter's source).
	Service string `mapstructure:"service"`
	// Hostname is the entries' hostname when the event has no host.name
	// attribute (default: the exporter's source).
	Hostname string `mapstructure:"hostname"`
	// Tags are added to every entry's ddtags, e.g. "env:prod".
	Tags []string `mapstructure:"tags"`
	// TagAttributes name attributes of the record or its resource whose
	// values become tags "<attribute>:<value>".
	TagAttributes []string `mapstructure:"tag_attributes"`
	_             struct{}
}

// check checks the Datadog Logs settings.
func (c *DatadogLogsConfig) check() error {
	for i, tag := range c.Tags {
		if strings.TrimSpace(tag) == "" || strings.Contains(tag, ",") {
			return fmt.Errorf("datadog_logs::tags[%d]: %q is not one tag; write key:value without commas, e.g. env:prod, or remove it", i, tag)
		}
	}
	return checkTagAttributes("datadog_logs::tag_attributes", c.TagAttributes)
}

// datadogLogsEncoder writes entries for Datadog's Logs intake, where Cloud
// SIEM's detection rules read: JSON arrays within the intake's limits.
type datadogLogsEncoder struct {
	apiKey        string
	service       string
	hostname      string
	tags          []string
	tagAttributes []string
	bodies        bodyBuffers
	// doc makes the writers of the document each entry is, with the
	// intake's own members, nil for the guide's.
	doc newDoc
}

// newDatadogLogs returns the Datadog Logs encoder; source is the
// exporter's, the default service and hostname.
func newDatadogLogs(cfg DatadogLogsConfig, source string) *datadogLogsEncoder {
	e := &datadogLogsEncoder{apiKey: string(cfg.APIKey), service: cfg.Service, hostname: cfg.Hostname, tags: cfg.Tags, tagAttributes: cfg.TagAttributes}
	if e.service == "" {
		e.service = source
	}
	if e.hostname == "" {
		e.hostname = source
	}
	return e
}

// carrying is e carrying the document s asks for as each entry.
func (e *datadogLogsEncoder) carrying(s *Settings) *datadogLogsEncoder {
	e.doc = docFactory(s, docOptions{valueBytes: datadogLogsMaxValueBytes, limitWhat: datadogLogsLimitWhat})
	return e
}

// ContentType implements Encoder.
func (e *datadogLogsEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder. Entries carry their event's id.
func (e *datadogLogsEncoder) Wire() Wire { return Wire{Stream: e.Stream, Headers: e.SetHeaders} }

// SetHeaders is the format's Wire.Headers.
func (e *datadogLogsEncoder) SetHeaders(h http.Header) {
	if e.apiKey != "" {
		h.Set("DD-API-KEY", e.apiKey)
	}
}

// Encode implements Encoder. The intake does not depend on the order of
// requests, so those of a batch may be sent concurrently.
func (e *datadogLogsEncoder) Encode(events []formats.Event) (Batch, error) {
	return encodeStream(e, events), nil
}

// Stream is the format's Wire.Stream.
func (e *datadogLogsEncoder) Stream(n int) EventStream {
	return &datadogLogsStream{e: e, packer: newArrayPacker(n, datadogLogsMaxRequestBytes, datadogLogsMaxEntries, e.bodies.get(n, datadogLogsMaxRequestBytes)),
		doc: e.doc.writer()}
}

type datadogLogsStream struct {
	e      *datadogLogsEncoder
	packer arrayPacker
	entry  []byte
	tmp    datadogLogsScratch
	titles sourceTitles
	doc    docWriter
}

// datadogLogsScratch is where an entry's ddtags and message are built,
// reused for every entry of a batch.
type datadogLogsScratch struct {
	tags, message []byte
}

func (s *datadogLogsStream) Add(events []formats.Event) {
	for i := range events {
		if s.doc != nil {
			s.entry = s.e.appendDocEntry(s.entry[:0], &s.tmp, &events[i], s.doc)
		} else {
			s.entry = s.e.appendEntry(s.entry[:0], &s.tmp, &events[i], &s.titles)
		}
		s.packer.add(s.entry)
	}
}

func (s *datadogLogsStream) Finish() Batch {
	batch := Batch{Requests: s.packer.finish(), Concurrent: true}
	s.e.bodies.lend(&batch, s.packer.buf)
	return batch
}

// AppendEntry appends one event's entry, as the README documents it.
func (e *datadogLogsEncoder) AppendEntry(dst []byte, ev *formats.Event) []byte {
	if doc := e.doc.writer(); doc != nil {
		return e.appendDocEntry(dst, &datadogLogsScratch{}, ev, doc)
	}
	var titles sourceTitles
	return e.appendEntry(dst, &datadogLogsScratch{}, ev, &titles)
}

const datadogLogsLimitWhat = "Datadog's 1 MB per log"

// appendDocEntry appends an entry that is the document, with the
// intake's own members first: its source, tags, host and service, and the
// status and timestamp that Datadog reads the log's level and date from.
func (e *datadogLogsEncoder) appendDocEntry(dst []byte, tmp *datadogLogsScratch, ev *formats.Event, doc docWriter) []byte {
	start := len(dst)
	dst = e.appendIntakeMembers(dst, tmp, ev)
	at := len(dst)
	dst = doc.appendDoc(dst, ev, datadogLogsMaxEntryBytes-(at-start))
	// The document's members follow the intake's in the one object.
	dst[at] = ','
	return dst
}

// appendIntakeMembers opens an entry with the intake's members, up to
// its timestamp.
func (e *datadogLogsEncoder) appendIntakeMembers(dst []byte, tmp *datadogLogsScratch, ev *formats.Event) []byte {
	dst = append(dst, `{"ddsource":`...)
	dst = jsonw.AppendString(dst, ev.Source)
	tmp.tags = e.appendTags(tmp.tags[:0], ev)
	dst = append(dst, `,"ddtags":`...)
	dst = appendBytesAsString(dst, tmp.tags)
	dst = append(dst, `,"hostname":`...)
	host, ok := attributeValue(ev, attrHostName)
	if !ok {
		host = e.hostname
	}
	dst, _ = appendStringWithin(dst, host, datadogLogsMaxValueBytes)
	dst = append(dst, `,"service":`...)
	dst = jsonw.AppendString(dst, e.service)
	dst = append(dst, `,"status":`...)
	dst = jsonw.AppendString(dst, datadogLogStatus(ev.Severity))
	dst = append(dst, `,"timestamp":`...)
	return strconv.AppendInt(dst, ev.Timestamp.UnixMilli(), 10)
}

func (e *datadogLogsEncoder) appendEntry(dst []byte, tmp *datadogLogsScratch, ev *formats.Event, titles *sourceTitles) []byte {
	start := len(dst)
	dst = e.appendIntakeMembers(dst, tmp, ev)
	dst = append(dst, `,"message":`...)
	tmp.message = append(append(append(tmp.message[:0], titles.title(ev.Source)...), " event: "...), ev.Type...)
	dst, _ = appendStringWithin(dst, unsafe.String(unsafe.SliceData(tmp.message), len(tmp.message)), datadogLogsMaxValueBytes)
	dst = append(dst, `,"event_id":`...)
	dst = jsonw.AppendString(dst, ev.ID)
	dst = append(dst, `,"event_type":`...)
	dst, _ = appendStringWithin(dst, ev.Type, datadogLogsMaxValueBytes)
	dst = append(dst, `,"severity":`...)
	dst = jsonw.AppendString(dst, ev.Severity)
	room := datadogLogsMaxEntryBytes - (len(dst) - start) - 1
	dst = appendMembersWithin(dst, ev.Data, true, room, datadogLogsLimitWhat, datadogLogsKey)
	return append(dst, '}')
}

// appendTags writes the entry's ddtags: event type, severity, source, the
// configured tags and those of the tag attributes.
func (e *datadogLogsEncoder) appendTags(dst []byte, ev *formats.Event) []byte {
	dst = appendTag(dst, "event_type", ev.Type)
	dst = appendTag(dst, "severity", ev.Severity)
	dst = appendTag(dst, "source", ev.Source)
	for _, tag := range e.tags {
		dst = appendTag(dst, "", tag)
	}
	for _, a := range e.tagAttributes {
		if v, ok := attributeValue(ev, a); ok {
			dst = appendTag(dst, a, v)
		}
	}
	return dst
}

// appendTag appends "key:value" to a comma-separated tag list, within
// Datadog's 200 characters and with the value's commas made underscores,
// since a comma would start another tag.
func appendTag(dst []byte, key, value string) []byte {
	if len(dst) > 0 {
		dst = append(dst, ',')
	}
	start := len(dst)
	if key != "" {
		dst = append(dst, key...)
		dst = append(dst, ':')
	}
	for i := 0; i < len(value); i++ {
		if value[i] == ',' {
			dst = append(dst, '_')
		} else {
			dst = append(dst, value[i])
		}
		if len(dst)-start >= 4*datadogMaxTagBytes {
			break
		}
	}
	tag := dst[start:]
	if utf8.RuneCount(tag) <= datadogMaxTagBytes {
		return dst
	}
	return append(dst[:start], truncateRuneBytes(tag, datadogMaxTagBytes)...)
}

// datadogLogsKey keeps data members from overriding the entry's own.
func datadogLogsKey(key string) (string, bool) {
	switch key {
	case "ddsource", "ddtags", "hostname", "service", "status", "timestamp", "message", "event_id", "event_type", "severity":
		return "data." + key, true
	}
	return key, true
}

// datadogLogStatus maps a severity to a Datadog log status.
func datadogLogStatus(severity string) string {
	switch severity {
	case formats.SeverityWarning:
		return "warn"
	case formats.SeverityError, formats.SeverityCritical:
		return severity
	}
	return formats.SeverityInfo
}
