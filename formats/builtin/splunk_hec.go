package builtin

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"go.opentelemetry.io/collector/config/configopaque"
)

// defaultHECMaxRequestBytes is the default bound of one HEC request: 1 MiB,
// within Splunk Cloud's limit on a request's content.
const defaultHECMaxRequestBytes = 1 << 20

// Smaller limits would put every event in a request of its own.
const minHECMaxRequestBytes = 1 << 10

// SplunkHECConfig configures the Splunk HEC format.
type SplunkHECConfig struct {
	// Token is the HEC token, sent as "Authorization: Splunk <token>".
	Token configopaque.String `mapstructure:"token"`
	// Index, when set, names the index of every event without a
	// com.splunk.index attribute; else the token's default index.
	Index string `mapstructure:"index"`
	// Host overrides the host of events without a host.name attribute,
	// which is the source by default.
	Host string `mapstructure:"host"`
	// Sourcetype overrides the sourcetype of events without a
	// com.splunk.sourcetype attribute, "<source>:<event_type>" by default.
	Sourcetype string `mapstructure:"sourcetype"`
	// MaxRequestBytes bounds the body of one request (0: 1 MiB). A batch
	// larger than that goes out in several requests, in order.
	MaxRequestBytes int `mapstructure:"max_request_bytes"`
	// Ack is indexer acknowledgement: delivered means indexed.
	Ack HECAckConfig `mapstructure:"ack"`
	_   struct{}
}

// check checks the Splunk HEC settings of an exporter sending to endpoint.
func (c *SplunkHECConfig) check(endpoint string) error {
	if c.MaxRequestBytes != 0 && c.MaxRequestBytes < minHECMaxRequestBytes {
		return fmt.Errorf("splunk_hec::max_request_bytes: %d is too small; write at least %d, or leave it out for the default %d (1 MiB)",
			c.MaxRequestBytes, minHECMaxRequestBytes, defaultHECMaxRequestBytes)
	}
	return c.Ack.check(endpoint)
}

// splunkHECEncoder writes the guide's Splunk HEC envelope. A batch is HEC
// objects concatenated, which is how the /services/collector/event endpoint
// takes several events in one request.
type splunkHECEncoder struct {
	token      string
	index      string
	host       string
	sourcetype string
	maxBytes   int
	bodies     bodyBuffers
	// doc makes the writers of the document carried as each HEC event,
	// nil for the guide's.
	doc newDoc
	// ack writes each event's id, which a resend keeps, and reads codes
	// 10, 11 and 14 as acknowledgement being on.
	ack bool
}

// newSplunkHEC returns the Splunk HEC encoder.
func newSplunkHEC(cfg SplunkHECConfig) *splunkHECEncoder {
	maxBytes := cfg.MaxRequestBytes
	if maxBytes <= 0 {
		maxBytes = defaultHECMaxRequestBytes
	}
	return &splunkHECEncoder{
		token:      string(cfg.Token),
		index:      cfg.Index,
		host:       cfg.Host,
		sourcetype: cfg.Sourcetype,
		maxBytes:   maxBytes,
		ack:        cfg.Ack.Enabled,
	}
}

// carrying is e carrying the document s asks for as each HEC event.
func (e *splunkHECEncoder) carrying(s *Settings) *splunkHECEncoder {
	e.doc = docFactory(s, docOptions{routes: isHECRouting})
	return e
}

// ContentType implements Encoder.
func (e *splunkHECEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder. The guide's HEC events carry no id; documents
// do, and so do events with acknowledgement, where one may be indexed twice.
func (e *splunkHECEncoder) Wire() Wire {
	return Wire{Stream: e.Stream, WithoutIDs: e.doc == nil && !e.ack, Headers: e.SetHeaders, ReadAnswer: e.ReadResponse}
}

// SetHeaders is the format's Wire.Headers.
func (e *splunkHECEncoder) SetHeaders(h http.Header) {
	if e.token != "" {
		h.Set("Authorization", "Splunk "+e.token)
	}
}

// Encode implements Encoder. Events are packed in order into requests of at
// most the configured size; HEC takes them in order, so the requests are sent
// one after the other. An event larger than the limit on its own goes alone
// in a request: the limit is ours, and only the receiver knows whether it
// takes the event (a 413 then drops it with a log line).
func (e *splunkHECEncoder) Encode(events []formats.Event) (Batch, error) {
	return encodeStream(e, events), nil
}

// Stream is the format's Wire.Stream.
func (e *splunkHECEncoder) Stream(n int) EventStream {
	return &hecStream{e: e, indices: make([]int, n), buf: e.bodies.get(n, e.maxBytes), doc: e.doc.writer()}
}

// hecStream is one batch of the HEC format: the requests closed so far,
// and the one being filled, from byte start and event first of buf.
type hecStream struct {
	e            *splunkHECEncoder
	indices      []int
	next         int
	buf          []byte
	start, first int
	batch        Batch
	router       hecRouter
	doc          docWriter
}

func (s *hecStream) Add(events []formats.Event) {
	for i := range events {
		at := s.next
		s.next++
		s.indices[at] = at
		s.buf = growBody(s.buf)
		before := len(s.buf)
		s.buf = s.e.appendEvent(s.buf, &events[i], &s.router, s.doc)
		if len(s.buf)-s.start > s.e.maxBytes && at > s.first {
			// This event overflows the current request: close it and
			// start the next one with this event.
			s.batch.Requests = append(s.batch.Requests, Request{Body: s.buf[s.start:before:before], Events: s.indices[s.first:at:at]})
			s.start, s.first = before, at
		}
	}
}

func (s *hecStream) Finish() Batch {
	if len(s.indices) > 0 {
		s.batch.Requests = append(s.batch.Requests, Request{Body: s.buf[s.start:len(s.buf):len(s.buf)], Events: s.indices[s.first:]})
	}
	s.e.bodies.lend(&s.batch, s.buf)
	return s.batch
}

// AppendEvent appends one HEC object in the guide's key order, or with
// the document it carries as its event.
func (e *splunkHECEncoder) AppendEvent(dst []byte, ev *formats.Event) []byte {
	return e.appendEvent(dst, ev, nil, e.doc.writer())
}

func (e *splunkHECEncoder) appendEvent(dst []byte, ev *formats.Event, router *hecRouter, doc docWriter) []byte {
	dst = append(dst, `{"time":`...)
	dst = appendEpoch(dst, ev.Timestamp)
	if doc != nil {
		route := router.route(ev)
		dst = e.appendEnvelope(dst, ev, &route, doc.sourcetype())
		dst = append(dst, `,"event":`...)
		dst = doc.appendDoc(dst, ev, 0)
		return append(dst, '}')
	}
	if route := router.route(ev); route.routed() {
		// A routed header depends on more than the memo's key.
		dst = e.appendRoutedHeader(dst, ev, &route)
	} else {
		dst = e.appendHeader(dst, ev)
	}
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	// The envelope's own members come first; data keys never equal them
	// (reserved ones are renamed), but a renamed key may equal another
	// data key: the first is kept.
	var keys jsonw.ObjectKeys
	for i, f := range ev.Data {
		if isHECRouting(f.Key) && !isContent(ev, f.Key) {
			continue // in the envelope
		}
		key := hecDataKey(f.Key)
		mark := len(dst)
		dst = append(dst, ',')
		start := len(dst)
		dst = jsonw.AppendString(dst, key)
		if w := dst[start:]; !keys.Quick(w, key) && !jsonw.FreshInFields(&keys, w, key, ev.Data[:i], hecDataKey) {
			dst = dst[:mark]
			continue
		}
		dst = append(dst, ':')
		dst = jsonw.AppendValue(dst, f.Value)
	}
	return append(dst, "}}"...)
}

// appendHeader writes the members between the time and the event's
// timestamp: they depend on the event's source, type and severity only.
func (e *splunkHECEncoder) appendHeader(dst []byte, ev *formats.Event) []byte {
	return e.appendRoutedHeader(dst, ev, &hecRoute{})
}

// appendRoutedHeader is appendHeader with the event's own index,
// sourcetype, source and host, where its attributes set them.
func (e *splunkHECEncoder) appendRoutedHeader(dst []byte, ev *formats.Event, r *hecRoute) []byte {
	dst = e.appendEnvelope(dst, ev, r, "")
	dst = append(dst, `,"event":{"event_type":`...)
	dst = jsonw.AppendString(dst, ev.Type)
	dst = append(dst, `,"severity":`...)
	dst = jsonw.AppendString(dst, ev.Severity)
	return append(dst, `,"timestamp":`...)
}

// appendEnvelope writes the HEC object's host, source, sourcetype and
// index. A sourcetype that neither the event nor the settings name is
// sourcetype, or "<source>:<event_type>" if that is "".
func (e *splunkHECEncoder) appendEnvelope(dst []byte, ev *formats.Event, r *hecRoute, sourcetype string) []byte {
	dst = append(dst, `,"host":`...)
	switch {
	case r.host != "":
		dst = jsonw.AppendString(dst, r.host)
	case e.host != "":
		dst = jsonw.AppendString(dst, e.host)
	default:
		dst = jsonw.AppendString(dst, ev.Source)
	}
	dst = append(dst, `,"source":`...)
	if r.source != "" {
		dst = jsonw.AppendString(dst, r.source)
	} else {
		dst = jsonw.AppendString(dst, ev.Source)
	}
	dst = append(dst, `,"sourcetype":`...)
	switch {
	case r.sourcetype != "":
		dst = jsonw.AppendString(dst, r.sourcetype)
	case e.sourcetype != "":
		dst = jsonw.AppendString(dst, e.sourcetype)
	case sourcetype != "":
		dst = jsonw.AppendString(dst, sourcetype)
	default:
		dst = appendJoined(dst, ev.Source, ':', ev.Type)
	}
	if index := cmp.Or(r.index, e.index); index != "" {
		dst = append(dst, `,"index":`...)
		dst = jsonw.AppendString(dst, index)
	}
	if e.ack {
		// An indexed field: searchable without extraction, and apart
		// from the event's data, whatever its keys.
		dst = append(dst, `,"fields":{"event_id":`...)
		dst = jsonw.AppendString(dst, ev.ID)
		dst = append(dst, '}')
	}
	return dst
}

// appendJoined appends a+sep+b as one JSON string without building it.
func appendJoined(dst []byte, a string, sep byte, b string) []byte {
	dst = jsonw.AppendString(dst, a)
	dst[len(dst)-1] = sep
	return appendJoinedTail(dst, b)
}

// appendJoinedTail appends b to a JSON string whose closing quote dst
// does not have yet, and closes it.
func appendJoinedTail(dst []byte, b string) []byte {
	n := len(dst)
	dst = jsonw.AppendString(dst, b)
	// Drop b's opening quote.
	copy(dst[n:], dst[n+1:])
	return dst[:len(dst)-1]
}

// hecDataKey is the key a data field is written under. Data must not
// override the envelope's own members (a duplicate key is read as the
// last one by Splunk).
func hecDataKey(key string) string {
	if isHECReserved(key) {
		return "data." + key
	}
	return key
}

// isHECReserved says whether key is an event member the envelope writes
// itself. A switch: it runs for every field of every event.
func isHECReserved(key string) bool {
	switch key {
	case "event_type", "severity", "timestamp":
		return true
	}
	return false
}

// appendEpoch appends t as epoch seconds: an integer when t has no fraction
// of a second, else with the fraction's significant digits down to the
// millisecond (1761739200.123), which is what Splunk documents for HEC's
// time (<sec>.<ms>) and what Fluent Bit keeps. Finer digits are cut, not
// rounded, so an event is never dated after it happened.
func appendEpoch(dst []byte, t time.Time) []byte {
	// Cut to the millisecond: Nanosecond is the time since the second,
	// which Unix floors, so this is t.Truncate(time.Millisecond).
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	nsec -= nsec % 1e6
	if sec >= 1e9 && sec < 1e10 {
		// 2001 to 2286: ten digits and the milliseconds, written three
		// at a time as AppendTime writes fractions, in one append
		// (strconv costs several times more).
		var b [14]byte
		b[0] = byte('0' + sec/1e9)
		copy(b[1:4], jsonw.ThreeDigits[sec/1e6%1e3][:])
		copy(b[4:7], jsonw.ThreeDigits[sec/1e3%1e3][:])
		copy(b[7:10], jsonw.ThreeDigits[sec%1e3][:])
		n := 10
		if nsec != 0 {
			b[10] = '.'
			copy(b[11:14], jsonw.ThreeDigits[nsec/1e6][:])
			n = 14
			for b[n-1] == '0' {
				n--
			}
		}
		return append(dst, b[:n]...)
	}
	if nsec == 0 {
		return strconv.AppendInt(dst, sec, 10)
	}
	if sec < 0 {
		// Unix() floors: -4.5s is -5 and 0.5; write it as -4.5.
		dst = append(dst, '-')
		sec, nsec = -(sec + 1), 1e9-nsec
	}
	dst = strconv.AppendInt(dst, sec, 10)
	return jsonw.AppendFraction(dst, nsec)
}

// HEC status codes (Splunk's "Troubleshoot HTTP Event Collector" table).
const (
	hecCodeSuccess          = 0
	hecCodeTokenDisabled    = 1
	hecCodeTokenRequired    = 2
	hecCodeInvalidAuthz     = 3
	hecCodeInvalidToken     = 4
	hecCodeNoData           = 5
	hecCodeInvalidFormat    = 6
	hecCodeIncorrectIndex   = 7
	hecCodeInternalError    = 8
	hecCodeBusy             = 9
	hecCodeChannelMissing   = 10
	hecCodeInvalidChannel   = 11
	hecCodeEventRequired    = 12
	hecCodeEventBlank       = 13
	hecCodeAckDisabled      = 14
	hecCodeIndexedFields    = 15
	hecCodeQueryStringAuthz = 16
	hecCodeHealthy          = 17
	hecCodeUnhealthyLast    = 20
	hecCodeQueueAtCapacity  = 24
	hecCodeAckAtCapacity    = 25
)

// hecResponse is HEC's answer: {"text":"...","code":N,"invalid-event-number":K}.
type hecResponse struct {
	Text               string `json:"text"`
	Code               *int   `json:"code"`
	InvalidEventNumber *int   `json:"invalid-event-number"`
}

// ReadResponse is the format's Wire.ReadAnswer: HEC's code says more than the
// HTTP status. It returns nil where the status alone decides (success,
// 413, answers that are not HEC's).
func (e *splunkHECEncoder) ReadResponse(req *Request, status int, body []byte) []Result {
	var r hecResponse
	if status == http.StatusRequestEntityTooLarge || json.Unmarshal(body, &r) != nil || r.Code == nil {
		return nil
	}
	code := *r.Code
	switch {
	case code == hecCodeSuccess || code == hecCodeHealthy:
		return nil
	case code == hecCodeQueueAtCapacity || code == hecCodeAckAtCapacity:
		return allResults(req, Result{Outcome: Retry, Reason: hecFixReason(code, "Splunk is at capacity: sent again after a back-off, as after a 503", r.Text)})
	case code == hecCodeBusy || code == hecCodeInternalError || (code > hecCodeHealthy && code <= hecCodeUnhealthyLast):
		return allResults(req, Result{Outcome: Retry, Reason: hecReason(code, r.Text)})
	case code >= hecCodeTokenDisabled && code <= hecCodeInvalidToken:
		return allResults(req, refusedRequest(fmt.Sprintf(
			"Splunk HEC refused the token (code %d; set splunk_hec::token to a valid, enabled HEC token): %s", code, r.Text)))
	case code == hecCodeChannelMissing || code == hecCodeInvalidChannel || code == hecCodeAckDisabled:
		return e.ackAnswer(req, code, r.Text)
	case code == hecCodeQueryStringAuthz:
		return allResults(req, refusedRequest(hecFixReason(code, "send the token with splunk_hec::token, not in the URL", r.Text)))
	}
	if r.InvalidEventNumber != nil && *r.InvalidEventNumber >= 0 && *r.InvalidEventNumber < len(req.Events) {
		results := invalidEventResults(len(req.Events), *r.InvalidEventNumber, code, r.Text)
		if code == hecCodeIncorrectIndex {
			sendAgainOtherIndexes(req.Body, *r.InvalidEventNumber, results)
		}
		return results
	}
	if status >= 500 || status == http.StatusTooManyRequests {
		return allResults(req, Result{Outcome: Retry, Reason: hecReason(code, r.Text)})
	}
	// No event named: the request was refused as a whole.
	return allResults(req, refusedRequest(hecReason(code, r.Text)))
}

// ackAnswer reads the codes of indexer acknowledgement: each says in one
// line which of the token and splunk_hec::ack has it on and the other off.
// With ack on, an unknown channel (the server forgot it) and acknowledgement
// off for the token send the request again: the exporter then resends what
// waited on the channel, or turns acknowledgement off with a warning.
func (e *splunkHECEncoder) ackAnswer(req *Request, code int, text string) []Result {
	const (
		tokenOn  = "indexer acknowledgement is on for the token and splunk_hec::ack::enabled is false: set splunk_hec::ack::enabled: true, or turn acknowledgement off for the token"
		tokenOff = "indexer acknowledgement is off for the token and splunk_hec::ack::enabled is true: acknowledgement is turned off for this exporter until it restarts; turn it on for the token (useACK), or set splunk_hec::ack::enabled: false"
	)
	switch {
	case !e.ack && code == hecCodeAckDisabled:
		return allResults(req, refusedRequest(hecFixReason(code, "indexer acknowledgement is off for the token, and a channel or an ack query came from the configured headers: take X-Splunk-Request-Channel out of headers", text)))
	case !e.ack:
		return allResults(req, refusedRequest(hecFixReason(code, tokenOn, text)))
	case code == hecCodeInvalidChannel:
		return allResults(req, Result{Outcome: Retry, Reason: hecFixReason(code, "Splunk does not know the exporter's channel: the requests waiting for acknowledgement on it are sent again", text)})
	case code == hecCodeAckDisabled:
		return allResults(req, Result{Outcome: Retry, Reason: hecFixReason(code, tokenOff, text)})
	}
	// The exporter sent its channel and Splunk did not see it.
	return allResults(req, refusedRequest(hecFixReason(code, "the request's X-Splunk-Request-Channel header did not reach Splunk: a proxy between them may drop it", text)))
}

// refusedRequest is the result of every event of a request that the
// receiver refused as a whole.
func refusedRequest(reason string) Result {
	return Result{Outcome: Drop, Reason: reason, WholeRequest: true}
}

// sendAgainOtherIndexes turns the drops after the refused event k back
// into retries for events routed to another index than k's: only the
// events of the refused index are refused for good. It reads the body
// again, which happens only on this error.
func sendAgainOtherIndexes(body []byte, k int, results []Result) {
	var indexes []string
	dec := json.NewDecoder(bytes.NewReader(body))
	for dec.More() {
		var ev struct {
			Index string `json:"index"`
		}
		if dec.Decode(&ev) != nil {
			return
		}
		indexes = append(indexes, ev.Index)
	}
	if len(indexes) != len(results) {
		return
	}
	for i := k + 1; i < len(results); i++ {
		if indexes[i] != indexes[k] {
			results[i] = Result{Outcome: Retry, Reason: fmt.Sprintf("not read by Splunk HEC after the refused event %d of the request", k)}
		}
	}
}

// invalidEventResults reads HEC's invalid-event-number K. Splunk parses a
// request in order and stops at the first bad event: the events before K
// are indexed, event K is refused, the events after K were never read. So
// K is dropped, the ones after it are sent again, and the ones before it
// are delivered. An incorrect index is the same for every event (it comes
// from the config), so with code 7 the events from K on are all dropped.
func invalidEventResults(n, k, code int, text string) []Result {
	out := make([]Result, n)
	reason := hecReason(code, text)
	if code == hecCodeIncorrectIndex {
		reason = hecFixReason(code, "the index does not exist or the token may not write to it: fix splunk_hec::index or the token's allowed indexes", text)
	}
	for i := k; i < n; i++ {
		switch {
		case i == k || code == hecCodeIncorrectIndex:
			out[i] = Result{Outcome: Drop, Reason: reason}
		default:
			out[i] = Result{Outcome: Retry, Reason: fmt.Sprintf("not read by Splunk HEC after the refused event %d of the request", k)}
		}
	}
	return out
}

// hecReason quotes HEC's text last: the exporter cuts a reason to a
// bounded size (redact.TextBytes), which keeps its own words before it.
func hecReason(code int, text string) string {
	return fmt.Sprintf("Splunk HEC code %d: %s", code, text)
}

// hecFixReason is hecReason with what to do about it.
func hecFixReason(code int, fix, text string) string {
	return fmt.Sprintf("Splunk HEC code %d (%s): %s", code, fix, text)
}

func allResults(req *Request, r Result) []Result {
	out := make([]Result, len(req.Events))
	for i := range out {
		out[i] = r
	}
	return out
}
