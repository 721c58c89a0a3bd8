//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// readmeSection returns the fenced blocks of README.md's "## title"
// section, by their fence's language.
func readmeSection(t *testing.T, title string) map[string][]string {
	t.Helper()
	blocks := map[string][]string{}
	for _, b := range docBlocks(t, filepath.Join(repoRoot(t), "README.md"), "README.md") {
		if b.section == title {
			blocks[b.lang] = append(blocks[b.lang], b.text)
		}
	}
	require.NotEmpty(t, blocks, "README.md has no section %q with code blocks", title)
	return blocks
}

// TestReadmeSecurityEvents runs README's "Posting events over HTTP" as a
// user would: its receiver YAML in front of the webhook exporter, and its
// curl command from the repository root, on a free port instead of the
// documented one. curl prints what the comment says, and the guide's
// three batch events arrive.
func TestReadmeSecurityEvents(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skipf("curl is not installed: %v", err)
	}
	const documented = "localhost:8787"
	blocks := readmeSection(t, "Posting events over HTTP")
	require.Len(t, blocks["yaml"], 1)
	require.Len(t, blocks["sh"], 1)
	addr := testsink.HeldAddr(t)

	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(strings.ReplaceAll(blocks["yaml"][0], documented, addr)), &cfg))
	require.Contains(t, blocks["yaml"][0], documented)
	rec := newEventRecorder(t)
	cfg["exporters"] = map[string]any{"webhook": map[string]any{"endpoint": rec.Endpoint()}}
	cfg["service"] = map[string]any{
		"telemetry": map[string]any{"metrics": map[string]any{"level": "none"}},
		"pipelines": map[string]any{"logs": map[string]any{"receivers": keys(cfg["receivers"]), "exporters": []string{"webhook"}}},
	}
	text, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, text, 0o600))
	col := startCollector(t, cfgPath, dir)
	waitListening(t, col, "http://"+addr+"/events", "")

	command, want, found := strings.Cut(strings.TrimSpace(blocks["sh"][0]), "# ")
	require.True(t, found, "the curl line ends with a comment showing its answer")
	require.Contains(t, command, documented)
	cmd := exec.CommandContext(t.Context(), "sh", "-c", strings.ReplaceAll(command, documented, addr))
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.JSONEq(t, want, string(out))

	got := rec.waitFor(t, col, 3)
	var types []string
	for _, ev := range got {
		var e struct {
			EventType string         `json:"event_type"`
			Severity  string         `json:"severity"`
			Data      map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(ev), &e))
		types = append(types, e.EventType+"/"+e.Severity)
		assert.NotEmpty(t, e.Data["file_id"], ev)
	}
	assert.ElementsMatch(t, []string{"file_shared_externally/warning", "file_shared_externally/warning", "pii_detected/critical"}, types)
}
