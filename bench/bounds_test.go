package bench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBoundPatchesApply checks that every patch of make bench-bounds still
// applies to this code as git apply would take it: each hunk's context and
// removed lines stand in its file, in order (git apply allows the block to
// have moved). Without it a change to the push path would break make
// bench-bounds unnoticed.
func TestBoundPatchesApply(t *testing.T) {
	patches, err := filepath.Glob("bounds/*.patch")
	if err != nil || len(patches) == 0 {
		t.Fatalf("no patches in bench/bounds: %v", err)
	}
	for _, p := range patches {
		t.Run(filepath.Base(p), func(t *testing.T) {
			text, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			hunks := parseHunks(t, string(text))
			if len(hunks) == 0 {
				t.Fatal("the patch has no hunks")
			}
			for _, h := range hunks {
				file, err := os.ReadFile(filepath.Join("..", h.file))
				if err != nil {
					t.Fatalf("%s: %v", h.file, err)
				}
				if !strings.Contains(string(file), strings.Join(h.old, "\n")+"\n") {
					t.Errorf("%s: the hunk at line %d no longer applies; remake %s against this code", h.file, h.line, p)
				}
			}
		})
	}
}

type hunk struct {
	file string
	line int      // first old line, from 1
	old  []string // context and removed lines
}

// parseHunks reads a unified diff as git diff writes it.
func parseHunks(t *testing.T, patch string) []hunk {
	t.Helper()
	var (
		hunks []hunk
		file  string
	)
	for _, l := range strings.Split(patch, "\n") {
		switch {
		case strings.HasPrefix(l, "--- a/"):
			file = strings.TrimPrefix(l, "--- a/")
		case strings.HasPrefix(l, "+++ "):
		case strings.HasPrefix(l, "@@ -"):
			var h hunk
			if _, err := fmt.Sscanf(l, "@@ -%d", &h.line); err != nil {
				t.Fatalf("hunk header %q: %v", l, err)
			}
			h.file = file
			hunks = append(hunks, h)
		case len(hunks) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "-")):
			h := &hunks[len(hunks)-1]
			h.old = append(h.old, l[1:])
		}
	}
	return hunks
}
