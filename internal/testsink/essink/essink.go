// Package essink stands in for Elasticsearch's document APIs in tests
// (_bulk, _doc, _create), refusing what Elasticsearch refuses.
package essink // import "github.com/sentyr/webhookexporter/internal/testsink/essink"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Key is the API key the stand-in takes.
const Key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="

// MaxContentLength is the largest body Elasticsearch takes by default
// (http.max_content_length).
const MaxContentLength = 100 << 20

// Sink stands in for Elasticsearch and checks what it checks on the
// document APIs: an ApiKey, the Content-Type, a body within
// MaxContentLength (413), for _bulk a body of action and
// source lines ending in a newline, sources that are JSON objects; create
// with an existing _id answers 409. It answers its root (GET /), which the
// connection check reads.
type Sink struct {
	*httptest.Server
	key string

	mu     sync.Mutex
	docs   map[string]map[string]any // _index/_id -> source
	order  []string                  // keys of docs in the order created
	bulks  [][]Action                // the actions of every _bulk request
	doc    int                       // _doc requests
	script map[int]int               // item -> status, first _bulk request only
	autoID int
}

// Action is one action of a _bulk request, with its source.
type Action struct {
	Op, Index, ID string
	Source        map[string]any
}

// New starts a stand-in; it stops when the test ends.
func New(t testing.TB) *Sink {
	s := &Sink{key: Key, docs: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func writeError(w http.ResponseWriter, status int, typ, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":  map[string]any{"root_cause": []any{map[string]any{"type": typ, "reason": reason}}, "type": typ, "reason": reason},
		"status": status,
	})
}

func (s *Sink) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "ApiKey "+s.key {
		w.Header().Set("WWW-Authenticate", `ApiKey`)
		writeError(w, http.StatusUnauthorized, "security_exception", "missing authentication credentials for REST request ["+r.URL.Path+"]")
		return
	}
	if r.ContentLength > MaxContentLength {
		writeError(w, http.StatusRequestEntityTooLarge, "http_content_too_long", fmt.Sprintf("request body is too large: the limit is %d bytes", MaxContentLength))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxContentLength)
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"name":"node-1","cluster_name":"siem","version":{"number":"8.15.0"},"tagline":"You Know, for Search"}`)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/_bulk"):
		s.bulk(w, r, strings.Trim(strings.TrimSuffix(path, "_bulk"), "/"))
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/_doc"):
		s.create(w, r, strings.Trim(strings.TrimSuffix(path, "_doc"), "/"), "")
	case (r.Method == http.MethodPost || r.Method == http.MethodPut) && strings.Contains(path, "/_create/"):
		index, id, _ := strings.Cut(strings.Trim(path, "/"), "/_create/")
		s.create(w, r, index, id)
	default:
		writeError(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "no handler for "+r.Method+" "+r.URL.Path)
	}
}

func checkContentType(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !slices.Contains(allowed, ct) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotAcceptable)
		_, _ = fmt.Fprintf(w, `{"error":"Content-Type header [%s] is not supported","status":406}`, ct)
		return false
	}
	return true
}

// create is POST /<index>/_doc (id "": Elasticsearch picks one) and
// POST /<index>/_create/<id>, which answers 409 when the id exists.
func (s *Sink) create(w http.ResponseWriter, r *http.Request, index, id string) {
	if !checkContentType(w, r, "application/json") {
		return
	}
	var src map[string]any
	if err := json.NewDecoder(r.Body).Decode(&src); err != nil || src == nil {
		writeError(w, http.StatusBadRequest, "mapper_parsing_exception", "failed to parse")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc++
	if id == "" {
		s.autoID++
		id = fmt.Sprintf("auto-%d", s.autoID)
	}
	key := index + "/" + id
	if s.docs[key] != nil {
		writeError(w, http.StatusConflict, "version_conflict_engine_exception", "["+id+"]: version conflict, document already exists (current version [1])")
		return
	}
	s.docs[key] = src
	s.order = append(s.order, key)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = fmt.Fprintf(w, `{"_index":%q,"_id":%q,"result":"created"}`, index, id)
}

// parseBulk reads a _bulk body as Elasticsearch does.
func parseBulk(body []byte, pathIndex string) ([]Action, string) {
	if len(body) == 0 {
		return nil, "request body is required"
	}
	if body[len(body)-1] != '\n' {
		return nil, "The bulk request must be terminated by a newline [\\n]"
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	var actions []Action
	for i := 0; i < len(lines); i++ {
		var action map[string]map[string]any
		if err := json.Unmarshal(lines[i], &action); err != nil || len(action) != 1 {
			return nil, fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT", i+1)
		}
		for op, meta := range action {
			a := Action{Op: op, Index: pathIndex}
			if v, ok := meta["_index"].(string); ok {
				a.Index = v
			}
			a.ID, _ = meta["_id"].(string)
			if a.Index == "" {
				return nil, "index is missing"
			}
			switch op {
			case "create", "index":
				i++
				if i >= len(lines) {
					return nil, "The bulk request must be terminated by a newline [\\n]"
				}
				if err := json.Unmarshal(lines[i], &a.Source); err != nil || a.Source == nil {
					return nil, fmt.Sprintf("Malformed source line [%d], expected a JSON object", i+1)
				}
			case "delete":
			default:
				return nil, fmt.Sprintf("Malformed action/metadata line [%d], expected one of [create, delete, index, update] but found [%s]", i+1, op)
			}
			actions = append(actions, a)
		}
	}
	return actions, ""
}

func (s *Sink) bulk(w http.ResponseWriter, r *http.Request, pathIndex string) {
	if !checkContentType(w, r, "application/x-ndjson", "application/json") {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "http_content_too_long", err.Error())
		return
	}
	actions, problem := parseBulk(body, pathIndex)
	if problem != "" {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception", problem)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	first := len(s.bulks) == 0
	s.bulks = append(s.bulks, actions)
	items := make([]map[string]any, len(actions))
	errorsSeen := false
	for i, a := range actions {
		item := map[string]any{"_index": a.Index, "_id": a.ID}
		key := a.Index + "/" + a.ID
		scripted, isScripted := s.script[i]
		switch {
		case first && isScripted:
			item["status"] = scripted
			item["error"] = scriptedError(scripted)
		case a.Op == "create" && s.docs[key] != nil:
			item["status"] = http.StatusConflict
			item["error"] = map[string]any{"type": "version_conflict_engine_exception", "reason": "[" + a.ID + "]: version conflict, document already exists (current version [1])"}
		default:
			item["status"] = http.StatusCreated
			item["result"] = "created"
			s.docs[key] = a.Source
			s.order = append(s.order, key)
		}
		if item["status"] != http.StatusCreated {
			errorsSeen = true
		}
		items[i] = map[string]any{a.Op: item}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"took": 3, "errors": errorsSeen, "items": items})
}

func scriptedError(status int) map[string]any {
	if status == http.StatusTooManyRequests {
		return map[string]any{"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"}
	}
	return map[string]any{"type": "mapper_parsing_exception", "reason": "failed to parse field [sentyr.seq] of type [date]"}
}

// Script makes the items of the first _bulk request fail: item -> status.
func (s *Sink) Script(items map[int]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = items
}

// Bulks returns the actions of every _bulk request, in order.
func (s *Sink) Bulks() [][]Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bulks)
}

// Docs returns the documents stored, by _index/_id.
func (s *Sink) Docs() map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.docs)
}

// DocRequests counts the requests to the single-document APIs.
func (s *Sink) DocRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc
}

// StoredSeqs returns the sentyr.seq of the documents stored, in the order
// they were created, as tests number events.
func (s *Sink) StoredSeqs(t testing.TB) []int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, 0, len(s.order))
	for _, key := range s.order {
		data, _ := s.docs[key]["sentyr"].(map[string]any)
		seq, isNumber := data["seq"].(float64)
		require.True(t, isNumber, "document %s has sentyr.seq", key)
		out = append(out, int(seq))
	}
	return out
}
