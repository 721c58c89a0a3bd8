package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// defaultElasticDataKey is where the guide's ECS document keeps the data.
const defaultElasticDataKey = "sentyr"

// ElasticConfig configures the Elasticsearch (ECS) format.
type ElasticConfig struct {
	// Index is the index or data stream of a /_bulk endpoint; it goes in
	// the action line of every event without an elasticsearch.index
	// attribute. A /<index>/_bulk or /<index>/_doc endpoint names it
	// already.
	Index string `mapstructure:"index"`
	// APIKey is sent as "Authorization: ApiKey <key>": the base64 "encoded"
	// value that Elasticsearch's create-API-key call returns.
	APIKey configopaque.String `mapstructure:"api_key"`
	// Pipeline is the ingest pipeline of a /_bulk endpoint's documents,
	// written in every action line. For /_doc add ?pipeline=<name> to the
	// endpoint instead.
	Pipeline string `mapstructure:"pipeline"`
	// DataKey is the document member that holds the event's data (default "sentyr").
	DataKey string `mapstructure:"data_key"`
	_       struct{}
}

// elasticTarget is what the endpoint's path says about how to send.
type elasticTarget struct {
	bulk  bool
	index string // the index named in the path, if any
}

func parseElasticEndpoint(endpoint string) (elasticTarget, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return elasticTarget{}, fmt.Errorf("endpoint: %q is not a valid URL", redact.URL(endpoint))
	}
	path := strings.TrimSuffix(u.Path, "/")
	var t elasticTarget
	switch {
	case strings.HasSuffix(path, "/_bulk"):
		t.bulk = true
		path = strings.TrimSuffix(path, "/_bulk")
	case strings.HasSuffix(path, "/_doc"):
		path = strings.TrimSuffix(path, "/_doc")
	default:
		return t, fmt.Errorf("endpoint: for format elastic the path must end in /<index>/_doc (one document per request) or /_bulk (batches), "+
			"e.g. https://elasticsearch.example.com:9200/sentyr/_bulk; %q ends in neither", u.Path)
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		t.index = path[i+1:]
	}
	if !t.bulk && t.index == "" {
		return t, errors.New("endpoint: a /_doc endpoint must name the index, e.g. https://elasticsearch.example.com:9200/sentyr/_doc")
	}
	return t, nil
}

// elasticRoutes is the attribute that routes an event to endpoint: its
// index, for /_bulk endpoints; a /_doc endpoint names the index itself.
func elasticRoutes(endpoint string) []string {
	if t, err := parseElasticEndpoint(endpoint); err == nil && t.bulk {
		return []string{attrElasticIndex}
	}
	return nil
}

// checkElasticSettings checks the Elasticsearch settings with the document.
func checkElasticSettings(s *Settings) error {
	return errors.Join(s.Elastic.check(s.Endpoint), checkGuideSetting(s, "elastic::data_key", s.Elastic.DataKey != "", "its data is under unmapped"))
}

// check checks the Elasticsearch settings against the endpoint, whose
// path (_doc or _bulk) decides how events are sent.
func (c *ElasticConfig) check(endpoint string) error {
	t, err := parseElasticEndpoint(endpoint)
	if err != nil {
		return err
	}
	var errs []error
	if strings.ContainsAny(c.DataKey, ".") || (c.DataKey != "" && strings.TrimSpace(c.DataKey) == "") {
		errs = append(errs, fmt.Errorf("elastic::data_key: %q cannot name a document member (no dots, not blank); write e.g. sentyr", c.DataKey))
	}
	if t.bulk {
		if c.Index == "" && t.index == "" {
			errs = append(errs, errors.New("elastic::index: required with a /_bulk endpoint; name the index or data stream, e.g. index: sentyr-events "+
				"(or write the endpoint as .../<index>/_bulk)"))
		}
		return errors.Join(errs...)
	}
	if c.Index != "" && c.Index != t.index {
		errs = append(errs, fmt.Errorf("elastic::index: %q differs from the index %q in the /_doc endpoint, which is where documents go; "+
			"remove elastic::index or change the endpoint", c.Index, t.index))
	}
	if c.Pipeline != "" {
		errs = append(errs, errors.New("elastic::pipeline: applies to /_bulk endpoints only; with a /_doc endpoint add ?pipeline=<name> to the endpoint"))
	}
	return errors.Join(errs...)
}

// elasticEncoder writes the guide's ECS document: one per request for a
// /_doc endpoint, or NDJSON with a create action per document for /_bulk.
type elasticEncoder struct {
	bulk    bool
	apiKey  string
	dataKey string
	// action is the start of every action line, up to the _id's value;
	// actionTail its part after the index, from a comma, for events
	// routed elsewhere.
	action     []byte
	actionTail []byte
	bodies     bodyBuffers
	// createURL is a /_doc endpoint as /<index>/_create/, which the
	// event's id completes, and createQuery the endpoint's query.
	createURL, createQuery string
	// doc makes the writers of the document indexed, nil for the guide's.
	doc newDoc
}

// RequestURL is the format's Wire.RequestURL: a /_doc endpoint's document goes to
// /<index>/_create/<event id>, so a document sent again (after a restart,
// or an answer lost on the way back) is answered 409 instead of being
// indexed a second time under an id of Elasticsearch's choosing.
func (e *elasticEncoder) RequestURL(key string) string {
	if e.bulk {
		return ""
	}
	return e.createURL + key + e.createQuery
}

// newElasticCarrying is the Elasticsearch encoder of s, indexing the
// document s asks for. A /_bulk document leaves out the attribute that
// named its index.
func newElasticCarrying(s *Settings) (*elasticEncoder, error) {
	e, err := newElastic(s.Elastic, s.Endpoint)
	if err != nil {
		return nil, err
	}
	var opt docOptions
	if e.bulk {
		opt.routes = func(key string) bool { return key == attrElasticIndex }
	}
	e.doc = docFactory(s, opt)
	return e, nil
}

// newElastic returns the Elasticsearch encoder for endpoint.
func newElastic(cfg ElasticConfig, endpoint string) (*elasticEncoder, error) {
	if err := cfg.check(endpoint); err != nil {
		return nil, err
	}
	t, _ := parseElasticEndpoint(endpoint)
	e := &elasticEncoder{bulk: t.bulk, apiKey: string(cfg.APIKey), dataKey: cfg.DataKey}
	if !t.bulk {
		u, _ := url.Parse(endpoint)
		if u.RawQuery != "" {
			e.createQuery = "?" + u.RawQuery
		}
		u.RawQuery, u.Fragment, u.RawPath = "", "", ""
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "_doc") + "_create/"
		e.createURL = u.String()
	}
	if e.dataKey == "" {
		e.dataKey = defaultElasticDataKey
	}
	// create, not index: a document whose _id exists is not overwritten
	// but answered 409, which tells a resent event from a new one.
	e.action = append(e.action, `{"create":{`...)
	// The index a /<index>/_bulk endpoint names is the default of every
	// action: it is written only where an event or the settings name
	// another, which keeps the index's name out of every action line.
	if cfg.Index != "" && cfg.Index != t.index {
		e.action = append(e.action, `"_index":`...)
		e.action = jsonw.AppendString(e.action, cfg.Index)
		e.action = append(e.action, ',')
	}
	if cfg.Pipeline != "" {
		e.action = append(e.action, `"pipeline":`...)
		e.action = jsonw.AppendString(e.action, cfg.Pipeline)
		e.action = append(e.action, ',')
	}
	e.action = append(e.action, `"_id":`...)
	tail := bytes.TrimPrefix(e.action, []byte(`{"create":{`))
	if cfg.Index != "" && cfg.Index != t.index {
		tail = tail[len(`"_index":`)+len(jsonw.AppendString(nil, cfg.Index))+1:]
	}
	e.actionTail = append([]byte{','}, tail...)
	return e, nil
}

// ContentType implements Encoder.
func (e *elasticEncoder) ContentType() string {
	if e.bulk {
		return "application/x-ndjson"
	}
	return "application/json"
}

// Wire implements Encoder.
func (e *elasticEncoder) Wire() Wire {
	return Wire{
		Stream: e.Stream, Headers: e.SetHeaders, RequestURL: e.RequestURL,
		ReadAnswer: e.ReadResponse, AnswerBytes: e.AnswerBytes, Settled: e.Settled,
	}
}

// SetHeaders is the format's Wire.Headers.
func (e *elasticEncoder) SetHeaders(h http.Header) {
	if e.apiKey != "" {
		h.Set("Authorization", "ApiKey "+e.apiKey)
	}
}

// Encode implements Encoder: one _bulk request, or a request per event
// for _doc.
func (e *elasticEncoder) Encode(events []formats.Event) (Batch, error) {
	return encodeStream(e, events), nil
}

// Stream is the format's Wire.Stream.
func (e *elasticEncoder) Stream(n int) EventStream {
	s := &elasticStream{e: e, indices: make([]int, n), buf: e.bodies.get(n, 0), index: eventAttr{key: attrElasticIndex}, doc: e.doc.writer()}
	if !e.bulk {
		s.batch = Batch{Requests: make([]Request, n), Concurrent: true}
	}
	return s
}

// elasticStream is one batch of the Elasticsearch format.
type elasticStream struct {
	e       *elasticEncoder
	indices []int
	next    int
	buf     []byte
	batch   Batch
	titles  sourceTitles
	index   eventAttr
	doc     docWriter
}

func (s *elasticStream) Add(events []formats.Event) {
	for i := range events {
		at := s.next
		s.next++
		s.indices[at] = at
		s.buf = growBody(s.buf)
		if !s.e.bulk {
			start := len(s.buf)
			s.buf = s.appendDocument(s.buf, &events[i])
			s.batch.Requests[at] = eventRequest(s.buf, start, s.indices, at)
			continue
		}
		if index, ok := s.index.get(&events[i]); ok {
			// The event names its own index or data stream.
			s.buf = append(s.buf, `{"create":{"_index":`...)
			s.buf = jsonw.AppendString(s.buf, index)
			s.buf = append(s.buf, s.e.actionTail...)
		} else {
			s.buf = append(s.buf, s.e.action...)
		}
		s.buf = jsonw.AppendString(s.buf, events[i].ID)
		s.buf = append(s.buf, "}}\n"...)
		s.buf = s.appendDocument(s.buf, &events[i])
		s.buf = append(s.buf, '\n')
	}
}

func (s *elasticStream) Finish() Batch {
	if s.e.bulk {
		s.batch = Batch{Requests: []Request{{Body: s.buf, Events: s.indices}}}
	}
	s.e.bodies.lend(&s.batch, s.buf)
	return s.batch
}

func (s *elasticStream) appendDocument(dst []byte, ev *formats.Event) []byte {
	if s.doc != nil {
		return s.doc.appendDoc(dst, ev, 0)
	}
	return s.e.appendDocument(dst, ev, &s.titles)
}

// AppendDocument appends one ECS document in the guide's key order, or
// the document it carries.
func (e *elasticEncoder) AppendDocument(dst []byte, ev *formats.Event) []byte {
	if doc := e.doc.writer(); doc != nil {
		return doc.appendDoc(dst, ev, 0)
	}
	var titles sourceTitles
	return e.appendDocument(dst, ev, &titles)
}

func (e *elasticEncoder) appendDocument(dst []byte, ev *formats.Event, titles *sourceTitles) []byte {
	dst = append(dst, `{"@timestamp":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = append(dst, `,"event":{"kind":"alert","category":["security"],"type":[`...)
	dst = jsonw.AppendString(dst, ev.Type)
	dst = append(dst, `],"severity":`...)
	dst = append(dst, ecsSeverity(ev.Severity))
	dst = append(dst, `},"observer":{"name":`...)
	dst = jsonw.AppendString(dst, ev.Source)
	dst = append(dst, `,"type":"security_scanner"},"message":`...)
	dst = jsonw.AppendString(dst, titles.title(ev.Source))
	dst[len(dst)-1] = ' '
	dst = append(dst, "event: "...)
	dst = appendJoinedTail(dst, ev.Type)
	dst = append(dst, ',')
	dst = jsonw.AppendString(dst, e.dataKey)
	dst = append(dst, ':')
	if e.bulk {
		// The attribute is the document's _index, not its data.
		dst = appendFieldsWithout(dst, ev, attrElasticIndex)
	} else {
		dst = jsonw.AppendFields(dst, ev.Data)
	}
	return append(dst, '}')
}

// ecsSeverity is ECS's numeric event.severity as one digit.
func ecsSeverity(severity string) byte {
	switch severity {
	case formats.SeverityWarning:
		return '2'
	case formats.SeverityError:
		return '3'
	case formats.SeverityCritical:
		return '4'
	}
	return '1'
}

// bulkResponse is the part of a _bulk answer that says what became of each
// document; items are in the order of the request's actions.
type bulkResponse struct {
	Errors bool                  `json:"errors"`
	Items  []map[string]bulkItem `json:"items"`
}

type bulkItem struct {
	Status int `json:"status"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// ReadResponse is the format's Wire.ReadAnswer for _bulk: a 200 answer may hold
// failed items. Items with 429 or 5xx are sent again alone, other failed
// items are dropped with their error; 409 means a document with the event's
// id exists, i.e. an earlier attempt delivered it. For _create, 409 means
// the same.
func (e *elasticEncoder) ReadResponse(req *Request, status int, body []byte) []Result {
	if !e.bulk && status == http.StatusConflict {
		return allResults(req, Result{Outcome: Delivered})
	}
	if !e.bulk || status < 200 || status > 299 || bulkHeadSaysNoErrors(body) {
		return nil
	}
	var r bulkResponse
	if err := json.Unmarshal(body, &r); err != nil {
		// Documents carry their event's id, so sending them again is safe:
		// what was created answers 409 the next time.
		return allResults(req, Result{Outcome: Retry, Reason: "the _bulk answer could not be read: " + err.Error()})
	}
	if !r.Errors {
		return nil
	}
	if len(r.Items) != len(req.Events) {
		return allResults(req, Result{Outcome: Retry, Reason: fmt.Sprintf("the _bulk answer has %d items for %d documents", len(r.Items), len(req.Events))})
	}
	out := make([]Result, len(req.Events))
	for i, item := range r.Items {
		for _, it := range item { // one member, named after the action
			out[i] = bulkItemResult(it)
		}
	}
	return out
}

func bulkItemResult(it bulkItem) Result {
	if (it.Status >= 200 && it.Status <= 299) || it.Status == http.StatusConflict {
		return Result{Outcome: Delivered}
	}
	reason := fmt.Sprintf("Elasticsearch item status %d", it.Status)
	if it.Error != nil {
		reason = fmt.Sprintf("Elasticsearch item status %d, %s: %s", it.Status, it.Error.Type, it.Error.Reason)
	}
	if it.Status == http.StatusTooManyRequests || it.Status >= 500 {
		return Result{Outcome: Retry, Reason: reason}
	}
	return Result{Outcome: Drop, Reason: reason}
}
