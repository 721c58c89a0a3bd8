// Package sentinel is a stand-in for the Azure Monitor Logs Ingestion
// API in tests, as strict as the service where the service refuses a
// request, and stricter where it would lose data without a word: it
// refuses rows with columns the stream does not declare (the service drops
// them) and field values over 64 KB (the service truncates them).
package sentinel // import "github.com/sentyr/webhookexporter/internal/testsink/sentinel"

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// The DCR and stream the sink serves.
const (
	DCR    = "dcr-0123456789abcdef0123456789abcdef"
	Stream = "Custom-SentyrEvents"
	Path   = "/dataCollectionRules/" + DCR + "/streams/" + Stream
)

// Limits the sink enforces, the service's.
const (
	MaxRequestBytes = 1_000_000
	MaxFieldBytes   = 64_000
)

var apiVersions = map[string]bool{"2023-01-01": true, "2021-11-01-preview": true}

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Request is what the sink accepted of one request.
type Request struct {
	Header http.Header
	// Size is the body's size as sent, Raw its size once decompressed.
	Size, Raw int
	Rows      []map[string]any
}

// Sink is the ingestion endpoint of one DCR stream.
type Sink struct {
	*httptest.Server
	testsink.Ledger[Request]
	// Columns are the stream's declared columns and their types (string,
	// datetime, dynamic, int, long, real, boolean).
	columns map[string]string
	valid   func(*http.Request) bool
}

// New starts a sink for a stream with columns; valid says whether a
// request's bearer token is good. It stops when the test ends.
func New(t testing.TB, columns map[string]string, valid func(*http.Request) bool) *Sink {
	s := &Sink{columns: columns, valid: valid}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// IngestionURL is the stream's ingestion URL with the api-version.
func (s *Sink) IngestionURL() string { return s.URL + Path + "?api-version=2023-01-01" }

// fail answers as the service does: a JSON error with a code and a message.
func (s *Sink) fail(w http.ResponseWriter, status int, code, msg string) {
	s.Refuse(fmt.Sprintf("%d %s: %s", status, code, msg))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (s *Sink) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.fail(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only POST")
		return
	}
	if r.URL.Path != Path {
		s.fail(w, http.StatusNotFound, "NotFound", "no data collection rule or stream at "+r.URL.Path)
		return
	}
	if !apiVersions[r.URL.Query().Get("api-version")] {
		s.fail(w, http.StatusBadRequest, "InvalidApiVersion", "missing or unsupported api-version")
		return
	}
	if !s.valid(r) {
		s.fail(w, http.StatusUnauthorized, "InvalidToken", "a valid bearer token for https://monitor.azure.com is required")
		return
	}
	if id := r.Header.Get("x-ms-client-request-id"); id != "" && !guid.MatchString(id) {
		s.fail(w, http.StatusBadRequest, "InvalidRequestId", "x-ms-client-request-id is not a GUID: "+id)
		return
	}
	sent, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil || len(sent) > MaxRequestBytes {
		s.fail(w, http.StatusRequestEntityTooLarge, "ContentLengthLimitExceeded", "the request is over 1 MB")
		return
	}
	raw := sent
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(sent))
		if err == nil {
			raw, err = io.ReadAll(io.LimitReader(zr, MaxRequestBytes+1))
		}
		if err != nil {
			s.fail(w, http.StatusBadRequest, "InvalidContentEncoding", "the gzip body cannot be read")
			return
		}
		if len(raw) > MaxRequestBytes {
			s.fail(w, http.StatusRequestEntityTooLarge, "ContentLengthLimitExceeded", "the request is over 1 MB uncompressed")
			return
		}
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		s.fail(w, http.StatusBadRequest, "InvalidContent", "the body is not a JSON array of objects: "+err.Error())
		return
	}
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		if msg := s.checkRow(row); msg != "" {
			s.fail(w, http.StatusBadRequest, "InvalidContent", fmt.Sprintf("row %d: %s", i, msg))
			return
		}
		out[i] = map[string]any{}
		for k, v := range row {
			var x any
			_ = json.Unmarshal(v, &x)
			out[i][k] = x
		}
	}
	after, throttled := s.Take(Request{Header: r.Header.Clone(), Size: len(sent), Raw: len(raw), Rows: out})
	if throttled {
		w.Header().Set("Retry-After", after)
		s.fail(w, http.StatusTooManyRequests, "TooManyRequests", "throttled")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkRow checks a row against the stream's columns.
func (s *Sink) checkRow(row map[string]json.RawMessage) string {
	if _, ok := row["TimeGenerated"]; !ok && s.columns["TimeGenerated"] != "" {
		return "no TimeGenerated"
	}
	for k, v := range row {
		typ, ok := s.columns[k]
		if !ok {
			return fmt.Sprintf("column %q is not declared by the stream", k)
		}
		if len(v) > MaxFieldBytes {
			return fmt.Sprintf("column %q is %d bytes, over 64 KB", k, len(v))
		}
		if msg := checkType(typ, v); msg != "" {
			return fmt.Sprintf("column %q: %s", k, msg)
		}
	}
	return ""
}

func checkType(typ string, v json.RawMessage) string {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return err.Error()
	}
	switch typ {
	case "string":
		if _, ok := x.(string); !ok {
			return "not a string"
		}
	case "datetime":
		str, ok := x.(string)
		if !ok {
			return "not a datetime string"
		}
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			return "not an RFC 3339 datetime: " + str
		}
	case "dynamic":
	case "boolean":
		if _, ok := x.(bool); !ok {
			return "not a boolean"
		}
	case "int", "long", "real":
		if _, ok := x.(float64); !ok {
			return "not a number"
		}
	default:
		return "unknown column type " + typ
	}
	return ""
}
