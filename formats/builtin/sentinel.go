package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
)

// Limits of the Azure Monitor Logs Ingestion API, in bytes. The service
// says 1 MB per call, compressed or not, and 64 KB per field value (it
// truncates longer values, which would break a dynamic column's JSON);
// decimal units keep us below either reading.
const (
	sentinelMaxRequestBytes = 1_000_000
	sentinelMaxFieldBytes   = 64_000
)

// sentinelAPIVersion is the Logs Ingestion API's current version.
const sentinelAPIVersion = "2023-01-01"

// Columns of the Sentinel format, in the order each entry writes them:
// the stream declaration of the data collection rule and the table's
// schema must name the same (see the README).
var SentinelColumns = []struct{ Name, Type string }{
	{"TimeGenerated", "datetime"},
	{"EventId", "string"},
	{"EventType", "string"},
	{"Severity", "string"},
	{"Source", "string"},
	{"Data", "dynamic"},
}

const sentinelExample = "https://<dce-name>.<region>-1.ingest.monitor.azure.com/dataCollectionRules/dcr-<32 hex digits>/streams/Custom-SentyrEvents?api-version=" + sentinelAPIVersion

// sentinelPath is the path of a DCR's ingestion URL: the immutable id of
// the rule and the stream it declares.
var sentinelPath = regexp.MustCompile(`/dataCollectionRules/(dcr-[0-9a-fA-F]{32})/streams/([^/]+)$`)

// checkSentinelEndpoint checks that endpoint is a data collection rule's
// ingestion URL: the service answers 404 to anything else, at every event.
func checkSentinelEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint: %q is not a valid URL; for format sentinel write %s", endpoint, sentinelExample)
	}
	m := sentinelPath.FindStringSubmatch(strings.TrimSuffix(u.Path, "/"))
	if m == nil {
		return fmt.Errorf("endpoint: for format sentinel the path must be /dataCollectionRules/<the DCR's immutable id, dcr-...>/streams/<stream>, "+
			"e.g. %s; %q is not (the immutable id is on the DCR's JSON view, the URL on its data collection endpoint or the DCR's logsIngestion endpoint)", sentinelExample, u.Path)
	}
	if v := u.Query().Get("api-version"); v == "" {
		return fmt.Errorf("endpoint: for format sentinel add the api-version query, e.g. ?api-version=%s (%s)", sentinelAPIVersion, sentinelExample)
	}
	return nil
}

// sentinelEncoder writes events for the Logs Ingestion API: a JSON array of
// rows with the columns of SentinelColumns, the event's data as one
// dynamic column, packed into requests within the API's 1 MB.
type sentinelEncoder struct {
	bodies bodyBuffers
}

// newSentinel returns the Sentinel encoder.
func newSentinel() *sentinelEncoder { return &sentinelEncoder{} }

// ContentType implements Encoder.
func (e *sentinelEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder. Every row carries its event's id.
func (e *sentinelEncoder) Wire() Wire {
	return Wire{Stream: e.Stream, RequestHeaders: e.SetRequestHeaders}
}

// SetRequestHeaders is the format's Wire.RequestHeaders: the service logs
// x-ms-client-request-id with the request, which lets a resent request be
// told from a new one on its side too.
func (e *sentinelEncoder) SetRequestHeaders(h http.Header, key string) {
	h.Set("x-ms-client-request-id", keyGUID(key))
}

// keyGUID turns an idempotency key into the GUID form that
// x-ms-client-request-id takes: the key's own 128 bits when it is 32 hex
// digits (the exporter's keys are), else a digest of it, marked as an
// RFC 9562 version 8 (custom) UUID. The same key gives the same GUID.
func keyGUID(key string) string {
	var b [16]byte
	ok := len(key) == 2*len(b)
	if ok {
		_, err := hex.Decode(b[:], []byte(key))
		ok = err == nil
	}
	if !ok {
		sum := sha256.Sum256([]byte(key))
		copy(b[:], sum[:16])
	}
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// Encode implements Encoder. The rows do not depend on their order, so the
// requests of a batch may be sent concurrently.
func (e *sentinelEncoder) Encode(events []formats.Event) (Batch, error) {
	return encodeStream(e, events), nil
}

// Stream is the format's Wire.Stream.
func (e *sentinelEncoder) Stream(n int) EventStream {
	return &sentinelStream{e: e, packer: newArrayPacker(n, sentinelMaxRequestBytes, 0, e.bodies.get(n, sentinelMaxRequestBytes))}
}

type sentinelStream struct {
	e      *sentinelEncoder
	packer arrayPacker
	row    []byte
}

func (s *sentinelStream) Add(events []formats.Event) {
	for i := range events {
		s.row = appendSentinelRow(s.row[:0], &events[i])
		s.packer.add(s.row)
	}
}

func (s *sentinelStream) Finish() Batch {
	batch := Batch{Requests: s.packer.finish(), Concurrent: true}
	s.e.bodies.lend(&batch, s.packer.buf)
	return batch
}

// AppendRow appends one event's row, as the README documents it.
func (e *sentinelEncoder) AppendRow(dst []byte, ev *formats.Event) []byte {
	return appendSentinelRow(dst, ev)
}

// sentinelFieldNote is what a cut says it made room for.
const sentinelFieldNote = "Sentinel's 64 KB per field"

func appendSentinelRow(dst []byte, ev *formats.Event) []byte {
	dst = append(dst, `{"TimeGenerated":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = append(dst, `,"EventId":`...)
	dst = jsonw.AppendString(dst, ev.ID)
	dst = append(dst, `,"EventType":`...)
	dst, _ = appendStringWithin(dst, ev.Type, sentinelMaxFieldBytes)
	dst = append(dst, `,"Severity":`...)
	dst = jsonw.AppendString(dst, ev.Severity)
	dst = append(dst, `,"Source":`...)
	dst, _ = appendStringWithin(dst, ev.Source, sentinelMaxFieldBytes)
	dst = append(dst, `,"Data":{`...)
	// The braces take two of the column's bytes.
	dst = appendMembersWithin(dst, ev.Data, false, sentinelMaxFieldBytes-2, sentinelFieldNote, nil)
	return append(dst, "}}"...)
}
