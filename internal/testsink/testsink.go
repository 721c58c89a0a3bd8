// Package testsink is the tests' receiver: a server that records every
// request, standing in for a format's service as the format table
// describes it (builtin.Service). The stand-in refuses what the service
// refuses: another path, a missing or wrong credential, a body of another
// shape; and answers what the service answers. Tests script other answers
// (hostile ones) with Answer, still behind those checks.
//
// The stand-ins of services that a test drives beyond the table's
// description live beside it, one per service: hecsink (Splunk's HEC, with
// acknowledgement), ddsink (Datadog's Events API and Logs intake), essink
// (Elasticsearch's document APIs), sentinel (the Logs Ingestion API) and
// tokens (OAuth2 token endpoints).
package testsink // import "github.com/sentyr/webhookexporter/internal/testsink"

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// Request is what the sink saw of one request and how it answered.
type Request struct {
	// N is the request's place among those the sink saw, from 0.
	N      int
	Method string
	// Path is the path and query as sent.
	Path   string
	Header http.Header
	// Body is the body decompressed; Raw is the body as sent (the same
	// bytes when it came uncompressed), for what is computed over them,
	// such as signatures.
	Body []byte
	Raw  []byte
	// Events is the number of events the body holds, by its shape, and
	// EventBodies the events themselves, in order.
	Events      int
	EventBodies [][]byte
	// Refused says why the stand-in refused it, "" when it did not.
	Refused string
	Status  int
}

// AnswerFunc writes the answer to a request the stand-in took. It may
// write anything (an endless body, an echo of the headers).
type AnswerFunc func(w http.ResponseWriter, r *Request)

// Handler answers the n-th request (from 0) a recorder saw, as a test
// scripts it; it may hold the answer back until r's context ends.
type Handler func(w http.ResponseWriter, r *http.Request, n int)

// Sink is a recording server, a strict stand-in for one service or a
// recorder.
type Sink struct {
	*httptest.Server
	format  string
	service builtin.Service
	header  string                   // the credential header, "" when none is checked
	valid   func(*http.Request) bool // checks the credential instead, when set
	record  Handler                  // a recorder's answer; nil for a stand-in

	mu       sync.Mutex
	requests []Request
	answer   AnswerFunc
	arrived  chan struct{} // closed and replaced when a request arrives
	// clock judges the service's pace (builtin.Service.MinInterval); nil:
	// the pace is not judged. last is when the last request was taken.
	clock func() time.Time
	last  time.Time
}

// New starts a stand-in for the service of the built-in format b.
func New(t testing.TB, b builtin.Builtin) *Sink {
	s := &Sink{format: b.Name, service: b.Service}
	if b.Credential != nil && b.Service.CredentialValue != "" {
		s.header = b.Credential.Header
	}
	return s.start(t)
}

// NewChecked starts a stand-in for the service of b whose credential is
// checked by valid (live tokens of a token endpoint stand-in) instead of
// the table's fixed test credential.
func NewChecked(t testing.TB, b builtin.Builtin, valid func(*http.Request) bool) *Sink {
	s := &Sink{format: b.Name, service: b.Service, valid: valid}
	return s.start(t)
}

// NewFormat starts a stand-in for the service of the built-in format
// called name.
func NewFormat(t testing.TB, name string) *Sink {
	b, ok := builtin.LookupBuiltin(name)
	if !ok {
		t.Fatalf("no built-in format %q", name)
	}
	return New(t, b)
}

// NewRecorder starts a sink that records every request, checking
// nothing, and answers as answer says; nil: 200 with no body.
func NewRecorder(t testing.TB, answer Handler) *Sink {
	if answer == nil {
		answer = func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) }
	}
	return (&Sink{record: answer}).start(t)
}

// Serve is the Handler answering every request with h.
func Serve(h http.HandlerFunc) Handler {
	return func(w http.ResponseWriter, r *http.Request, _ int) { h(w, r) }
}

// Post posts body to url with header, as a client that is not the
// exporter would, and returns the answer: for checking that a stand-in
// service is as strict as the real one.
func Post(t testing.TB, url string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(answer)
}

// Status is the Handler answering the n-th request status(r, n) with no
// body; nil: 200.
func Status(status func(r *http.Request, n int) int) Handler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		code := http.StatusOK
		if status != nil {
			code = status(r, n)
		}
		w.WriteHeader(code)
	}
}

func (s *Sink) start(t testing.TB) *Sink {
	s.arrived = make(chan struct{})
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	// A small send buffer keeps what a handler could write close to what
	// the client read: tests bound how much of an answer is read.
	s.Server.Config.ConnState = func(c net.Conn, state http.ConnState) {
		if tc, ok := c.(*net.TCPConn); ok && state == http.StateNew {
			_ = tc.SetWriteBuffer(sendBuffer)
		}
	}
	s.Server.Start()
	t.Cleanup(s.Close)
	return s
}

// sendBuffer is the sink's socket send buffer.
const sendBuffer = 32 << 10

// Endpoint is the URL the format's exporter sends to.
func (s *Sink) Endpoint() string { return s.URL + s.service.Path }

// Settings are the exporter settings of the format sending to the sink, as
// collector YAML gives them: endpoint, format and the service's Settings,
// copied so that a test may change them.
func (s *Sink) Settings() map[string]any {
	m := cloneMap(s.service.Settings)
	m["endpoint"] = s.Endpoint()
	m["format"] = s.format
	return m
}

// Answer makes the sink answer the requests it takes with f; nil: the
// service's own answer.
func (s *Sink) Answer(f AnswerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = f
}

// Requests returns what the sink saw so far, in order.
func (s *Sink) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Arrived is closed when the next request arrives.
func (s *Sink) Arrived() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arrived
}

// WaitTimeout bounds Wait.
const WaitTimeout = 30 * time.Second

// Wait waits until the sink has seen n requests and returns them; the test
// fails when they do not come within WaitTimeout.
func (s *Sink) Wait(t testing.TB, n int) []Request {
	t.Helper()
	timeout := time.After(WaitTimeout)
	for {
		arrived := s.Arrived()
		if got := s.Requests(); len(got) >= n {
			return got
		}
		select {
		case <-arrived:
		case <-timeout:
			t.Fatalf("the sink saw fewer than %d requests in %s", n, WaitTimeout)
		}
	}
}

// Events returns the events of the requests the stand-in took, in order.
func (s *Sink) Events() [][]byte {
	var out [][]byte
	for _, r := range s.Taken() {
		out = append(out, r.EventBodies...)
	}
	return out
}

// CompactEvents returns the events of the requests the stand-in took,
// each compacted JSON, in order.
func (s *Sink) CompactEvents(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, ev := range s.Events() {
		var b bytes.Buffer
		if err := json.Compact(&b, ev); err != nil {
			t.Fatalf("an event that is not JSON: %v", err)
		}
		out = append(out, b.String())
	}
	return out
}

// Taken returns the requests the stand-in did not refuse.
func (s *Sink) Taken() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Refused == "" {
			out = append(out, r)
		}
	}
	return out
}

// Write writes a, as a service writes an answer.
func Write(w http.ResponseWriter, a builtin.Answer) {
	if a.ContentType != "" {
		w.Header().Set("Content-Type", a.ContentType)
	}
	if a.RetryAfter != "" {
		w.Header().Set("Retry-After", a.RetryAfter)
	}
	w.WriteHeader(a.Status)
	_, _ = io.WriteString(w, a.Body)
}

func (s *Sink) handle(w http.ResponseWriter, r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone()}
	raw, err := io.ReadAll(r.Body)
	req.Raw = raw
	if err != nil {
		err = fmt.Errorf("unreadable body: %w", err)
	} else {
		req.Body, err = Decompress(r.Header, raw)
	}
	status := http.StatusBadRequest
	var judged *builtin.Answer
	switch {
	case err != nil:
		req.Refused = err.Error()
	case s.record == nil:
		req.EventBodies, status, req.Refused = s.check(r, req.Body)
		req.Events = len(req.EventBodies)
		if req.Refused == "" {
			judged = s.judge(req.Body)
			if judged != nil {
				req.Refused = fmt.Sprintf("%d %s", judged.Status, judged.Body)
			}
		}
	}
	n := s.add(req)
	rec := &statusWriter{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.requests[n].Status = rec.status
		s.mu.Unlock()
	}()
	switch {
	case req.Refused == "":
	case judged != nil:
		Write(rec, *judged)
		return
	case status == http.StatusUnauthorized:
		Write(rec, s.service.Refuse)
		return
	default:
		rec.Header().Set("Content-Type", "text/plain")
		rec.WriteHeader(status)
		_, _ = io.WriteString(rec, req.Refused)
		return
	}
	if s.record != nil {
		// The answer may read the body too.
		r.Body = io.NopCloser(bytes.NewReader(raw))
		s.record(rec, r, n)
		return
	}
	s.mu.Lock()
	answer := s.answer
	s.mu.Unlock()
	req.N = n
	if answer != nil {
		answer(rec, &req)
		return
	}
	Write(rec, s.service.Accept(req.Events))
}

// add records req as it arrives and returns its place.
func (s *Sink) add(req Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	req.N = len(s.requests)
	s.requests = append(s.requests, req)
	close(s.arrived)
	s.arrived = make(chan struct{})
	return req.N
}

// check checks a request as the service does and splits it into its
// events; a refused request gets the status and the reason, a refused
// credential 401 (the service's own Refuse answer).
func (s *Sink) check(r *http.Request, body []byte) ([][]byte, int, string) {
	if r.Method != http.MethodPost {
		return nil, http.StatusMethodNotAllowed, "method " + r.Method + ": the service takes POST"
	}
	if s.service.Path != "" && r.URL.RequestURI() != s.service.Path && (s.service.Serves == nil || !s.service.Serves(r.URL.RequestURI())) {
		return nil, http.StatusNotFound, fmt.Sprintf("path %s: the service serves %s", r.URL.RequestURI(), s.service.Path)
	}
	if s.valid != nil && !s.valid(r) {
		return nil, http.StatusUnauthorized, "no valid credential"
	}
	if s.header != "" {
		switch got := r.Header.Get(s.header); {
		case got == "":
			return nil, http.StatusUnauthorized, "no credential in " + s.header
		case got != s.service.CredentialValue:
			return nil, http.StatusUnauthorized, "a wrong credential in " + s.header
		}
	}
	if s.service.MaxBodyBytes > 0 && len(body) > s.service.MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("a body of %d bytes: the service takes at most %d", len(body), s.service.MaxBodyBytes)
	}
	events, err := Split(s.service.Body, body)
	if err != nil {
		return nil, http.StatusBadRequest, "body: " + err.Error()
	}
	return events, 0, ""
}

// judge refuses a request of the right shape as the service does, by what
// it says (Service.Judge) and by its pace: a request sooner than
// Service.MinInterval after the last one taken, by the sink's clock, is
// answered 429 with the Retry-After the service would give.
func (s *Sink) judge(body []byte) *builtin.Answer {
	if s.service.Judge != nil {
		if a := s.service.Judge(body); a != nil {
			return a
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock == nil || s.service.MinInterval <= 0 {
		return nil
	}
	now := s.clock()
	if !s.last.IsZero() && now.Sub(s.last) < s.service.MinInterval {
		wait := s.service.MinInterval - now.Sub(s.last)
		return &builtin.Answer{Status: http.StatusTooManyRequests, ContentType: "text/plain", RetryAfter: fmt.Sprint(int(math.Ceil(wait.Seconds()))),
			Body: fmt.Sprintf("rate_limited: one request every %s", s.service.MinInterval)}
	}
	s.last = now
	return nil
}

// Pace makes the sink judge the service's pace (Service.MinInterval) by
// clock, which a test sets: a request sooner than that after the last one
// taken is refused with 429. Without it, the pace is not judged.
func (s *Sink) Pace(clock func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = clock
}

// Alerts is how many alerts the service holds from the requests it took:
// requests whose events share a key (Service.Dedup) are one alert.
func (s *Sink) Alerts() int {
	keys := map[string]bool{}
	taken := s.Taken()
	for i, r := range taken {
		key := fmt.Sprint("request ", i)
		if s.service.Dedup != nil {
			key = s.service.Dedup(r.Body)
		}
		keys[key] = true
	}
	return len(keys)
}

// Count counts the events of a body of the given shape, or says how the
// body is not of it. A sink without a shape takes any body as one event.
func Count(shape builtin.BodyShape, body []byte) (int, error) {
	events, err := Split(shape, body)
	return len(events), err
}

// Split splits a body of the given shape into its events, in order, or
// says how the body is not of it.
func Split(shape builtin.BodyShape, body []byte) ([][]byte, error) {
	switch shape {
	case "":
		return [][]byte{body}, nil
	case builtin.BodyObject:
		return [][]byte{body}, oneObject(body)
	case builtin.BodyArray:
		return array(body)
	case builtin.BodyObjectOrArray:
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
			return array(body)
		}
		return [][]byte{body}, oneObject(body)
	case builtin.BodyObjects:
		return objects(body)
	case builtin.BodyBulk:
		return bulk(body)
	case builtin.BodySecOpsLogs:
		return secopsLogs(body)
	}
	return nil, fmt.Errorf("unknown shape %q", shape)
}

func oneObject(body []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return errors.New("not a JSON object")
	}
	return nil
}

func array(body []byte) ([][]byte, error) {
	var rows []json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, errors.New("not a JSON array of objects")
	}
	if len(rows) == 0 {
		return nil, errors.New("an empty array")
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		if oneObject(r) != nil {
			return nil, errors.New("not a JSON array of objects")
		}
		out[i] = r
	}
	return out, nil
}

func objects(body []byte) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || oneObject(raw) != nil {
			return nil, fmt.Errorf("object %d is not a JSON object", len(out))
		}
		out = append(out, raw)
	}
	if len(out) == 0 {
		return nil, errors.New("no data")
	}
	return out, nil
}

func bulk(body []byte) ([][]byte, error) {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, errors.New("the bulk request must be terminated by a newline")
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	if len(lines)%2 != 0 {
		return nil, errors.New("an action line without its source line")
	}
	var out [][]byte
	for i := 0; i < len(lines); i += 2 {
		var action map[string]map[string]json.RawMessage
		if err := json.Unmarshal(lines[i], &action); err != nil || len(action) != 1 {
			return nil, fmt.Errorf("malformed action line %d", i+1)
		}
		for op := range action {
			if op != "create" && op != "index" {
				return nil, fmt.Errorf("line %d: action %q carries no source", i+1, op)
			}
		}
		if err := oneObject(lines[i+1]); err != nil {
			return nil, fmt.Errorf("source line %d: %v", i+2, err)
		}
		out = append(out, lines[i+1])
	}
	return out, nil
}

// Decompress is a request's body raw, decompressed when its header h says
// gzip.
func Decompress(h http.Header, raw []byte) ([]byte, error) {
	if h.Get("Content-Encoding") != "gzip" {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("bad gzip: %w", err)
	}
	return io.ReadAll(zr)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets answers stream.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = cloneValue(v[i])
		}
		return out
	}
	return v
}

// secopsLogs reads a logs:import body as the Chronicle API does: no member
// it does not know, every log's data valid base64 of valid UTF-8, both
// times RFC 3339 and the collection not before the entry. Its events are
// the logs' data.
func secopsLogs(body []byte) ([][]byte, error) {
	var req struct {
		InlineSource *struct {
			Logs []struct {
				Data                 []byte                            `json:"data"`
				LogEntryTime         *time.Time                        `json:"logEntryTime"`
				CollectionTime       *time.Time                        `json:"collectionTime"`
				EnvironmentNamespace string                            `json:"environmentNamespace"`
				Labels               map[string]struct{ Value string } `json:"labels"`
			} `json:"logs"`
			Forwarder string `json:"forwarder"`
		} `json:"inlineSource"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("invalid JSON payload received: %v", err)
	}
	if req.InlineSource == nil || len(req.InlineSource.Logs) == 0 {
		return nil, errors.New("inlineSource.logs: required")
	}
	out := make([][]byte, len(req.InlineSource.Logs))
	for i, l := range req.InlineSource.Logs {
		switch {
		case len(l.Data) == 0:
			return nil, fmt.Errorf("logs[%d].data: required", i)
		case !utf8.Valid(l.Data):
			return nil, fmt.Errorf("logs[%d].data: not valid UTF-8", i)
		case l.LogEntryTime == nil || l.CollectionTime == nil:
			return nil, fmt.Errorf("logs[%d]: logEntryTime and collectionTime are required", i)
		case l.CollectionTime.Before(*l.LogEntryTime):
			return nil, fmt.Errorf("logs[%d]: collectionTime before logEntryTime", i)
		}
		out[i] = l.Data
	}
	return out, nil
}
