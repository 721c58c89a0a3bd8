//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDockerfile checks the Dockerfile against the repository (its Go is
// go.mod's, it builds with make dist, static, and copies the binary make
// dist writes), then, where a Docker daemon answers, builds the image and runs
// its collector, which lists the webhook exporter among its components.
func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	require.NoError(t, err)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)

	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	require.NotNil(t, goVersion, "go.mod names its Go")
	assert.Regexp(t, `(?m)^FROM golang:`+regexp.QuoteMeta(string(goVersion[1]))+`-\S+ AS build$`, string(dockerfile), "the build stage uses go.mod's Go")
	assert.Regexp(t, `(?m)^RUN CGO_ENABLED=0 GOFLAGS=-trimpath make dist$`, string(dockerfile), "the image has no C library: make dist builds static there")
	dist := regexp.MustCompile(`(?m)^DIST := (\S+)$`).FindSubmatch(makefile)
	require.NotNil(t, dist, "the Makefile names the distribution's path")
	assert.Regexp(t, `(?m)^COPY --from=build /src/`+regexp.QuoteMeta(string(dist[1]))+` /otelcol-webhook$`, string(dockerfile))

	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker daemon here, so the image is not built (docker info: %v: %.200s)", err, out)
	}
	image := fmt.Sprintf("otelcol-webhook:e2e-%d", time.Now().UnixNano())
	build := exec.Command("docker", "build", "-t", image, ".")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "docker build:\n%s", out)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	out, err = exec.Command("docker", "run", "--rm", image, "components").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "webhook")
}
