package webhookexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
)

const esTestKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="

// esServer stands in for Elasticsearch and checks what it checks on the
// document APIs: an ApiKey, the Content-Type, for _bulk a body of action and
// source lines ending in a newline, sources that are JSON objects; create
// with an existing _id answers 409. script makes the first _bulk request's
// items fail with the given statuses.
type esServer struct {
	*httptest.Server
	key string

	mu     sync.Mutex
	docs   map[string]map[string]any // _index/_id -> source
	order  []string                  // keys of docs in the order created
	bulks  [][]esAction              // the actions of every _bulk request
	doc    int                       // _doc requests
	script map[int]int               // item -> status, first _bulk request only
	autoID int
}

type esAction struct {
	op, index, id string
	source        map[string]any
}

func newESServer(t testing.TB) *esServer {
	s := &esServer{key: esTestKey, docs: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func esError(w http.ResponseWriter, status int, typ, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":  map[string]any{"root_cause": []any{map[string]any{"type": typ, "reason": reason}}, "type": typ, "reason": reason},
		"status": status,
	})
}

func (s *esServer) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "ApiKey "+s.key {
		w.Header().Set("WWW-Authenticate", `ApiKey`)
		esError(w, http.StatusUnauthorized, "security_exception", "missing authentication credentials for REST request ["+r.URL.Path+"]")
		return
	}
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
		esError(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "no handler for "+r.Method+" "+r.URL.Path)
	}
}

func checkESContentType(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
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
func (s *esServer) create(w http.ResponseWriter, r *http.Request, index, id string) {
	if !checkESContentType(w, r, "application/json") {
		return
	}
	var src map[string]any
	if err := json.NewDecoder(r.Body).Decode(&src); err != nil || src == nil {
		esError(w, http.StatusBadRequest, "mapper_parsing_exception", "failed to parse")
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
		esError(w, http.StatusConflict, "version_conflict_engine_exception", "["+id+"]: version conflict, document already exists (current version [1])")
		return
	}
	s.docs[key] = src
	s.order = append(s.order, key)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = fmt.Fprintf(w, `{"_index":%q,"_id":%q,"result":"created"}`, index, id)
}

// parseBulk reads a _bulk body as Elasticsearch does.
func parseBulk(body []byte, pathIndex string) ([]esAction, string) {
	if len(body) == 0 {
		return nil, "request body is required"
	}
	if body[len(body)-1] != '\n' {
		return nil, "The bulk request must be terminated by a newline [\\n]"
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	var actions []esAction
	for i := 0; i < len(lines); i++ {
		var action map[string]map[string]any
		if err := json.Unmarshal(lines[i], &action); err != nil || len(action) != 1 {
			return nil, fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT", i+1)
		}
		for op, meta := range action {
			a := esAction{op: op, index: pathIndex}
			if v, ok := meta["_index"].(string); ok {
				a.index = v
			}
			a.id, _ = meta["_id"].(string)
			if a.index == "" {
				return nil, "index is missing"
			}
			switch op {
			case "create", "index":
				i++
				if i >= len(lines) {
					return nil, "The bulk request must be terminated by a newline [\\n]"
				}
				if err := json.Unmarshal(lines[i], &a.source); err != nil || a.source == nil {
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

func (s *esServer) bulk(w http.ResponseWriter, r *http.Request, pathIndex string) {
	if !checkESContentType(w, r, "application/x-ndjson", "application/json") {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	actions, problem := parseBulk(body, pathIndex)
	if problem != "" {
		esError(w, http.StatusBadRequest, "illegal_argument_exception", problem)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	first := len(s.bulks) == 0
	s.bulks = append(s.bulks, actions)
	items := make([]map[string]any, len(actions))
	errorsSeen := false
	for i, a := range actions {
		item := map[string]any{"_index": a.index, "_id": a.id}
		key := a.index + "/" + a.id
		scripted, isScripted := s.script[i]
		switch {
		case first && isScripted:
			item["status"] = scripted
			item["error"] = scriptedError(scripted)
		case a.op == "create" && s.docs[key] != nil:
			item["status"] = http.StatusConflict
			item["error"] = map[string]any{"type": "version_conflict_engine_exception", "reason": "[" + a.id + "]: version conflict, document already exists (current version [1])"}
		default:
			item["status"] = http.StatusCreated
			item["result"] = "created"
			s.docs[key] = a.source
			s.order = append(s.order, key)
		}
		if item["status"] != http.StatusCreated {
			errorsSeen = true
		}
		items[i] = map[string]any{a.op: item}
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

func (s *esServer) storedSeqs(t testing.TB) []int {
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

func esCfg(s *esServer, path string) *Config {
	cfg := withoutQueue(testCfg(s.URL + path))
	cfg.Format = "elastic"
	cfg.Elastic.APIKey = configopaque.String(esTestKey)
	return cfg
}

func TestElasticServerIsStrict(t *testing.T) {
	s := newESServer(t)
	for _, tt := range []struct {
		name, ct, body string
		status         int
		want           string
	}{
		{"valid", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"1\"}}\n{\"a\":1}\n", 200, `"errors":false`},
		{"no final newline", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"2\"}}\n{\"a\":1}", 400, "terminated by a newline"},
		{"action without source", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"3\"}}\n", 400, "terminated by a newline"},
		{"source without action", "application/x-ndjson", "{\"a\":1}\n", 400, "Malformed action/metadata line [1]"},
		{"source not an object", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"4\"}}\n[1]\n", 400, "Malformed source line [2]"},
		{"no index", "application/x-ndjson", "{\"create\":{\"_id\":\"5\"}}\n{\"a\":1}\n", 400, "index is missing"},
		{"wrong content type", "text/plain", "{\"create\":{\"_index\":\"x\",\"_id\":\"6\"}}\n{\"a\":1}\n", 406, "not supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postRaw(t, s.URL+"/_bulk", http.Header{"Content-Type": {tt.ct}, "Authorization": {"ApiKey " + esTestKey}}, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, body, tt.want)
		})
	}
}

func TestElasticBulkRetriesOnlyFailedItemsAndDropsRefusedOnes(t *testing.T) {
	s := newESServer(t)
	s.script = map[int]int{2: 429, 7: 429, 4: 400}
	cfg := esCfg(s, "/_bulk")
	cfg.Elastic.Index = "sentyr-events"
	exp := startExporter(t, cfg)

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(10, 0)))

	s.mu.Lock()
	bulks := s.bulks
	s.mu.Unlock()
	require.Len(t, bulks, 2, "the batch, then the items that got 429")
	require.Len(t, bulks[0], 10)
	require.Len(t, bulks[1], 2, "exactly items 2 and 7 are sent again")
	assert.Equal(t, []string{bulks[0][2].id, bulks[0][7].id}, []string{bulks[1][0].id, bulks[1][1].id}, "with the same _id")
	for _, a := range bulks[0] {
		assert.Equal(t, "create", a.op)
		assert.Equal(t, "sentyr-events", a.index)
		assert.Len(t, a.id, 32, "_id is the event id")
	}
	stored := s.storedSeqs(t)
	slices.Sort(stored)
	assert.Equal(t, countTo(10, 4), stored, "each event once, item 4 never")

	drops := exp.logs.FilterMessageSnippet("refused an event")
	require.Equal(t, 1, drops.Len(), "one log line for item 4")
	fields := drops.All()[0].ContextMap()
	assert.Equal(t, "Elasticsearch item status 400, mapper_parsing_exception: failed to parse field [sentyr.seq] of type [date]", fields["reason"])
	assert.Equal(t, bulks[0][4].id, fields["event_id"])
}

func TestElasticBulkConflictMeansDelivered(t *testing.T) {
	s := newESServer(t)
	exp := startExporter(t, esCfg(s, "/sentyr/_bulk"))
	ld := numberedLogs(5, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	// The same events again, as after an answer lost on the way back.
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	assert.Equal(t, countTo(5), s.storedSeqs(t), "stored once")
	assert.Zero(t, exp.logs.FilterMessageSnippet("refused").Len(), "409 is delivered, not refused")
	assert.Equal(t, int64(10), sentRecords(t, exp))
}

func TestElasticDocEndpointSendsOneDocumentPerRequest(t *testing.T) {
	s := newESServer(t)
	exp := startExporter(t, esCfg(s, "/sentyr/_doc"))

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(6, 0)))

	stored := s.storedSeqs(t)
	slices.Sort(stored)
	assert.Equal(t, countTo(6), stored)
	s.mu.Lock()
	assert.Equal(t, 6, s.doc)
	s.mu.Unlock()
}

// TestElasticDocResendIsAConflictNotASecondDocument sends the same
// events twice to a /_doc endpoint, as a restart would: each is one
// document, created under its event id, and the 409 of the second time
// counts as delivered.
func TestElasticDocResendIsAConflictNotASecondDocument(t *testing.T) {
	s := newESServer(t)
	exp := startExporter(t, esCfg(s, "/sentyr/_doc?refresh=false"))
	ld := numberedLogs(4, 0)

	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))

	stored := s.storedSeqs(t)
	slices.Sort(stored)
	assert.Equal(t, countTo(4), stored, "one document per event")
	ids := eventIDs(ld)
	s.mu.Lock()
	for _, id := range ids {
		assert.Contains(t, s.docs, "sentyr/"+id, "the document's _id is the event id")
	}
	assert.Equal(t, 8, s.doc, "both times sent")
	s.mu.Unlock()
	assert.Zero(t, exp.logs.FilterMessageSnippet("refused").Len(), "409 is delivered, not refused")
	assert.Equal(t, int64(8), sentRecords(t, exp))
}

func TestElasticWithoutCredentialsIsRefused(t *testing.T) {
	s := newESServer(t)
	cfg := esCfg(s, "/sentyr/_bulk")
	cfg.Elastic.APIKey = ""
	exp := startExporter(t, cfg)

	err := exp.ConsumeLogs(context.Background(), numberedLogs(2, 0))

	require.Error(t, err)
	assert.Empty(t, s.storedSeqs(t))
	assert.Equal(t, 1, exp.logs.FilterMessageSnippet("refused the events").Len(), "401 is one log line for the request")
}

// TestServiceFormatSettingsAreValidated checks that the collector's
// validation reaches each service format's settings and names the field.
func TestServiceFormatSettingsAreValidated(t *testing.T) {
	for _, tt := range []struct {
		name string
		conf map[string]any
		want string
	}{
		{"bulk without index", map[string]any{"endpoint": "https://es.example.com:9200/_bulk", "format": "elastic"},
			"elastic::index: required with a /_bulk endpoint"},
		{"elastic endpoint without _doc or _bulk", map[string]any{"endpoint": "https://es.example.com:9200/sentyr", "format": "elastic"},
			"must end in /<index>/_doc"},
		{"pipeline with _doc", map[string]any{"endpoint": "https://es.example.com/sentyr/_doc", "format": "elastic", "elastic": map[string]any{"pipeline": "p"}},
			"add ?pipeline=<name> to the endpoint"},
		{"tiny HEC requests", map[string]any{"endpoint": "https://splunk.example.com:8088/services/collector/event", "format": "splunk_hec",
			"splunk_hec": map[string]any{"max_request_bytes": 10}}, "splunk_hec::max_request_bytes: 10 is too small"},
		{"Datadog site with scheme", map[string]any{"endpoint": "https://api.datadoghq.eu/api/v1/events", "format": "datadog",
			"datadog": map[string]any{"site": "https://datadoghq.eu"}}, "datadog::site"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(tt.conf).Unmarshal(cfg))
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
