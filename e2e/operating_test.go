//go:build e2e

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestReadmeOperating runs the README's Operating it section: its config
// (the health and metrics ports moved to free ones), completed with the
// securityevents receiver and the exporter sending to a recorder; the
// guide's three events go through; then each curl line of the section,
// as written but for the ports, prints what its comment shows ("..."
// standing for any text).
func TestReadmeOperating(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skipf("curl is not installed: %v", err)
	}
	blocks := readmeSection(t, "Operating it")
	require.Len(t, blocks["yaml"], 1)
	require.Len(t, blocks["sh"], 1)
	// The config writes the metrics port as a number, not after a colon.
	health, metrics := testsink.HeldAddr(t), testsink.HeldAddr(t)
	moved := strings.NewReplacer("13133", health[strings.LastIndex(health, ":")+1:], "8888", metrics[strings.LastIndex(metrics, ":")+1:])

	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(moved.Replace(blocks["yaml"][0])), &cfg))
	input := testsink.HeldAddr(t)
	rec := newEventRecorder(t)
	cfg["receivers"] = map[string]any{"securityevents": map[string]any{"endpoint": input}}
	cfg["exporters"] = map[string]any{"webhook": map[string]any{"endpoint": rec.Endpoint()}}
	service := cfg["service"].(map[string]any)
	service["pipelines"] = map[string]any{"logs": map[string]any{"receivers": []string{"securityevents"}, "exporters": []string{"webhook"}}}
	text, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, text, 0o600))
	col := startCollector(t, path, dir)
	waitListening(t, col, "http://"+input+"/events", "")

	events, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "events.jsonl"))
	require.NoError(t, err)
	resp, err := http.Post("http://"+input+"/events", "application/x-ndjson", bytes.NewReader(events))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rec.waitFor(t, col, 3)

	for _, line := range strings.Split(strings.TrimSpace(blocks["sh"][0]), "\n") {
		command, shown, found := strings.Cut(line, "# ")
		require.True(t, found, "%q ends with a comment showing what it prints", line)
		command = moved.Replace(command)
		// The exporter counts a request once its answer is read, just
		// after the recorder has it.
		var out []byte
		deadline := time.Now().Add(deliverTimeout)
		for {
			out, err = exec.CommandContext(t.Context(), "sh", "-c", command).CombinedOutput()
			if err == nil && showsAll(string(out), shown) || time.Now().After(deadline) {
				break
			}
			col.running(t)
			time.Sleep(100 * time.Millisecond)
		}
		require.NoError(t, err, "%s: %s", command, out)
		assert.True(t, showsAll(string(out), shown), "%s prints %q, not what its comment shows (%s)", command, out, shown)
	}
}

// showsAll says whether out holds every part of shown between its "...",
// in order.
func showsAll(out, shown string) bool {
	for _, part := range strings.Split(strings.TrimSpace(shown), "...") {
		i := strings.Index(out, part)
		if i < 0 {
			return false
		}
		out = out[i+len(part):]
	}
	return true
}
