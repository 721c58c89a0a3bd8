//go:build unix

package webhookexporter

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// A symbolic link planted at the dead-letter file's path is not followed:
// nothing reaches its target (an existing file, or one the link would make
// the exporter create), and the events are counted as dead letters not
// written, with the reason in the drop log line.
func TestDeadLetterSymlinkIsNotFollowed(t *testing.T) {
	for name, targetExists := range map[string]bool{"existing target": true, "missing target": false} {
		t.Run(name, func(t *testing.T) {
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadRequest) })
			cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
			exp := startExporter(t, cfg)
			path := onlyFile(t, cfg.DeadLetter.Directory)
			target := filepath.Join(t.TempDir(), "elsewhere")
			if targetExists {
				require.NoError(t, os.WriteFile(target, nil, 0o600))
			}
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Symlink(target, path))

			require.Error(t, exp.ConsumeLogs(context.Background(), numberedLogs(3, 0)))

			b, err := os.ReadFile(target)
			if targetExists {
				require.NoError(t, err)
				assert.Empty(t, b, "nothing written through the link")
			} else {
				assert.ErrorIs(t, err, os.ErrNotExist, "the link's target is not created")
			}
			assert.Equal(t, map[string]int64{deadletter.Refused + "/" + deadletter.WriteFailedError: 3}, metricByReason(t, exp.telemetry, metricDeadLettersFailed))
			assert.Empty(t, metricByReason(t, exp.telemetry, metricDeadLetters))
			require.NoError(t, exp.Shutdown(context.Background()))
			lines := exp.logs.FilterMessageSnippet("dropped events: refused").All()
			require.Len(t, lines, 1)
			ctx := lines[0].ContextMap()
			assert.EqualValues(t, 3, ctx["dead_letters_not_written"])
			assert.Contains(t, ctx["dead_letter_error"], "symbolic link")
		})
	}
}

// plantedExporter is an exporter, not started, whose dead-letter file is
// to be at path.
func plantedExporter(t *testing.T) (exporter.Logs, string) {
	t.Helper()
	cfg := testCfg("https://siem.example.com/webhook")
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: t.TempDir(), MaxSizeMiB: 1}
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.MustNewIDWithName(metadata.Type.String(), "planted")
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return exp, filepath.Join(cfg.DeadLetter.Directory, deadletter.FileName(set.ID))
}

// The start-time check refuses a link at the file's path, saying so.
func TestDeadLetterStartRefusesASymlink(t *testing.T) {
	exp, path := plantedExporter(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	require.NoError(t, os.Symlink(target, path))
	err := exp.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "dead_letter::directory")
	assert.ErrorContains(t, err, "is a symbolic link, which is not followed; remove it")
	_, statErr := os.Lstat(target)
	assert.ErrorIs(t, statErr, os.ErrNotExist, "the link's target is not created")
}

// A FIFO at the file's path with no reader fails the start rather than
// blocking it: opening a FIFO to write waits for a reader unless told not
// to.
func TestDeadLetterStartDoesNotWaitOnAFIFO(t *testing.T) {
	exp, path := plantedExporter(t)
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	done := make(chan error, 1)
	go func() { done <- exp.Start(context.Background(), componenttest.NewNopHost()) }()
	var err error
	select {
	case err = <-done:
	case <-untilShortlyBeforeDeadline(t):
		// Not a measure of speed: a guard so that an open that blocks
		// fails this test instead of hanging the whole run. A reader
		// releases the blocked writer.
		r, rerr := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
		require.NoError(t, rerr)
		defer syscall.Close(r)
		<-done
		t.Fatal("the start waited for a reader of the FIFO at the dead-letter file's path")
	}
	require.ErrorContains(t, err, "dead_letter::directory")
	assert.ErrorContains(t, err, "not a regular file")
}

// untilShortlyBeforeDeadline fires before go test's -timeout would end the
// run, or never without one.
func untilShortlyBeforeDeadline(t *testing.T) <-chan time.Time {
	deadline, ok := t.Deadline()
	if !ok {
		return nil
	}
	return time.After(time.Until(deadline) * 9 / 10)
}

// A FIFO with a reader: nothing is written into it, and the events are
// counted as dead letters not written.
func TestDeadLetterFIFOIsRefused(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadRequest) })
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
	exp := startExporter(t, cfg)
	path := onlyFile(t, cfg.DeadLetter.Directory)
	require.NoError(t, os.Remove(path))
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	r, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	defer syscall.Close(r)

	require.Error(t, exp.ConsumeLogs(context.Background(), numberedLogs(3, 0)))

	n, err := syscall.Read(r, make([]byte, 4096))
	if !errors.Is(err, syscall.EAGAIN) {
		require.NoError(t, err)
		assert.Zero(t, n, "nothing written into the FIFO")
	}
	assert.Equal(t, map[string]int64{deadletter.Refused + "/" + deadletter.WriteFailedError: 3}, metricByReason(t, exp.telemetry, metricDeadLettersFailed))
	assert.Empty(t, metricByReason(t, exp.telemetry, metricDeadLetters))
}
