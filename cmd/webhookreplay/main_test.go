package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// deadLetterLine is a line as the exporter writes it: an OTLP/JSON request
// of one record, with the deadLetter member.
func deadLetterLine(t *testing.T, body, id string) string {
	t.Helper()
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(body)
	b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return strings.TrimSuffix(string(b), "}") + fmt.Sprintf(`,"deadLetter":{"reason":"refused","eventId":%q}}`, id)
}

// otlpServer decodes each request as the collector's OTLP/HTTP receiver
// does and answers as answer says for the record's body.
func otlpServer(t *testing.T, answer func(w http.ResponseWriter, body string)) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var got []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := plogotlp.NewExportRequest()
		if r.Header.Get("Content-Type") != "application/json" || req.UnmarshalJSON(b) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		body := req.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str()
		mu.Lock()
		got = append(got, body+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		answer(w, body)
	}))
	t.Cleanup(s.Close)
	return s, &got
}

func TestReplaySendsEachLineAndTellsWhatWasRefused(t *testing.T) {
	s, got := otlpServer(t, func(w http.ResponseWriter, body string) {
		switch body {
		case "refused":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("Permanent error: schema"))
		case "partial":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"too old"}}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		}
	})
	dir := t.TempDir()
	file := filepath.Join(dir, "replay.jsonl")
	lines := []string{
		deadLetterLine(t, "ok-1", "id1"),
		deadLetterLine(t, "refused", "id2"),
		"not json",
		deadLetterLine(t, "partial", "id3"),
		deadLetterLine(t, "ok-2", "id4"),
	}
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	failed := filepath.Join(dir, "failed.jsonl")
	var out bytes.Buffer

	code, err := run(context.Background(), []string{"-endpoint", s.URL + "/v1/logs", "-header", "Authorization: Bearer t", "-failed", failed, file}, &out, io.Discard)

	require.NoError(t, err)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{"ok-1 auth=Bearer t", "refused auth=Bearer t", "partial auth=Bearer t", "ok-2 auth=Bearer t"}, *got,
		"each line as the receiver reads it, the deadLetter member skipped")
	text := out.String()
	assert.Contains(t, text, "replay.jsonl:2: event id2 (was refused): answered 400 Bad Request: Permanent error: schema")
	assert.Contains(t, text, "replay.jsonl:3: not a dead letter")
	assert.Contains(t, text, "replay.jsonl:4: event id3 (was refused): rejected: too old")
	assert.Contains(t, text, "accepted by the collector 2, refused 2, not valid 1")
	kept, err := os.ReadFile(failed)
	require.NoError(t, err)
	assert.Equal(t, lines[1]+"\n"+lines[2]+"\n"+lines[3]+"\n", string(kept), "what was not accepted, ready to replay again")
}

func TestReplayAllAcceptedExitsZero(t *testing.T) {
	s, _ := otlpServer(t, func(w http.ResponseWriter, _ string) { w.WriteHeader(http.StatusOK) })
	file := filepath.Join(t.TempDir(), "replay.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(deadLetterLine(t, "a", "1")+"\n"), 0o600))
	var out bytes.Buffer

	code, err := run(context.Background(), []string{"-endpoint", s.URL, file}, &out, io.Discard)

	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Equal(t, "accepted by the collector 1, refused 0, not valid 0\n", out.String())
}

func TestReplayNeedsAFile(t *testing.T) {
	code, err := run(context.Background(), nil, io.Discard, io.Discard)
	assert.Equal(t, 2, code)
	assert.ErrorContains(t, err, "dead-letter files")
}

// -h prints the usage and is not an error.
func TestHelpExitsZero(t *testing.T) {
	var out, errOut bytes.Buffer
	code, err := run(context.Background(), []string{"-h"}, &out, &errOut)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut.String(), "-endpoint")
}
