package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsYAML are the ```yaml blocks of a page of docs/.
var docsYAML = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// The webhook feed configuration of docs/secops.md sends what a SecOps
// webhook feed takes: NDJSON, one event a line, with the feed's API key
// and secret in X-goog-api-key and X-Webhook-Access-Key, to the feed's
// importPushLogs URL; the secrets are shown redacted.
func TestSecOpsWebhookFeedOfTheDocs(t *testing.T) {
	page, err := os.ReadFile("../../docs/secops.md")
	require.NoError(t, err)
	var block string
	for _, m := range docsYAML.FindAllStringSubmatch(string(page), -1) {
		if strings.Contains(m[1], "secops-feed") {
			block = m[1]
		}
	}
	require.NotEmpty(t, block, "docs/secops.md has the webhook feed's block")
	config := filepath.Join(t.TempDir(), "feed.yaml")
	require.NoError(t, os.WriteFile(config, []byte(block), 0o600))
	t.Setenv("SECOPS_FEED_API_KEY", "feed-api-key-0123456789")
	t.Setenv("SECOPS_FEED_SECRET", "feed-secret-0123456789")

	out, errOut, code := previewOut(t, "-config", config, "-events", "../../examples/events.jsonl")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "POST https://europe-west2-chronicle.googleapis.com/v1alpha/projects/my-project/locations/europe-west2/instances/00000000-0000-4000-8000-000000000000/feeds/0123456789abcdef:importPushLogs\n")
	assert.Contains(t, out, "Content-Type: application/x-ndjson\n")
	assert.Regexp(t, `(?m)^X-Goog-Api-Key: \S*REDACTED`, out)
	assert.Regexp(t, `(?m)^X-Webhook-Access-Key: \S*REDACTED`, out)
	assert.NotContains(t, out, "feed-api-key-0123456789")
	assert.NotContains(t, out, "feed-secret-0123456789")

	// The body: one JSON event a line, the guide's three.
	body := out[strings.Index(out, "\n\n")+2:]
	var lines int
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(l, "{") {
			break
		}
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &ev), l)
		assert.Contains(t, ev, "event_type")
		lines++
	}
	assert.Equal(t, 3, lines)
}
