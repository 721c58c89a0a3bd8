//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidateRefusesADeadLetterDirectoryThatCannotBeCreated: the
// distribution's `validate` fails, naming dead_letter::directory and the
// fix, for a directory that the start could not create, and creates nothing.
func TestValidateRefusesADeadLetterDirectoryThatCannotBeCreated(t *testing.T) {
	bin := distribution(t)
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(`receivers:
  otlp:
    protocols:
      http:
exporters:
  webhook:
    endpoint: https://siem.example.com/webhook
    dead_letter: {enabled: true, directory: `+file+`/deadletter}
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [webhook]}
`), 0o600))
	out, err := exec.Command(bin, "validate", "--config="+config).CombinedOutput()
	require.Error(t, err, "%s", out)
	assert.Contains(t, string(out), "dead_letter::directory: "+file+"/deadletter cannot be used: ")
	assert.Contains(t, string(out), "name a directory the collector may write to")
}
