//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestQuickstartFile runs the distribution with examples/quickstart.yaml,
// as `make run` does, pointed at a local sink through the example's
// ${env:...} settings: the file_log receiver reads examples/events.jsonl
// from its start and the guide's three batch events arrive, in order, as
// the guide's generic JSON. Then an event posted in the guide's shape to
// the quickstart's securityevents receiver arrives as the same event.
func TestQuickstartFile(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	srv := newSink(t)
	securityEvents := testsink.HeldAddr(t)
	col := startCollector(t, filepath.Join(root, "examples", "quickstart.yaml"), root, envFor(
		"WEBHOOK_ENDPOINT", srv.URL+"/events",
		"OTLP_HTTP_ENDPOINT", testsink.HeldAddr(t),
		"SECURITYEVENTS_ENDPOINT", securityEvents,
		"QUICKSTART_EVENTS", filepath.Join(root, "examples", "events.jsonl"),
	)...)

	// The guide's send_batch events, in the order of the file.
	want := []struct {
		eventType, severity, data string
	}{
		{"file_shared_externally", "warning", `{"file_id": "abc123", "file_name": "doc1.pdf"}`},
		{"file_shared_externally", "warning", `{"file_id": "def456", "file_name": "doc2.pdf"}`},
		{"pii_detected", "critical", `{"file_id": "ghi789", "pii_types": ["ssn", "email"]}`},
	}

	var got []map[string]any
	for len(got) < len(want) {
		r := srv.next(t, col)
		assert.Equal(t, "/events", r.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		got = append(got, events(t, r)...)
	}
	require.Len(t, got, len(want), "events delivered")

	for i, w := range want {
		ev := got[i]
		ts, _ := ev["timestamp"].(string)
		// The lines carry no time, so the event's is when the file was read.
		parsed, err := time.Parse(time.RFC3339Nano, ts)
		if assert.NoError(t, err, "event %d timestamp %q", i, ts) {
			assert.True(t, strings.HasSuffix(ts, "Z"), "event %d timestamp %q is UTC with Z", i, ts)
			assert.False(t, parsed.IsZero())
		}
		wantEv := parse(t, `{"timestamp": "`+ts+`", "source": "sentyr", "event_type": "`+w.eventType+
			`", "severity": "`+w.severity+`", "data": `+w.data+`}`)
		assert.Equal(t, wantEv, ev, "event %d", i)
	}

	// The guide's example event, as its Python sender posts it.
	const guideEvent = `{"timestamp": "2025-10-29T12:00:00Z", "source": "sentyr", "event_type": "file_shared_externally", "severity": "warning", ` +
		`"data": {"file_id": "abc123", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com"}}`
	waitListening(t, col, "http://"+securityEvents+"/events", "")
	resp, err := http.Post("http://"+securityEvents+"/events", "application/json", strings.NewReader(guideEvent))
	require.NoError(t, err)
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", answer)
	posted := events(t, srv.next(t, col))
	require.Len(t, posted, 1)
	assert.Equal(t, parse(t, guideEvent), posted[0])
}
