package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// TestExampleEventIsTheExampleFile: the built-in event, behind every
// payload and id of README.md, is the record of examples/event.otlp.json,
// which the README's quickstart posts: the preview prints the same requests,
// ids included, for both.
func TestExampleEventIsTheExampleFile(t *testing.T) {
	builtin, errOut, code := previewOut(t, "-config", "../../examples/quickstart.yaml")
	require.Equal(t, 0, code, errOut)
	posted, errOut, code := previewOut(t, "-config", "../../examples/quickstart.yaml", "-otlp", "../../examples/event.otlp.json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, builtin, "Idempotency-Key: ")
	assert.Equal(t, posted, builtin)

	file, err := os.ReadFile("../../examples/event.otlp.json")
	require.NoError(t, err)
	assert.Equal(t, string(file), exampleEvent, "the built-in event is examples/event.otlp.json as written")
}

// TestUserAgentIsTheDistributions: the preview's requests carry the
// User-Agent the collector built from builder-config.yaml sends.
func TestUserAgentIsTheDistributions(t *testing.T) {
	b, err := os.ReadFile("../../builder-config.yaml")
	require.NoError(t, err)
	r, err := confmap.NewRetrievedFromYAML(b)
	require.NoError(t, err)
	raw, err := r.AsRaw()
	require.NoError(t, err)
	dist := confmap.NewFromStringMap(raw.(map[string]any))
	assert.Equal(t, dist.Get("dist::name"), distribution.Command)
	assert.Equal(t, dist.Get("dist::description"), distribution.Description)
	assert.Equal(t, dist.Get("dist::version"), distribution.Version)

	out, errOut, code := previewOut(t, "-config", "../../examples/quickstart.yaml")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "\nUser-Agent: "+distribution.Description+"/"+distribution.Version+" (os/arch)\n")
}

// TestUntimedEventsAreSentNow: an event without a timestamp goes out with
// the time it was read, as the collector sends it, not a fixed one.
func TestUntimedEventsAreSentNow(t *testing.T) {
	events := []byte(`{"type": "pii_detected", "data": {"file_id": "ghi789"}, "severity": "critical"}` + "\n")
	in := t.TempDir() + "/untimed.jsonl"
	require.NoError(t, os.WriteFile(in, events, 0o600))
	before := time.Now().UTC().Truncate(time.Second)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-config", "../../examples/quickstart.yaml", "-events", in}, &out, &errOut, time.Now), errOut.String())
	after := time.Now().UTC()
	m := regexp.MustCompile(`"timestamp":"([^"]+)"`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	sent, err := time.Parse(time.RFC3339Nano, m[1])
	require.NoError(t, err)
	assert.False(t, sent.Before(before) || sent.After(after), "sent %s, read between %s and %s", sent, before, after)
	assert.True(t, strings.HasSuffix(m[1], "Z"))
}

// TestDeadLetterDirectoryIsNotThePreviews: the preview writes no dead
// letter, so a directory that only the collector's machine has does not
// stop it; a missing one still does, as in the collector.
func TestDeadLetterDirectoryIsNotThePreviews(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/a-file"
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for directory, wantCode := range map[string]int{file + "/deadletter": 0, `""`: 1} {
		cfg := dir + "/dl.yaml"
		require.NoError(t, os.WriteFile(cfg, []byte("exporters:\n  webhook:\n    endpoint: https://siem.example.com/in\n    dead_letter: {enabled: true, directory: "+directory+"}\n"), 0o600))
		out, errOut, code := previewOut(t, "-config", cfg)
		assert.Equal(t, wantCode, code, "%s: %s%s", directory, out, errOut)
		assert.NoFileExists(t, file+"/deadletter")
	}
}
