package webhookexporter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// TestValidateChecksTheDeadLetterDirectory: validate (the collector's
// `validate` command, and the load) refuses a dead-letter directory the
// start could not create, naming the field, what is in the way and the
// fix; it creates nothing.
func TestValidateChecksTheDeadLetterDirectory(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	validate := func(dir string) error {
		cfg := testCfg("https://siem.example.com/webhook")
		cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: dir, MaxSizeMiB: 1}
		return confmap.Validate(cfg)
	}

	for _, dir := range []string{base, filepath.Join(base, "new", "deadletter")} {
		require.NoError(t, validate(dir), dir)
	}
	assert.NoDirExists(t, filepath.Join(base, "new"), "validate creates nothing")

	for _, tt := range []struct{ dir, want string }{
		{filepath.Join(file, "deadletter"), "not a directory"},
		{file, file + " is not a directory"},
	} {
		err := validate(tt.dir)
		require.Error(t, err, tt.dir)
		assert.Contains(t, err.Error(), "dead_letter::directory: "+tt.dir+" cannot be used: ")
		assert.Contains(t, err.Error(), tt.want)
		assert.Contains(t, err.Error(), "name a directory the collector may write to")
	}

	if os.Geteuid() == 0 {
		t.Log("running as root, which may write anywhere: the unwritable parent is not checked")
		return
	}
	locked := filepath.Join(base, "locked")
	require.NoError(t, os.Mkdir(locked, 0o500))
	err := validate(filepath.Join(locked, "deadletter"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), locked+" is not writable by the collector")
	assert.Contains(t, err.Error(), "create "+filepath.Join(locked, "deadletter")+" for the collector's user")
}
