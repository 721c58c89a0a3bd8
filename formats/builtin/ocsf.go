package builtin

import (
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// OCSFVersion is the release of the Open Cybersecurity Schema Framework
// whose Detection Finding the ocsf document is; testdata/ocsf/<version>
// holds the definitions it is checked against.
const OCSFVersion = "1.9.0"

// The Detection Finding's classification: class 2004 of category 2
// (Findings), activity 1 (Create), type_uid = class_uid*100 + activity_id.
// Their captions are the schema's; the schema check compares them.
const ocsfClassification = `{"activity_id":1,"activity_name":"Create",` +
	`"category_uid":2,"category_name":"Findings",` +
	`"class_uid":2004,"class_name":"Detection Finding",` +
	`"type_uid":200401,"type_name":"Detection Finding: Create"`

// ocsfSeverity is the Detection Finding's severity_id and its caption for
// a guide severity: warning is Medium (3), since the guide's four levels
// leave Low (2) to no one and an error is something to act on now, High
// (4).
func ocsfSeverity(severity string) (byte, string) {
	switch severity {
	case formats.SeverityWarning:
		return '3', "Medium"
	case formats.SeverityError:
		return '4', "High"
	case formats.SeverityCritical:
		return '5', "Critical"
	}
	return '1', "Informational"
}

// ocsfAttribute is a record attribute that carries an OCSF attribute
// under its OCSF name ("src_endpoint.ip"); it is written where the
// Detection Finding has it, in its evidence, and left out of unmapped.
// One that is not alone is written only beside one that is: a port needs
// its endpoint's address or name, a path its file's name (the schema's
// at_least_one and required).
type ocsfAttribute struct {
	key    string
	object int
	member string
	kind   ocsfKind
	alone  bool
}

// ocsfKind is what a mapped attribute's value must be; a value that is not
// stays in unmapped, so that the document keeps the schema's types.
type ocsfKind uint8

const (
	ocsfString ocsfKind = iota // a non-empty string
	ocsfIP                     // an IPv4 or IPv6 address (ip_t)
	ocsfPort                   // an integer from 0 to 65535 (port_t)
)

// The evidence objects, in the order they are written.
const (
	ocsfUser = iota
	ocsfSrcEndpoint
	ocsfDstEndpoint
	ocsfFile
	ocsfObjects
)

var ocsfObjectNames = [ocsfObjects]string{"user", "src_endpoint", "dst_endpoint", "file"}

// ocsfAttributes are the mapped attributes (docs/ocsf.md lists them).
var ocsfAttributes = [...]ocsfAttribute{
	{"user.name", ocsfUser, "name", ocsfString, true},
	{"user.uid", ocsfUser, "uid", ocsfString, true},
	{"src_endpoint.ip", ocsfSrcEndpoint, "ip", ocsfIP, true},
	{"src_endpoint.hostname", ocsfSrcEndpoint, "hostname", ocsfString, true},
	{"src_endpoint.port", ocsfSrcEndpoint, "port", ocsfPort, false},
	{"dst_endpoint.ip", ocsfDstEndpoint, "ip", ocsfIP, true},
	{"dst_endpoint.hostname", ocsfDstEndpoint, "hostname", ocsfString, true},
	{"dst_endpoint.port", ocsfDstEndpoint, "port", ocsfPort, false},
	{"file.name", ocsfFile, "name", ocsfString, true},
	{"file.path", ocsfFile, "path", ocsfString, false},
}

// ocsfMaxIPBytes is ip_t's max_len in the schema.
const ocsfMaxIPBytes = 40

// ocsfAttributeIndex is the index of key in ocsfAttributes, or -1. It runs
// for every attribute of every event: most keys are settled by their
// first byte.
func ocsfAttributeIndex(key string) int {
	if len(key) < len("user.uid") {
		return -1
	}
	switch key[0] {
	case 'u', 's', 'd', 'f':
	default:
		return -1
	}
	for i := range ocsfAttributes {
		if ocsfAttributes[i].key == key {
			return i
		}
	}
	return -1
}

// ocsfMapped is the mapped attributes of one event.
type ocsfMapped struct {
	values [len(ocsfAttributes)]pcommon.Value
	used   uint16 // bit i: ocsfAttributes[i] is written
}

// read takes ev's record attributes that carry OCSF names and values of
// the schema's types. The first of a key is kept.
func (m *ocsfMapped) read(ev *formats.Event) {
	m.used = 0
	if ev.Attributes == (pcommon.Map{}) {
		return
	}
	for k, v := range ev.Attributes.All() {
		i := ocsfAttributeIndex(k)
		if i < 0 || m.used&(1<<i) != 0 || !ocsfFits(ocsfAttributes[i].kind, v) {
			continue
		}
		m.values[i] = v
		m.used |= 1 << i
	}
	for i := range ocsfAttributes {
		a := &ocsfAttributes[i]
		if !a.alone && m.used&(1<<i) != 0 && !m.standsAlone(a.object) {
			m.used &^= 1 << i // stays unmapped
		}
	}
}

// standsAlone says whether an object has a mapped attribute that may be
// its only one.
func (m *ocsfMapped) standsAlone(object int) bool {
	for i := range ocsfAttributes {
		if a := &ocsfAttributes[i]; a.object == object && a.alone && m.used&(1<<i) != 0 {
			return true
		}
	}
	return false
}

func ocsfFits(kind ocsfKind, v pcommon.Value) bool {
	switch kind {
	case ocsfPort:
		return v.Type() == pcommon.ValueTypeInt && v.Int() >= 0 && v.Int() <= 65535
	case ocsfIP:
		if v.Type() != pcommon.ValueTypeStr || len(v.Str()) > ocsfMaxIPBytes {
			return false
		}
		_, err := netip.ParseAddr(v.Str())
		return err == nil
	}
	return v.Type() == pcommon.ValueTypeStr && v.Str() != ""
}

// mapped says whether data member key is a mapped attribute, written in
// the evidence: it is, unless it is the body's (content).
func (m *ocsfMapped) mapped(ev *formats.Event, key string) bool {
	i := ocsfAttributeIndex(key)
	return i >= 0 && m.used&(1<<i) != 0 && !isContent(ev, key)
}

// ocsfWriter writes events as OCSF Detection Findings.
type ocsfWriter struct {
	docOptions
	mapped  ocsfMapped
	titles  sourceTitles
	scratch []byte
}

// ocsfSourcetype says in Splunk that the event is an OCSF Detection
// Finding, as Splunk's OCSF add-ons name their sourcetypes.
const ocsfSourcetype = "ocsf:detection_finding"

func (w *ocsfWriter) sourcetype() string { return ocsfSourcetype }

func (w *ocsfWriter) appendDoc(dst []byte, ev *formats.Event, limit int) []byte {
	start := len(dst)
	w.mapped.read(ev)
	dst = append(dst, ocsfClassification...)
	id, caption := ocsfSeverity(ev.Severity)
	dst = append(dst, `,"severity_id":`...)
	dst = append(dst, id)
	dst = append(dst, `,"severity":"`...)
	dst = append(dst, caption...)
	// A finding is New (status 1) when it is created.
	dst = append(dst, `","status_id":1,"time":`...)
	dst = strconv.AppendInt(dst, ev.Timestamp.UnixMilli(), 10)
	dst = append(dst, `,"time_dt":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = append(dst, `,"message":`...)
	dst = w.appendJoined(dst, w.titles.title(ev.Source), " event: ", ev.Type)
	dst = append(dst, `,"is_alert":true,"finding_info":{"uid":`...)
	dst = jsonw.AppendString(dst, ev.ID)
	dst = append(dst, `,"title":`...)
	dst = w.appendText(dst, ev.Type)
	dst = append(dst, `,"types":[`...)
	dst = w.appendText(dst, ev.Type)
	dst = append(dst, `]},"metadata":{"version":"`+OCSFVersion+`","product":{"name":`...)
	dst = w.appendText(dst, ev.Source)
	dst = append(dst, `},"uid":`...)
	dst = jsonw.AppendString(dst, ev.ID)
	// The log is named as Splunk's default sourcetype names it.
	dst = append(dst, `,"log_name":`...)
	dst = w.appendJoined(dst, ev.Source, ":", ev.Type)
	dst = append(dst, `,"original_time":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = append(dst, '}')
	dst = w.appendEvidence(dst)
	dst = append(dst, `,"unmapped":{`...)
	dst = w.appendUnmapped(dst, ev, start, limit)
	return append(dst, "}}"...)
}

// appendText appends a text taken from the event, within valueBytes.
func (w *ocsfWriter) appendText(dst []byte, s string) []byte {
	if w.valueBytes > 0 {
		dst, _ = appendStringWithin(dst, s, w.valueBytes)
		return dst
	}
	return jsonw.AppendString(dst, s)
}

// appendJoined appends a+sep+b as one text taken from the event, within
// valueBytes, without building it in memory of its own.
func (w *ocsfWriter) appendJoined(dst []byte, a, sep, b string) []byte {
	if w.valueBytes > 0 {
		w.scratch = append(append(append(w.scratch[:0], a...), sep...), b...)
		dst, _ = appendStringWithin(dst, unsafe.String(unsafe.SliceData(w.scratch), len(w.scratch)), w.valueBytes)
		return dst
	}
	dst = jsonw.AppendString(dst, a)
	dst = dst[:len(dst)-1]
	dst = jsonw.AppendEscaped(dst, sep, false)
	return appendJoinedTail(dst, b)
}

// appendEvidence writes the mapped attributes as the finding's one
// evidence, when the event has any.
func (w *ocsfWriter) appendEvidence(dst []byte) []byte {
	if w.mapped.used == 0 {
		return dst
	}
	dst = append(dst, `,"evidences":[{`...)
	for obj := range ocsfObjects {
		open := false
		for i := range ocsfAttributes {
			a := &ocsfAttributes[i]
			if a.object != obj || w.mapped.used&(1<<i) == 0 {
				continue
			}
			if !open {
				if dst[len(dst)-1] != '{' {
					dst = append(dst, ',')
				}
				dst = jsonw.AppendString(dst, ocsfObjectNames[obj])
				dst = append(dst, `:{`...)
				open = true
			} else {
				dst = append(dst, ',')
			}
			dst = jsonw.AppendString(dst, a.member)
			dst = append(dst, ':')
			if a.kind == ocsfPort {
				dst = strconv.AppendInt(dst, w.mapped.values[i].Int(), 10)
			} else {
				dst = w.appendText(dst, w.mapped.values[i].Str())
			}
		}
		if open {
			if obj == ocsfFile {
				// A file's type is required; the record does not say it.
				dst = append(dst, `,"type_id":0`...)
			}
			dst = append(dst, '}')
		}
	}
	return append(dst, "}]"...)
}

// appendUnmapped writes the event's data but the mapped attributes and
// the members that routed it, as the members of unmapped; within limit
// bytes from start, if limit is not 0.
func (w *ocsfWriter) appendUnmapped(dst []byte, ev *formats.Event, start, limit int) []byte {
	skip := func(key string) bool {
		return w.mapped.mapped(ev, key) || w.routes != nil && w.routes(key) && !isContent(ev, key)
	}
	if limit > 0 {
		room := limit - (len(dst) - start) - len("}}")
		return appendMembersWithin(dst, ev.Data, false, room, w.limitWhat, func(key string) (string, bool) {
			return key, !skip(key)
		})
	}
	return jsonw.AppendMembersWhere(dst, ev.Data, false, skip)
}
