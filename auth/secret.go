package auth

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
)

// secret yields a credential written in the config or kept in a file.
// Mounted secrets (Kubernetes, Vault agent) are rotated by replacing the
// file, so a file is read again whenever its modification time or size
// changes; a stat per request is cheap next to the request itself.
type secret struct {
	value string
	path  string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	loaded  bool
}

func newSecret(value configopaque.String, path string) *secret {
	return &secret{value: string(value), path: path}
}

// get returns the current secret. Errors name the file, never its content.
func (s *secret) get() (string, error) {
	if s.path == "" {
		return s.value, nil
	}
	st, err := os.Stat(s.path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && st.ModTime().Equal(s.modTime) && st.Size() == s.size {
		return s.value, nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	// Editors and `echo` leave a final newline that is not part of the secret.
	v := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("secret file %s is empty", s.path)
	}
	s.value, s.modTime, s.size, s.loaded = v, st.ModTime(), st.Size(), true
	return v, nil
}

// lines splits a multi-secret file (one per line, for rotation).
func lines(v string) []string {
	var out []string
	for l := range strings.SplitSeq(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
