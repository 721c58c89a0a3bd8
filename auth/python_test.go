package auth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// runPython feeds each input, JSON-encoded, as one line to a script in
// testdata and returns its output lines. One process serves all cases of
// a test. Python 3 is required: the guide's receivers are Python, and
// only Python can say what they accept.
func runPython(t testing.TB, script string, inputs []any) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is required to run the guide's verification code (install Python 3 and put python3 on PATH): %v", err)
	}
	var stdin bytes.Buffer
	enc := json.NewEncoder(&stdin)
	for _, in := range inputs {
		require.NoError(t, enc.Encode(in))
	}
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", script))
	cmd.Stdin = &stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "python3 %s: %s", script, stderr.String())
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	require.Len(t, lines, len(inputs), "python3 %s answered %d of %d cases", script, len(lines), len(inputs))
	return lines
}
