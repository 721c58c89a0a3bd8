//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bounds for waiting on processes and deliveries. They only stop a broken
// run from hanging; nothing asserts how long anything takes.
const (
	startTimeout    = 60 * time.Second
	deliverTimeout  = 60 * time.Second
	shutdownTimeout = 30 * time.Second
)

// repoRoot is the repository's root, the parent of this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "builder-config.yaml"))
	require.NoError(t, err, "the e2e package must sit in the repository root")
	return root
}

// distribution returns the otelcol-webhook binary, first letting make
// (re)build it when it is missing or older than a Go source, go.mod or
// builder-config.yaml; when it is up to date this costs a few milliseconds.
// A cold build (ocb plus module downloads) takes minutes.
// Tests run in parallel: one make at a time, so that a stale distribution
// is built once and the others find it up to date.
func distribution(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to build the distribution (apt-get install make): %v", err)
	}
	distMu.Lock()
	out, err := exec.Command("make", "-C", root, "--no-print-directory", "dist").CombinedOutput()
	distMu.Unlock()
	require.NoError(t, err, "make dist:\n%s", out)
	return filepath.Join(root, "_build", "otelcol-webhook")
}

// distMu serialises distribution's make.
var distMu sync.Mutex

// goEnv is the environment of the commands that run go (go run in the
// docs' snippets and the replay): cgo off, as make builds everything but
// the race detector's tests, which run these with cgo on; so they reuse the
// packages make compiled instead of compiling their own.
func goEnv() []string { return append(os.Environ(), "CGO_ENABLED=0") }

// lockedBuffer collects a process's output, written by exec's copying
// goroutines while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// collector is a running distribution.
type collector struct {
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{}
	err    error // Wait's result, set before exited closes
	once   sync.Once
}

// startCollector runs the distribution with config in dir, with env added
// to the test's environment. It is stopped when the test ends, and its
// output is logged when the test failed.
func startCollector(t *testing.T, config, dir string, env ...string) *collector {
	t.Helper()
	bin := distribution(t)
	c := &collector{
		cmd:    exec.Command(bin, "--config="+config),
		output: &lockedBuffer{},
		exited: make(chan struct{}),
	}
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout = c.output
	c.cmd.Stderr = c.output
	require.NoError(t, c.cmd.Start())
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			t.Logf("collector output:\n%s", c.output.String())
		}
	})
	return c
}

// stop sends SIGTERM, as a service manager would, and waits for the
// collector to exit (killing it if it does not). It returns Wait's error:
// nil for a clean shutdown.
func (c *collector) stop(t *testing.T) error {
	c.once.Do(func() {
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("SIGTERM to the collector: %v", err)
		}
		select {
		case <-c.exited:
		case <-time.After(shutdownTimeout):
			t.Errorf("the collector did not exit %s after SIGTERM; killing it", shutdownTimeout)
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
	<-c.exited
	return c.err
}

// running fails the test when the collector has exited already (e.g. a
// config error or a port in use), instead of waiting for deliveries that
// cannot come.
func (c *collector) running(t *testing.T) {
	t.Helper()
	select {
	case <-c.exited:
		t.Fatalf("the collector exited early (%v):\n%s", c.err, c.output.String())
	default:
	}
}

// envFor formats name=value pairs for startCollector.
func envFor(kv ...string) []string {
	var env []string
	for i := 0; i+1 < len(kv); i += 2 {
		env = append(env, kv[i]+"="+kv[i+1])
	}
	return env
}
