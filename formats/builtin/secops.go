package builtin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/jsonw"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// Google SecOps (Chronicle) APIs, told apart by the endpoint's path.
const (
	// secopsLogsImport is the Chronicle API's logs:import, the log type in
	// the path: .../instances/{i}/logTypes/{t}/logs:import.
	secopsLogsImport = iota
	// secopsEventsImport is the Chronicle API's events:import of UDM events.
	secopsEventsImport
	// secopsLegacyLogs is the legacy Ingestion API's
	// unstructuredlogentries:batchCreate, retired in July 2027.
	secopsLegacyLogs
	// secopsLegacyUDM is the legacy Ingestion API's udmevents:batchCreate.
	secopsLegacyUDM
)

// Request limits. The Chronicle API's reference states no request size for
// its import methods; other Chronicle exporters split at 4,000,000 bytes.
// The legacy Ingestion API takes 1 MB.
const (
	secopsMaxRequestBytes       = 4_000_000
	secopsLegacyMaxRequestBytes = 1_000_000
	// Smaller limits would leave no room for an event.
	secopsMinRequestBytes = 1 << 10
)

// Attributes of a record (else its resource) that route or label a SecOps
// event; never its body.
const (
	attrSecOpsLogType   = "secops.log_type"
	attrSecOpsNamespace = "secops.namespace"
	attrSecOpsEventType = "secops.event_type"
)

// SecOpsConfig configures the Google SecOps format. Which API it speaks is
// the endpoint's: its path names the method.
type SecOpsConfig struct {
	// LogType is the log type of the legacy unstructuredlogentries API,
	// whose path does not name one; the Chronicle API's endpoint names it.
	LogType string `mapstructure:"log_type"`
	// CustomerID is the legacy Ingestion API's customer_id (a UUID).
	CustomerID string `mapstructure:"customer_id"`
	// Namespace is every log's environment namespace, unless the event's
	// secops.namespace attribute names another.
	Namespace string `mapstructure:"namespace"`
	// Labels are ingestion labels of every log.
	Labels map[string]string `mapstructure:"labels"`
	// LabelAttributes name attributes whose values become labels of the
	// event's log, under the attribute's name.
	LabelAttributes []string `mapstructure:"label_attributes"`
	// Forwarder is the logs:import forwarder's resource name, optional.
	Forwarder string `mapstructure:"forwarder"`
	// MaxRequestBytes bounds a request's body, at most (and by default)
	// the API's limit.
	MaxRequestBytes int `mapstructure:"max_request_bytes"`
	_               struct{}
}

// secopsTarget is what the endpoint says: the API and, for logs:import,
// the URL around the log type.
type secopsTarget struct {
	api            int
	logType        string
	prefix, suffix string // of the endpoint, around the log type
}

func parseSecOpsEndpoint(endpoint string) (secopsTarget, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return secopsTarget{}, fmt.Errorf("endpoint: %q is not a valid URL", redact.URL(endpoint))
	}
	path := u.EscapedPath()
	switch {
	case strings.HasSuffix(path, "/logs:import"):
		parts := strings.Split(path, "/")
		// .../instances/{i}/logTypes/{t}/logs:import
		n := len(parts)
		if n < 5 || parts[n-3] != "logTypes" || parts[n-5] != "instances" || !validLogType(parts[n-2]) {
			break
		}
		t := secopsTarget{api: secopsLogsImport, logType: parts[n-2]}
		i := strings.LastIndex(endpoint, "/"+t.logType+"/logs:import")
		t.prefix, t.suffix = endpoint[:i+1], endpoint[i+1+len(t.logType):]
		return t, nil
	case strings.HasSuffix(path, "/events:import") && strings.Contains(path, "/instances/"):
		return secopsTarget{api: secopsEventsImport}, nil
	case strings.HasSuffix(path, "/unstructuredlogentries:batchCreate"):
		return secopsTarget{api: secopsLegacyLogs}, nil
	case strings.HasSuffix(path, "/udmevents:batchCreate"):
		return secopsTarget{api: secopsLegacyUDM}, nil
	}
	return secopsTarget{}, fmt.Errorf("endpoint: for format secops the path must name a SecOps ingestion method: "+
		".../v1/projects/<project>/locations/<region>/instances/<instance>/logTypes/<LOG_TYPE>/logs:import (unstructured logs), "+
		".../instances/<instance>/events:import (UDM events), or the legacy .../v2/unstructuredlogentries:batchCreate or .../v2/udmevents:batchCreate; %q is none of them", u.Path)
}

// validLogType says whether s may be a SecOps log type: letters, digits,
// underscores and hyphens (CUSTOM_SENTYR, OKTA); the service says whether
// it knows it. Anything else (a slash, a dot) never goes into a path.
func validLogType(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// checkDocument checks the settings and that the endpoint's API carries
// the document asked for: logs carry any as their data, UDM events none.
func (c *SecOpsConfig) checkDocument(s *Settings) error {
	if err := c.check(s.Endpoint); err != nil {
		return err
	}
	if t, _ := parseSecOpsEndpoint(s.Endpoint); s.document() != DocumentGuide && (t.api == secopsEventsImport || t.api == secopsLegacyUDM) {
		return fmt.Errorf("document: %s cannot be a UDM event; send it as logs (.../logTypes/<LOG_TYPE>/logs:import, e.g. the log type OCSF) or remove document", s.Document)
	}
	return nil
}

// newSecOpsCarrying is the SecOps encoder whose logs carry the document s
// asks for.
func newSecOpsCarrying(s *Settings) (*secopsEncoder, error) {
	if err := s.SecOps.checkDocument(s); err != nil {
		return nil, err
	}
	e, err := newSecOps(s.SecOps, s.Endpoint)
	if err != nil {
		return nil, err
	}
	e.json.carrying(s)
	return e, nil
}

// check checks the SecOps settings against the endpoint.
func (c *SecOpsConfig) check(endpoint string) error {
	t, err := parseSecOpsEndpoint(endpoint)
	if err != nil {
		return err
	}
	var errs []error
	legacy := t.api == secopsLegacyLogs || t.api == secopsLegacyUDM
	limit := secopsMaxRequestBytes
	if legacy {
		limit = secopsLegacyMaxRequestBytes
	}
	switch {
	case legacy && c.CustomerID == "":
		errs = append(errs, errors.New("secops::customer_id: required by the legacy Ingestion API; write your SecOps customer id (a UUID, under SIEM Settings > Profile)"))
	case !legacy && c.CustomerID != "":
		errs = append(errs, errors.New("secops::customer_id: only the legacy Ingestion API takes it; the Chronicle API's endpoint names the instance: remove it"))
	}
	switch {
	case t.api == secopsLegacyLogs && !validLogType(c.LogType):
		errs = append(errs, fmt.Errorf("secops::log_type: %q is not a log type; the legacy unstructured API needs one, e.g. CUSTOM_SENTYR (letters, digits, _ and -)", c.LogType))
	case t.api != secopsLegacyLogs && c.LogType != "":
		errs = append(errs, errors.New("secops::log_type: applies to the legacy unstructuredlogentries endpoint only; for logs:import the endpoint names the log type (.../logTypes/<LOG_TYPE>/logs:import): remove it"))
	}
	if c.Forwarder != "" && t.api != secopsLogsImport {
		errs = append(errs, errors.New("secops::forwarder: applies to logs:import only: remove it"))
	}
	if (t.api == secopsEventsImport || t.api == secopsLegacyUDM) && (c.Namespace != "" || len(c.Labels) > 0 || len(c.LabelAttributes) > 0) {
		errs = append(errs, errors.New("secops::namespace, labels, label_attributes: UDM events carry neither; send unstructured logs (logs:import) to have them, or remove them"))
	}
	if c.MaxRequestBytes != 0 && (c.MaxRequestBytes < secopsMinRequestBytes || c.MaxRequestBytes > limit) {
		errs = append(errs, fmt.Errorf("secops::max_request_bytes: %d is outside %d to %d, the API's limit; leave it out for the limit", c.MaxRequestBytes, secopsMinRequestBytes, limit))
	}
	for k := range c.Labels {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, errors.New("secops::labels: an empty label key; name it or remove it"))
		}
	}
	if err := checkTagAttributes("secops::label_attributes", c.LabelAttributes); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// secopsRoutes are the attributes that route a SecOps event: its log type.
func secopsRoutes(endpoint string) []string {
	if t, err := parseSecOpsEndpoint(endpoint); err == nil && (t.api == secopsLogsImport || t.api == secopsLegacyLogs) {
		return []string{attrSecOpsLogType}
	}
	return nil
}

// secopsEncoder writes requests to one of SecOps's ingestion methods.
type secopsEncoder struct {
	t          secopsTarget
	cfg        SecOpsConfig
	logType    string // the default log type
	maxBytes   int
	labelKeys  []string // of cfg.Labels, sorted
	json       *jsonEncoder
	head, tail string // of every request body, around its entries
	// bodies lends the batches' bodies, scratch the entries on their way.
	bodies, scratch bodyBuffers
}

// newSecOps returns the SecOps encoder for endpoint.
func newSecOps(cfg SecOpsConfig, endpoint string) (*secopsEncoder, error) {
	if err := cfg.check(endpoint); err != nil {
		return nil, err
	}
	t, _ := parseSecOpsEndpoint(endpoint)
	e := &secopsEncoder{t: t, cfg: cfg, logType: t.logType, maxBytes: cfg.MaxRequestBytes, json: newJSON(JSONConfig{})}
	if t.api == secopsLegacyLogs {
		e.logType = cfg.LogType
	}
	if e.maxBytes == 0 {
		e.maxBytes = secopsMaxRequestBytes
		if t.api == secopsLegacyLogs || t.api == secopsLegacyUDM {
			e.maxBytes = secopsLegacyMaxRequestBytes
		}
	}
	for k := range cfg.Labels {
		e.labelKeys = append(e.labelKeys, k)
	}
	slices.Sort(e.labelKeys)
	customer := string(jsonw.AppendString(nil, cfg.CustomerID))
	switch t.api {
	case secopsLogsImport:
		e.head, e.tail = `{"inlineSource":{"logs":[`, "]}}"
		if cfg.Forwarder != "" {
			e.tail = `],"forwarder":` + string(jsonw.AppendString(nil, cfg.Forwarder)) + "}}"
		}
	case secopsEventsImport:
		e.head, e.tail = `{"inlineSource":{"events":[`, "]}}"
	case secopsLegacyUDM:
		e.head, e.tail = `{"customer_id":`+customer+`,"events":[`, "]}"
	case secopsLegacyLogs:
		// The log type and the labels are the request's: its head is
		// written per request (legacyHead).
		e.tail = "]}"
	}
	return e, nil
}

// ContentType implements Encoder.
func (e *secopsEncoder) ContentType() string { return "application/json" }

// Wire implements Encoder. UDM events carry their event's id.
func (e *secopsEncoder) Wire() Wire {
	return Wire{WithoutIDs: !e.udm() && e.json.doc == nil, ReadAnswer: e.ReadResponse}
}

func (e *secopsEncoder) udm() bool {
	return e.t.api == secopsEventsImport || e.t.api == secopsLegacyUDM
}

// secopsGroup is the events of one route (a log type, and for the legacy
// API its namespace and labels too), in order.
type secopsGroup struct {
	url, head string
	events    []int
}

// Encode implements Encoder. Events are grouped by their route, one
// request holding one log type, and each group is packed into requests of
// at most maxBytes. An event that cannot fit in a request on its own is
// rejected with its size. The service does not depend on the order of
// requests, so they may go concurrently. The entries are written first
// into a scratch buffer, then each request's body in one piece into the
// lent buffer, whose size is then known.
func (e *secopsEncoder) Encode(events []formats.Event) (Batch, error) {
	batch := Batch{Concurrent: true}
	entries := e.scratch.get(len(events), 0)
	// Entry i is entries[starts[i]:ends[i]].
	starts, ends := make([]int, len(events)), make([]int, len(events))
	var groups []*secopsGroup
	byKey := map[string]*secopsGroup{}
	var one []byte
	ns := eventAttr{key: attrSecOpsNamespace}
	lt := eventAttr{key: attrSecOpsLogType}
	// The writer of the document the logs carry, nil for the guide's.
	doc := e.json.doc.writer()
	for i := range events {
		ev := &events[i]
		key, url, head, err := e.route(ev, &lt, &ns)
		start := len(entries)
		if err == nil {
			entries = growBody(entries)
			entries, one, err = e.appendEntry(entries, one, ev, &ns, doc)
		}
		if size := len(entries) - start; err == nil && len(head)+size+len(e.tail) > e.maxBytes {
			err = fmt.Errorf("the event's %s is %d bytes, more than a request of %d bytes holds (%s)", e.entryName(), size, e.maxBytes, e.limitName())
		}
		starts[i], ends[i] = start, len(entries)
		if err != nil {
			entries = entries[:start]
			batch.Rejected = append(batch.Rejected, Rejection{Index: i, Err: err})
			continue
		}
		g := byKey[key]
		if g == nil {
			g = &secopsGroup{url: url, head: head}
			groups = append(groups, g)
			byKey[key] = g
		}
		g.events = append(g.events, i)
	}
	entry := func(i int) []byte { return entries[starts[i]:ends[i]] }
	// The requests, as runs of their group's events, and their bytes.
	type run struct {
		g           *secopsGroup
		first, last int // into g.events
	}
	var runs []run
	total := 0
	for _, g := range groups {
		r := run{g: g}
		size := len(g.head) + len(e.tail)
		for k, i := range g.events {
			n := len(entry(i))
			if k > r.first {
				n++ // the comma
			}
			if k > r.first && size+n > e.maxBytes {
				r.last = k
				runs = append(runs, r)
				total += size
				r = run{g: g, first: k}
				size, n = len(g.head)+len(e.tail), n-1
			}
			size += n
		}
		r.last = len(g.events)
		runs = append(runs, r)
		total += size
	}
	buf := e.bodies.get(len(events), e.maxBytes)
	if cap(buf) < total {
		buf = make([]byte, 0, total)
	}
	for _, r := range runs {
		start := len(buf)
		buf = append(buf, r.g.head...)
		for k := r.first; k < r.last; k++ {
			if k > r.first {
				buf = append(buf, ',')
			}
			buf = append(buf, entry(r.g.events[k])...)
		}
		buf = append(buf, e.tail...)
		batch.Requests = append(batch.Requests, Request{
			Body: buf[start:len(buf):len(buf)], Events: r.g.events[r.first:r.last:r.last], URL: r.g.url,
		})
	}
	if cap(entries) <= bodyKeep {
		entries = entries[:0]
		e.scratch.pool.Put(&entries)
	}
	e.bodies.lend(&batch, buf)
	return batch, nil
}

// route is where ev goes: its group's key, the request's URL ("" for the
// endpoint) and the head of the request's body.
func (e *secopsEncoder) route(ev *formats.Event, lt, ns *eventAttr) (key, url, head string, err error) {
	logType := e.logType
	if e.t.api == secopsLogsImport || e.t.api == secopsLegacyLogs {
		if v, ok := lt.get(ev); ok {
			if !validLogType(v) {
				return "", "", "", fmt.Errorf("its %s attribute %q is not a log type (letters, digits, _ and -)", attrSecOpsLogType, redact.Cut(v))
			}
			logType = v
		}
	}
	switch e.t.api {
	case secopsLogsImport:
		if logType != e.t.logType {
			url = e.t.prefix + logType + e.t.suffix
		}
		return logType, url, e.head, nil
	case secopsLegacyLogs:
		head := string(e.legacyHead(nil, ev, logType, ns))
		return head, "", head, nil
	}
	return "", "", e.head, nil
}

// legacyHead is the head of a legacy unstructuredlogentries request:
// customer, log type, namespace and labels are the request's, so events
// that differ in them go in different requests.
func (e *secopsEncoder) legacyHead(dst []byte, ev *formats.Event, logType string, ns *eventAttr) []byte {
	dst = append(dst, `{"customer_id":`...)
	dst = jsonw.AppendString(dst, e.cfg.CustomerID)
	dst = append(dst, `,"log_type":`...)
	dst = jsonw.AppendString(dst, logType)
	if namespace := e.namespace(ev, ns); namespace != "" {
		dst = append(dst, `,"namespace":`...)
		dst = jsonw.AppendString(dst, namespace)
	}
	dst = e.appendLabels(dst, ev, `,"labels":[`, ']', func(dst []byte, k, v string) []byte {
		dst = append(dst, `{"key":`...)
		dst = jsonw.AppendString(dst, k)
		dst = append(dst, `,"value":`...)
		dst = jsonw.AppendString(dst, v)
		return append(dst, '}')
	})
	return append(dst, `,"entries":[`...)
}

func (e *secopsEncoder) namespace(ev *formats.Event, ns *eventAttr) string {
	if v, ok := ns.get(ev); ok {
		return v
	}
	return e.cfg.Namespace
}

// eachLabel calls f with every label of ev: the settings', then those of
// its label attributes, which win over a setting of the same key.
func (e *secopsEncoder) eachLabel(ev *formats.Event, f func(k, v string)) {
	for _, k := range e.labelKeys {
		if slices.Contains(e.cfg.LabelAttributes, k) {
			if _, ok := attributeValue(ev, k); ok {
				continue
			}
		}
		f(k, e.cfg.Labels[k])
	}
	for _, a := range e.cfg.LabelAttributes {
		if v, ok := attributeValue(ev, a); ok {
			f(a, v)
		}
	}
}

// appendLabels appends ev's labels, each as label writes it, between open
// and close; nothing when it has none.
func (e *secopsEncoder) appendLabels(dst []byte, ev *formats.Event, open string, close byte, label func(dst []byte, k, v string) []byte) []byte {
	first := true
	e.eachLabel(ev, func(k, v string) {
		if first {
			dst = append(dst, open...)
			first = false
		} else {
			dst = append(dst, ',')
		}
		dst = label(dst, k, v)
	})
	if !first {
		dst = append(dst, close)
	}
	return dst
}

func (e *secopsEncoder) entryName() string {
	switch e.t.api {
	case secopsEventsImport, secopsLegacyUDM:
		return "UDM event"
	}
	return "log entry"
}

func (e *secopsEncoder) limitName() string {
	if e.maxBytes != secopsMaxRequestBytes && e.maxBytes != secopsLegacyMaxRequestBytes {
		return "secops::max_request_bytes"
	}
	if e.t.api == secopsLegacyLogs || e.t.api == secopsLegacyUDM {
		return "the legacy Ingestion API's limit"
	}
	return "the Chronicle API's limit"
}

// appendData appends a log's data: the event as the json format writes
// it, or the document doc writes.
func (e *secopsEncoder) appendData(dst []byte, ev *formats.Event, doc docWriter) []byte {
	if doc != nil {
		return doc.appendDoc(dst, ev, 0)
	}
	return e.json.appendEvent(dst, ev)
}

// appendEntry appends ev's entry in the request: a Log for logs:import, an
// entry for the legacy API, a UDM event for the others. scratch holds the
// event's JSON on its way to base64; doc writes it, nil for the guide's.
func (e *secopsEncoder) appendEntry(dst, scratch []byte, ev *formats.Event, ns *eventAttr, doc docWriter) ([]byte, []byte, error) {
	switch e.t.api {
	case secopsEventsImport:
		dst = append(dst, `{"udm":`...)
		dst, err := e.appendUDM(dst, ev)
		return append(dst, '}'), scratch, err
	case secopsLegacyUDM:
		dst, err := e.appendUDM(dst, ev)
		return dst, scratch, err
	case secopsLegacyLogs:
		scratch = e.appendData(scratch[:0], ev, doc)
		dst = append(dst, `{"log_text":`...)
		dst = appendBytesAsString(dst, scratch)
		dst = append(dst, `,"ts_rfc3339":`...)
		dst = jsonw.AppendTime(dst, ev.Timestamp)
		return append(dst, '}'), scratch, nil
	}
	scratch = e.appendData(scratch[:0], ev, doc)
	dst = append(dst, `{"data":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, scratch)
	dst = append(dst, `","logEntryTime":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = append(dst, `,"collectionTime":`...)
	dst = jsonw.AppendTime(dst, e.collectionTime(ev))
	if namespace := e.namespace(ev, ns); namespace != "" {
		dst = append(dst, `,"environmentNamespace":`...)
		dst = jsonw.AppendString(dst, namespace)
	}
	dst = e.appendLabels(dst, ev, `,"labels":{`, '}', func(dst []byte, k, v string) []byte {
		dst = jsonw.AppendString(dst, k)
		dst = append(dst, `:{"value":`...)
		dst = jsonw.AppendString(dst, v)
		return append(dst, '}')
	})
	return append(dst, '}'), scratch, nil
}

// collectionTime is when the collector took the event: the record's
// observed time, which the exporter stamps on records without any time.
// A record with only its own time was collected then, as far as anyone
// knows. Never before the event itself: the API wants collectionTime
// after logEntryTime. The encoding is the same on every retry.
func (e *secopsEncoder) collectionTime(ev *formats.Event) time.Time {
	t := ev.Observed
	if t.Before(ev.Timestamp) {
		return ev.Timestamp
	}
	return t
}

// udmSeverity is a severity's UDM security_result.severity.
func udmSeverity(severity string) string {
	switch severity {
	case formats.SeverityWarning:
		return "MEDIUM"
	case formats.SeverityError:
		return "HIGH"
	case formats.SeverityCritical:
		return "CRITICAL"
	}
	return "INFORMATIONAL"
}

// appendUDM appends ev as a UDM event (docs/secops.md documents the
// mapping): a GENERIC_EVENT unless its secops.event_type attribute names a
// UDM event type, the data as additional fields.
func (e *secopsEncoder) appendUDM(dst []byte, ev *formats.Event) ([]byte, error) {
	eventType := "GENERIC_EVENT"
	if v, ok := attributeValue(ev, attrSecOpsEventType); ok {
		if !validLogType(v) {
			return dst, fmt.Errorf("its %s attribute %q is not a UDM event type (letters, digits, _ and -)", attrSecOpsEventType, redact.Cut(v))
		}
		eventType = v
	}
	dst = append(dst, `{"metadata":{"event_timestamp":`...)
	dst = jsonw.AppendTime(dst, ev.Timestamp)
	dst = append(dst, `,"event_type":`...)
	dst = jsonw.AppendString(dst, eventType)
	dst = append(dst, `,"product_name":`...)
	dst = jsonw.AppendString(dst, ev.Source)
	dst = append(dst, `,"product_event_type":`...)
	dst = jsonw.AppendString(dst, ev.Type)
	dst = append(dst, `,"product_log_id":`...)
	dst = jsonw.AppendString(dst, ev.ID)
	dst = append(dst, `},"security_result":[{"severity":"`...)
	dst = append(dst, udmSeverity(ev.Severity)...)
	dst = append(dst, `"}],"additional":`...)
	dst = appendFieldsWithout(dst, ev, attrSecOpsEventType)
	return append(dst, '}'), nil
}

// googleError is the error answer of Google's APIs.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

// ReadResponse is the format's Wire.ReadAnswer: a refused request is
// dropped with Google's status and message, and a 403 says which
// permission the credentials lack. Other answers are the status's.
func (e *secopsEncoder) ReadResponse(req *Request, status int, body []byte) []Result {
	if status != http.StatusBadRequest && status != http.StatusForbidden && status != http.StatusNotFound {
		return nil
	}
	var g googleError
	_ = json.Unmarshal(body, &g)
	if g.Error.Status == "" && g.Error.Message == "" {
		return nil
	}
	reason := fmt.Sprintf("SecOps answered %d %s: %s", status, g.Error.Status, g.Error.Message)
	switch status {
	case http.StatusForbidden:
		reason = fmt.Sprintf("SecOps refused the credentials (403 %s; grant the service account %s on the instance): %s", g.Error.Status, e.permission(), g.Error.Message)
	case http.StatusNotFound:
		reason = fmt.Sprintf("SecOps has no such instance or log type (404 %s; check the endpoint's project, region, instance and log type): %s", g.Error.Status, g.Error.Message)
	}
	return allResults(req, refusedRequest(reason))
}

// permission is the IAM permission the method wants.
func (e *secopsEncoder) permission() string {
	switch e.t.api {
	case secopsEventsImport:
		return "chronicle.events.import"
	case secopsLegacyLogs, secopsLegacyUDM:
		return "the scope https://www.googleapis.com/auth/malachite-ingestion (a legacy ingestion service account)"
	}
	return "chronicle.logs.import"
}

// servesSecOpsLogType says whether path is the test instance's logs:import
// of a log type: the stand-ins serve every log type of one instance.
func servesSecOpsLogType(path string) bool {
	i := strings.Index(testSecOpsPath, "/logTypes/") + len("/logTypes/")
	rest, ok := strings.CutPrefix(path, testSecOpsPath[:i])
	if !ok {
		return false
	}
	logType, ok := strings.CutSuffix(rest, "/logs:import")
	return ok && validLogType(logType)
}
