//go:build e2e

package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/sentyr/webhookexporter/auth"
	"github.com/sentyr/webhookexporter/internal/authclient"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// securityEventsConfig: the guide's events in over HTTP, checked with the
// guide's signature (securityevents) or a raw one over the bytes sent
// (securityevents/bulk, for NDJSON, which the guide's scheme cannot sign),
// out as the guide's generic JSON.
const securityEventsConfig = `
receivers:
  securityevents:
    endpoint: ${env:EVENTS_ENDPOINT}
    verify:
      method: hmac
      secret: ${env:WEBHOOK_SECRET}
  securityevents/bulk:
    endpoint: ${env:BULK_ENDPOINT}
    verify:
      method: hmac
      scheme: raw
      secret: ${env:WEBHOOK_SECRET}
exporters:
  webhook:
    endpoint: ${env:WEBHOOK_ENDPOINT}
    format: json
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [securityevents, securityevents/bulk]
      exporters: [webhook]
`

// eventRecorder stands in for the SIEM: a json-format service that keeps
// every event of every body it takes.
type eventRecorder struct{ *testsink.Sink }

func newEventRecorder(t *testing.T) *eventRecorder {
	return &eventRecorder{testsink.NewFormat(t, "json")}
}

// waitFor waits until at least n events arrived, while the collector runs.
func (r *eventRecorder) waitFor(t *testing.T, c *collector, n int) []string {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for {
		got := r.CompactEvents(t)
		if len(got) >= n {
			return got
		}
		c.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered within %s", len(got), n, deliverTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// guideSigner posts as the webhookauth extension signs with the guide's
// scheme (sorted_json), through a confighttp client.
func guideSigner(t *testing.T, secret string) *http.Client {
	t.Helper()
	cfg := auth.NewFactory().CreateDefaultConfig().(*auth.Config)
	cfg.HMAC = configoptional.Some(auth.HMACConfig{Secret: configopaque.String(secret), Header: "X-Signature"})
	return authclient.New(t, cfg, "")
}

// postEvents posts body and returns the status and answer.
func postEvents(t *testing.T, client *http.Client, url string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(answer)
}

// rawSignature is the raw scheme's X-Signature: hex HMAC-SHA256 of body.
func rawSignature(secret string, body []byte) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return http.Header{"X-Signature": {hex.EncodeToString(m.Sum(nil))}}
}

// waitListening waits until the receiver at url answers a signed empty
// batch, which it accepts without handing anything on.
func waitListening(t *testing.T, c *collector, url, secret string) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		c.running(t)
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("[]"))
		require.NoError(t, err)
		req.Header = rawSignature(secret, []byte("[]"))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver at %s did not answer within %s", url, startTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSecurityEventsReceiver runs the distribution with the securityevents
// receiver in front of the webhook exporter: the guide's three example
// events arrive as the guide's payloads, an invalid event gets 400 naming
// its field, a wrong signature 401, the guide's Python sending code is
// accepted, and 10,000 NDJSON events arrive exactly once.
func TestSecurityEventsReceiver(t *testing.T) {
	t.Parallel()
	const secret = "e2e-guide-secret"
	rec := newEventRecorder(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(securityEventsConfig), 0o600))
	events, bulk := testsink.HeldAddr(t), testsink.HeldAddr(t)
	col := startCollector(t, cfgPath, dir, envFor(
		"EVENTS_ENDPOINT", events,
		"BULK_ENDPOINT", bulk,
		"WEBHOOK_SECRET", secret,
		"WEBHOOK_ENDPOINT", rec.Endpoint(),
	)...)
	eventsURL, bulkURL := "http://"+events+"/events", "http://"+bulk+"/events"
	waitListening(t, col, eventsURL, secret)
	waitListening(t, col, bulkURL, secret)
	signer := guideSigner(t, secret)

	// The guide's send_batch events, as its generic JSON payload writes them.
	guide := []string{
		`{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","event_type":"file_shared_externally","severity":"warning","data":{"file_id":"abc123","file_name":"doc1.pdf"}}`,
		`{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","event_type":"file_shared_externally","severity":"warning","data":{"file_id":"def456","file_name":"doc2.pdf"}}`,
		`{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","event_type":"pii_detected","severity":"critical","data":{"file_id":"ghi789","pii_types":["ssn","email"]}}`,
	}
	t.Run("guide events", func(t *testing.T) {
		for _, ev := range guide {
			status, answer := postEvents(t, signer, eventsURL, []byte(ev), nil)
			require.Equal(t, http.StatusOK, status, answer)
		}
		got := rec.waitFor(t, col, len(guide))
		assert.ElementsMatch(t, guide, got)
	})

	t.Run("invalid event", func(t *testing.T) {
		body := "[" + guide[0] + `, {"event_type": "x", "severity": "urgent"}]`
		status, answer := postEvents(t, signer, eventsURL, []byte(body), nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, answer, "event 2: severity: must be one of info, warning, error or critical")
	})

	t.Run("wrong signature", func(t *testing.T) {
		status, answer := postEvents(t, guideSigner(t, secret+"-wrong"), eventsURL, []byte(guide[0]), nil)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, answer, "signature in X-Signature does not verify")
		assert.NotContains(t, answer, secret)
	})

	var python []string
	t.Run("guide python sender", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		require.NoError(t, err, "python3 is required to run the guide's sending code")
		cmd := exec.CommandContext(t.Context(), py, filepath.Join(repoRoot(t), "receiver", "securityevents", "testdata", "guide_sender.py"), eventsURL, secret)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "python3: %s", stderr.String())
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		require.Len(t, lines, 5, "%s", out)
		assert.Equal(t, "sent 4/5", lines[4], "the sender with the wrong secret is refused: %s", stderr.String())
		for _, l := range lines[:4] {
			var b bytes.Buffer
			require.NoError(t, json.Compact(&b, []byte(l)))
			python = append(python, b.String())
		}
		got := rec.waitFor(t, col, len(guide)+len(python))
		assert.ElementsMatch(t, append(append([]string(nil), guide...), python...), got)
	})

	const bulkEvents = 10_000
	t.Run("10000 ndjson events", func(t *testing.T) {
		var body bytes.Buffer
		for i := range bulkEvents {
			fmt.Fprintf(&body, `{"event_type":"bulk","severity":"info","timestamp":"2025-10-29T12:00:00Z","data":{"id":%d}}`+"\n", i)
		}
		status, answer := postEvents(t, http.DefaultClient, bulkURL, body.Bytes(), rawSignature(secret, body.Bytes()))
		require.Equal(t, http.StatusOK, status, answer)
		assert.JSONEq(t, fmt.Sprintf(`{"accepted": %d}`, bulkEvents), answer)
		rec.waitFor(t, col, len(guide)+len(python)+bulkEvents)
	})

	// Stopping drains the exporter's queue: a duplicate still in it would
	// arrive now.
	require.NoError(t, col.stop(t))
	seen := map[int]int{}
	others := 0
	for _, ev := range rec.CompactEvents(t) {
		var e struct {
			EventType string `json:"event_type"`
			Data      struct {
				ID *int `json:"id"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(ev), &e), ev)
		if e.EventType != "bulk" {
			others++
			continue
		}
		require.NotNil(t, e.Data.ID, ev)
		seen[*e.Data.ID]++
	}
	assert.Equal(t, len(guide)+len(python), others, "only the accepted guide and Python events besides the bulk")
	assert.Len(t, seen, bulkEvents, "every bulk event arrived")
	var twice []int
	for id, n := range seen {
		if n != 1 {
			twice = append(twice, id)
		}
	}
	sort.Ints(twice)
	assert.Empty(t, twice, "bulk events that arrived more than once")
}
