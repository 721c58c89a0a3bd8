package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayWith replays file with lines of at most maxLine bytes, to a
// receiver that takes everything, and returns the exit code, what it
// printed, what it wrote to -failed and the bodies the receiver got.
func replayWith(t *testing.T, maxLine int, content string) (int, string, string, []string) {
	t.Helper()
	s, got := otlpServer(t, func(w http.ResponseWriter, _ string) { w.WriteHeader(http.StatusOK) })
	dir := t.TempDir()
	file := filepath.Join(dir, "replay.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
	failed := filepath.Join(dir, "failed.jsonl")
	o, err := parseOptions([]string{"-endpoint", s.URL, "-failed", failed, file}, io.Discard)
	require.NoError(t, err)
	o.maxLine = maxLine
	var out bytes.Buffer
	code, err := replay(context.Background(), o, &out)
	require.NoError(t, err)
	kept, err := os.ReadFile(failed)
	require.NoError(t, err)
	var bodies []string
	for _, g := range *got {
		bodies = append(bodies, strings.TrimSuffix(g, " auth="))
	}
	return code, out.String(), string(kept), bodies
}

// A line over the limit is reported with its number, counted as not
// valid and copied whole to -failed; the lines after it are replayed.
func TestReplayGoesOnAfterALineOverTheLimit(t *testing.T) {
	const limit = 100 << 10
	long := deadLetterLine(t, strings.Repeat("x", 3*limit), "big")
	lines := []string{
		deadLetterLine(t, "ok-1", "1"),
		long,
		deadLetterLine(t, "ok-2", "2"),
		"not json",
		deadLetterLine(t, "ok-3", "3"),
	}

	code, out, kept, got := replayWith(t, limit, strings.Join(lines, "\n")+"\n")

	assert.Equal(t, 1, code)
	assert.Equal(t, []string{"ok-1", "ok-2", "ok-3"}, got)
	assert.Contains(t, out, "replay.jsonl:2: a line of 307", "the line's number and size")
	assert.Contains(t, out, "over the 102400 a line may have: not sent")
	assert.Contains(t, out, "replay.jsonl:4: not a dead letter")
	assert.Contains(t, out, "accepted by the collector 3, refused 0, not valid 2")
	assert.Equal(t, long+"\nnot json\n", kept, "the long line kept whole, ready to replay with a collector that takes it")
}

// The reader holds at most the limit of a longer line, whatever its
// length, and finds the next line after it.
func TestLineReaderKeepsNoMoreThanTheLimit(t *testing.T) {
	const limit = 100 << 10
	huge := io.LimitReader(repeatReader('x'), 16<<20)
	in := io.MultiReader(strings.NewReader("first\n"), huge, strings.NewReader("\nnext\nlast"))
	lr := newLineReader(in, limit)
	var over countingWriter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	line, _, newline, err := lr.next(&over)
	require.NoError(t, err)
	assert.Equal(t, "first", string(line))
	assert.True(t, newline)
	line, size, newline, err := lr.next(&over)
	require.NoError(t, err)
	assert.Nil(t, line)
	assert.Equal(t, 16<<20, size)
	assert.True(t, newline)
	assert.Equal(t, 16<<20, over.n, "every byte of the long line passed on")
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(limit), "memory follows the limit, not the line")
	line, _, _, err = lr.next(&over)
	require.NoError(t, err)
	assert.Equal(t, "next", string(line))
	line, _, newline, err = lr.next(&over)
	require.NoError(t, err)
	assert.Equal(t, "last", string(line))
	assert.False(t, newline, "the file ends without a newline")
	_, _, _, err = lr.next(&over)
	assert.Equal(t, io.EOF, err)
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// A file whose last dead letter was cut short (file size limit, disk
// full) ends with a fragment and no newline: every complete line before
// it is replayed, and the fragment is reported as such and kept.
func TestReplayReportsAFragmentAtTheEnd(t *testing.T) {
	whole := deadLetterLine(t, "cut", "3")
	fragment := whole[:len(whole)/2]
	content := deadLetterLine(t, "ok-1", "1") + "\n" + deadLetterLine(t, "ok-2", "2") + "\n" + fragment

	code, out, kept, got := replayWith(t, maxLineBytes, content)

	assert.Equal(t, 1, code)
	assert.Equal(t, []string{"ok-1", "ok-2"}, got)
	assert.Contains(t, out, "replay.jsonl:3: not a dead letter, the file ends inside it: its write was cut short")
	assert.Contains(t, out, "accepted by the collector 2, refused 0, not valid 1")
	assert.Equal(t, fragment+"\n", kept)

	// A complete last line without its newline is a dead letter all the same.
	code, _, _, got = replayWith(t, maxLineBytes, deadLetterLine(t, "ok-1", "1")+"\n"+whole)
	assert.Equal(t, 0, code)
	assert.Equal(t, []string{"ok-1", "cut"}, got)
}
