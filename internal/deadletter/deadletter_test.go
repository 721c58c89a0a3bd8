package deadletter

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/internal/metadata"
)

// The largest max_size_mib that the config takes is a cap in bytes that
// does not overflow (see the root's config_overflow_test.go).
func TestWriterCapOfTheLargestSize(t *testing.T) {
	w := NewWriter(t.TempDir(), math.MaxInt64>>20, false, component.NewID(metadata.Type))
	assert.Positive(t, w.maxBytes)
}

// writeLines writes lines in one run, as Keeper.GiveUp does, and returns how many
// were written and why the first refused one was not.
func writeLines(w *Writer, lines [][]byte) (int, string, error) {
	f := w.Open()
	n := 0
	var cause string
	var err error
	for _, l := range lines {
		if cause, err = f.Write(l); err != nil {
			break
		}
		n++
	}
	if cerr := f.Close(); cerr != nil {
		return 0, WriteFailedError, cerr
	}
	return n, cause, err
}

// A full file refuses more dead letters, whole lines only, and keeps what
// it holds.
func TestDeadLetterFullFileRefusesAndKeeps(t *testing.T) {
	dir := t.TempDir()
	w := NewWriter(dir, 1, false, component.NewID(metadata.Type))
	w.maxBytes = 25
	require.NoError(t, w.Check())

	n, cause, err := writeLines(w, [][]byte{[]byte("0123456789\n"), []byte("abcdefghij\n"), []byte("ABCDEFGHIJ\n")})
	assert.Equal(t, 2, n)
	assert.Equal(t, WriteFailedFull, cause)
	require.ErrorContains(t, err, "max_size_mib")
	n, cause, _ = writeLines(w, [][]byte{[]byte("x\n"), []byte("y\n"), []byte("z\n")})
	assert.Equal(t, 1, n, "what still fits is written")
	assert.Equal(t, WriteFailedFull, cause)
	n, _, _ = writeLines(w, [][]byte{[]byte("more\n")})
	assert.Zero(t, n)

	b, err := os.ReadFile(w.path)
	require.NoError(t, err)
	assert.Equal(t, "0123456789\nabcdefghij\nx\n", string(b), "never overwritten")
}

func TestDeadLetterFileNames(t *testing.T) {
	assert.Equal(t, "webhook.deadletter.jsonl", FileName(component.NewID(metadata.Type)))
	assert.Equal(t, "webhook%2Fsiem.deadletter.jsonl", FileName(component.MustNewIDWithName("webhook", "siem")))
	assert.NotEqual(t,
		FileName(component.MustNewIDWithName("webhook", "a_b")),
		FileName(component.MustNewIDWithName("webhook", "a/b")))
}

func TestDropLogOneLinePerReasonAndInterval(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	l := NewDropLog(zap.New(core), "webhook/siem", "/var/lib/dl/webhook%2Fsiem.deadletter.jsonl")
	tick := make(chan time.Time)
	l.Start(tick, func() {})
	for range 1000 {
		l.Add(RefusedPerEvent, "code 6", 1, 1, 0, nil)
	}
	l.Add(Refused, "status 400", 50, 48, 2, errors.New("no space left on device"))

	tick <- time.Time{}
	tick <- time.Time{} // taken once the first flush is done
	require.Equal(t, 2, logs.Len(), "one line per reason")
	refused := logs.FilterMessage("webhook/siem dropped events: refused").All()
	require.Len(t, refused, 1, "some are lost: an error")
	assert.Equal(t, zapcore.ErrorLevel, refused[0].Level)
	assert.EqualValues(t, 50, refused[0].ContextMap()["events"])
	assert.EqualValues(t, 2, refused[0].ContextMap()["dead_letters_not_written"])
	perEvent := logs.FilterMessage("webhook/siem kept events as dead letters: refused_per_event").All()
	require.Len(t, perEvent, 1, "all are kept: a warning")
	assert.Equal(t, zapcore.WarnLevel, perEvent[0].Level)
	assert.EqualValues(t, 1000, perEvent[0].ContextMap()["events"])
	assert.EqualValues(t, 1000, perEvent[0].ContextMap()["dead_letters_written"])
	assert.Equal(t, "/var/lib/dl/webhook%2Fsiem.deadletter.jsonl", perEvent[0].ContextMap()["dead_letter_file"])

	l.Add(Shutdown, "queue", 7, 7, 0, nil)
	l.Stop()
	shut := logs.FilterMessage("webhook/siem kept events as dead letters: shutdown").All()
	require.Len(t, shut, 1, "what is left is logged at stop")
	assert.EqualValues(t, 7, shut[0].ContextMap()["events"])
	assert.Equal(t, 3, logs.Len(), "an interval without drops logs nothing")
}

func TestDropLogSaysWhenDeadLettersAreOff(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	l := NewDropLog(zap.New(core), "webhook", "")
	l.Add(Refused, "status 400", 2, 0, 0, nil)
	l.Stop()
	require.Equal(t, 1, logs.Len())
	assert.True(t, strings.Contains(fmt.Sprint(logs.All()[0].ContextMap()["dead_letters"]), "lost"))
}
