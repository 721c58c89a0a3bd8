//go:build e2e

package e2e

// Every code block of README.md and docs/*.md runs in a test as written:
//
//   - ```yaml: TestExamplesValidate, through the distribution's validate;
//   - README.md's ```json: TestReadmePayloads (cmd/webhookpreview), the body
//     the command prints;
//   - every other block: the test that snippetTests names, which finds the
//     block by the same entry. The tests change only what must differ on a
//     test machine (ports taken by other runs, /var/lib, a file name), and
//     say so.
//
// A block that cannot run (e.g. it stands for a module of your own) says
// why with the skip marker of TestExamplesValidate on the line before it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// snippetTest names the test that runs a block: the block of file, in
// section, whose text contains contains.
type snippetTest struct {
	file, section, lang, contains string
	test                          string
}

var snippetTests = []snippetTest{
	{"README.md", "(top)", "sh", "make run", "TestMakeRunSnippets"},
	{"README.md", "Quickstart", "sh", "localhost:4318/v1/logs", "TestMakeRunSnippets"},
	{"docs/authentication.md", "(top)", "sh", "webhookreceiver", "TestReadmeSignedQuickstart"},
	{"README.md", "Posting events over HTTP", "sh", "curl", "TestReadmeSecurityEvents"},
	{"README.md", "Dead letters", "sh", "webhookreplay", "TestDeadLetterReplaySnippets"},
	{"README.md", "Operating it", "sh", "curl", "TestReadmeOperating"},
	{"docs/build.md", "(top)", "sh", "builder", "TestBuildDocSnippets"},
	{"docs/dead-letters.md", "(top)", "json", `"deadLetter"`, "TestDeadLetterReplaySnippets"},
	{"docs/dead-letters.md", "(top)", "sh", "webhookreplay", "TestDeadLetterReplaySnippets"},
	{"docs/sentinel.md", "(top)", "json", `"dataCollectionRule"`, "TestReadmeSentinelSchemaMatchesTheEncoder (root package)"},
	{"docs/ocsf.md", "Envelopes", "json", `"ocsf:detection_finding"`, "TestOCSFDocsShowTheGoldens (formats)"},
	{"docs/ocsf.md", "Envelopes", "json", `"ddsource"`, "TestOCSFDocsShowTheGoldens (formats)"},
}

func (s snippetTest) matches(b docBlock) bool {
	return b.file == s.file && b.section == s.section && b.lang == s.lang && strings.Contains(b.text, s.contains)
}

// snippet returns the one block of the entry of snippetTests with file
// and contains.
func snippet(t *testing.T, file, lang, contains string) docBlock {
	t.Helper()
	for _, s := range snippetTests {
		if s.file != file || s.lang != lang || s.contains != contains {
			continue
		}
		var found []docBlock
		for _, b := range allDocBlocks(t) {
			if s.matches(b) {
				found = append(found, b)
			}
		}
		require.Len(t, found, 1, "%s: one %s block in %q with %q", file, lang, s.section, contains)
		return found[0]
	}
	t.Fatalf("snippetTests has no entry for %s %s %q", file, lang, contains)
	return docBlock{}
}

// TestEverySnippetIsRun: each block of README.md and docs/ is run by a
// test (see the top of this file) or says why it cannot be, and each entry
// of snippetTests finds its block.
func TestEverySnippetIsRun(t *testing.T) {
	blocks := allDocBlocks(t)
	require.NotEmpty(t, blocks)
	used := make([]bool, len(snippetTests))
	for _, b := range blocks {
		if b.skip != "" || b.lang == "yaml" || (b.file == "README.md" && b.lang == "json") {
			continue
		}
		var by []string
		for i, s := range snippetTests {
			if s.matches(b) {
				used[i] = true
				by = append(by, s.test)
			}
		}
		assert.Len(t, by, 1, "%s (%s): no test runs this ```%s block; add one to snippetTests, or mark it %s (why) -->",
			b.name, b.section, b.lang, skipMarker)
	}
	for i, s := range snippetTests {
		assert.True(t, used[i], "snippetTests: no block of %s in %q holds %q", s.file, s.section, s.contains)
	}
}

// shell runs a sh block line by line, as a user types it, from dir: an
// `export` line holds for the lines after it; a line ending in `&` runs in
// the background until the test ends; any other line must succeed, and is
// tried again while it fails to connect (curl's exit 7: what the lines
// before it started is still starting). It returns the background
// processes' output.
type shell struct {
	t       *testing.T
	dir     string
	exports []string
	output  *lockedBuffer
	exited  []chan struct{} // of the background lines
}

func newShell(t *testing.T, dir string) *shell {
	return &shell{t: t, dir: dir, output: &lockedBuffer{}}
}

var shellComment = regexp.MustCompile(`\s+#\s.*$`)

func (s *shell) run(block string) {
	t := s.t
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		line = strings.TrimSpace(shellComment.ReplaceAllString(line, ""))
		switch {
		case line == "":
		case strings.HasPrefix(line, "export "):
			s.exports = append(s.exports, line)
		case strings.HasSuffix(line, "&"):
			s.background(strings.TrimSpace(strings.TrimSuffix(line, "&")))
		default:
			s.foreground(line)
		}
	}
}

func (s *shell) command(ctx context.Context, line string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "sh", "-c", strings.Join(append(append([]string{}, s.exports...), line), "\n"))
	cmd.Dir = s.dir
	cmd.Env = goEnv()
	return cmd
}

func (s *shell) background(line string) {
	t := s.t
	cmd := s.command(context.Background(), line)
	// Its own process group, so that go run's child goes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = s.output, s.output
	require.NoError(t, cmd.Start(), line)
	done := make(chan struct{})
	s.exited = append(s.exited, done)
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(shutdownTimeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("output of %q and the other background lines:\n%s", line, s.output.String())
		}
	})
}

func (s *shell) foreground(line string) string {
	t := s.t
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		out, err := s.command(t.Context(), line).CombinedOutput()
		var exit *exec.ExitError
		if err == nil {
			return string(out)
		}
		if !errors.As(err, &exit) || exit.ExitCode() != 7 || time.Now().After(deadline) || s.backgroundExited() {
			t.Fatalf("%s: %v\n%s\nbackground output:\n%s", line, err, out, s.output.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *shell) backgroundExited() bool {
	for _, done := range s.exited {
		select {
		case <-done:
			return true
		default:
		}
	}
	return false
}

// waitOutput waits until the background output holds want.
func (s *shell) waitOutput(want string) {
	s.t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for !strings.Contains(s.output.String(), want) {
		if time.Now().After(deadline) || s.backgroundExited() {
			s.t.Fatalf("%q not in the output:\n%s", want, s.output.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var localPort = regexp.MustCompile(`(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d+)`)

// ports returns the local ports that text names, and the port of the
// collector's own metrics in a config: 8888 unless its telemetry turns
// metrics off or gives a reader's port.
func ports(t *testing.T, text string, config bool) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, m := range localPort.FindAllStringSubmatch(text, -1) {
		out[m[1]] = true
	}
	if !config {
		return out
	}
	var cfg struct {
		Service struct {
			Telemetry struct {
				Metrics struct {
					Level   string
					Readers []struct {
						Pull struct {
							Exporter struct {
								Prometheus struct{ Port int }
							}
						}
					}
				}
			}
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(text), &cfg))
	m := cfg.Service.Telemetry.Metrics
	switch {
	case m.Level == "none":
	case len(m.Readers) == 0:
		out["8888"] = true
	default:
		for _, r := range m.Readers {
			out[fmt.Sprint(r.Pull.Exporter.Prometheus.Port)] = true
		}
	}
	return out
}

// makeRunPorts returns the ports `make run` takes: its receiver's
// (RECEIVER_LISTEN) and examples/quickstart.yaml's.
func makeRunPorts(t *testing.T) map[string]bool {
	t.Helper()
	root := repoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	listen := regexp.MustCompile(`(?m)^RECEIVER_LISTEN \?= (\S+)$`).FindSubmatch(makefile)
	require.NotNil(t, listen, "the Makefile sets RECEIVER_LISTEN")
	quickstart, err := os.ReadFile(filepath.Join(root, "examples", "quickstart.yaml"))
	require.NoError(t, err)
	out := ports(t, string(quickstart), true)
	for p := range ports(t, string(listen[1]), false) {
		out[p] = true
	}
	return out
}

// freePorts maps each port to a free one, for a test machine where other
// runs hold the documented ports.
func freePorts(t *testing.T, ps map[string]bool) *strings.Replacer {
	t.Helper()
	var pairs []string
	for p := range ps {
		free := testsink.HeldAddr(t)
		pairs = append(pairs, ":"+p, free[strings.LastIndex(free, ":"):])
	}
	return strings.NewReplacer(pairs...)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestReadmeSignedQuickstart runs docs/authentication.md's signed flow: its own
// receiver, verifying with the secret, and examples/hmac.yaml signing with
// it, on ports that `make run` does not take (the collector's metrics port
// included), so both run at once; the receiver says the signature verifies.
// Only the ports are moved, to free ones.
func TestReadmeSignedQuickstart(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skipf("curl is not installed: %v", err)
	}
	root := repoRoot(t)
	distribution(t)
	block := snippet(t, "docs/authentication.md", "sh", "webhookreceiver")
	const config = "examples/hmac.yaml"
	require.Contains(t, block.text, "--config="+config)
	hmac, err := os.ReadFile(filepath.Join(root, config))
	require.NoError(t, err)

	taken := makeRunPorts(t)
	// The collector's default metrics port: any other collector on the
	// machine (a second example, your own) takes it.
	taken["8888"] = true
	used := ports(t, block.text, false)
	for p := range ports(t, string(hmac), true) {
		used[p] = true
	}
	for p := range used {
		assert.False(t, taken[p], "%s and %s take port %s, which make run or another collector takes (%v)", block.name, config, p, sortedKeys(taken))
	}

	moved := freePorts(t, used)
	dir := t.TempDir()
	movedConfig := filepath.Join(dir, "hmac.yaml")
	require.NoError(t, os.WriteFile(movedConfig, []byte(moved.Replace(string(hmac))), 0o600))
	sh := newShell(t, root)
	sh.run(strings.ReplaceAll(moved.Replace(block.text), "--config="+config, "--config="+movedConfig))
	sh.waitOutput("verified (sorted_json, X-Signature)")
	assert.NotContains(t, sh.output.String(), "NOT verified")
	assert.Contains(t, sh.output.String(), `"file_name": "sensitive.pdf"`)
}

// TestOneSecretVariable: the docs and examples name the HMAC secret's
// environment variable as the receiver reads it, WEBHOOK_SECRET.
func TestOneSecretVariable(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	require.NoError(t, err)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	files = append(append(files, docs...), filepath.Join(root, "README.md"), filepath.Join(root, "cmd", "webhookreceiver", "main.go"))
	secretVar := regexp.MustCompile(`\b[A-Z_]*WEBHOOK[A-Z_]*SECRET[A-Z_]*\b`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, name := range secretVar.FindAllString(string(data), -1) {
			assert.Equal(t, "WEBHOOK_SECRET", name, "%s names the HMAC secret %s", f, name)
		}
	}
}

// TestMakeRunSnippets runs README's first block: `make run` as written,
// with RECEIVER_LISTEN and the quickstart's OTLP port moved to free ports
// (the README documents RECEIVER_LISTEN), until the guide's three events
// arrive; then the Quickstart's curl, whose event the receiver prints.
// `make test` is checked with make -n: it runs every test, this one too.
func TestMakeRunSnippets(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skipf("curl is not installed: %v", err)
	}
	root := repoRoot(t)
	distribution(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(readme), "make run RECEIVER_LISTEN="), "README says how to move make run's receiver (RECEIVER_LISTEN)")

	top := snippet(t, "README.md", "sh", "make run")
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(top.text), "\n") {
		line = strings.TrimSpace(shellComment.ReplaceAllString(line, ""))
		if line == "make run" {
			continue
		}
		// Every other target must exist: make -n prints what it would do.
		out, err := exec.Command("make", "-C", root, "-n", strings.TrimPrefix(line, "make ")).CombinedOutput()
		require.NoError(t, err, "%s: %s", line, out)
		lines = append(lines, line)
	}
	require.Len(t, lines, len(strings.Split(strings.TrimSpace(top.text), "\n"))-1, "%s runs make run", top.name)

	receiver, otlp := testsink.HeldAddr(t), testsink.HeldAddr(t)
	sh := newShell(t, root)
	sh.exports = []string{
		"export OTLP_HTTP_ENDPOINT=" + otlp,
		"export SECURITYEVENTS_ENDPOINT=" + testsink.HeldAddr(t),
		"export DEAD_LETTER_DIR=" + t.TempDir(),
	}
	sh.run("make run RECEIVER_LISTEN=" + receiver + " &")
	sh.waitOutput(`"pii_detected"`)

	curl := snippet(t, "README.md", "sh", "localhost:4318/v1/logs")
	sh.run(strings.ReplaceAll(curl.text, "localhost:4318", otlp))
	sh.waitOutput(`"file_name": "sensitive.pdf"`)
}

// TestDeadLetterReplaySnippets runs the replay of README's Dead letters
// section and of docs/dead-letters.md: the page's config whose receiver
// takes what the replay command posts, as written but for its ports, its
// directories (/var/lib/otelcol becomes a temporary one), the endpoint
// (a local sink) and the file names of the command; the replayed line is
// docs/dead-letters.md's example. The event arrives at the sink.
func TestDeadLetterReplaySnippets(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	line := snippet(t, "docs/dead-letters.md", "json", `"deadLetter"`)
	for _, file := range []string{"README.md", "docs/dead-letters.md"} {
		t.Run(file, func(t *testing.T) {
			command := snippet(t, file, "sh", "webhookreplay")
			endpoint := regexp.MustCompile(`-endpoint http://(\S+)/v1/logs`).FindStringSubmatch(command.text)
			require.NotNil(t, endpoint, "%s: the command names its -endpoint", command.name)

			// The page's config that listens where the command posts.
			var config *docBlock
			for _, b := range docBlocks(t, filepath.Join(root, file), file) {
				if b.lang == "yaml" && b.section == command.section && strings.Contains(b.text, "endpoint: "+endpoint[1]) {
					config = &b
				}
			}
			require.NotNil(t, config, "%s: the %q section shows no pipeline whose receiver listens on %s, where the replay posts", file, command.section, endpoint[1])
			var cfg map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(config.text), &cfg))
			pipelines, _ := cfg["service"].(map[string]any)["pipelines"].(map[string]any)
			require.NotEmpty(t, pipelines, "%s is a whole config", config.name)

			rec := newEventRecorder(t)
			tmp := t.TempDir()
			moved := freePorts(t, ports(t, config.text, false))
			text := strings.ReplaceAll(moved.Replace(config.text), "/var/lib/otelcol", tmp)
			require.NoError(t, yaml.Unmarshal([]byte(text), &cfg))
			for id, exp := range cfg["exporters"].(map[string]any) {
				if strings.HasPrefix(id, "webhook") {
					exp.(map[string]any)["endpoint"] = rec.Endpoint()
				}
			}
			cfg["service"].(map[string]any)["telemetry"] = map[string]any{"metrics": map[string]any{"level": "none"}}
			out, err := yaml.Marshal(cfg)
			require.NoError(t, err)
			cfgPath := filepath.Join(tmp, "config.yaml")
			require.NoError(t, os.WriteFile(cfgPath, out, 0o600))
			col := startCollector(t, cfgPath, tmp)
			replayAddr := moved.Replace(endpoint[1])
			newOTLPClient(t, replayAddr).waitReady(t, col)

			// The dead-letter file where the page's commands take it from.
			require.NoError(t, os.MkdirAll(filepath.Join(tmp, "deadletter"), 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(tmp, "deadletter", "webhook%2Fsiem.deadletter.jsonl"), []byte(line.text), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(tmp, "replay.jsonl"), []byte(line.text), 0o600))
			script := strings.NewReplacer(
				" replay.jsonl", " "+filepath.Join(tmp, "replay.jsonl"),
				" again.jsonl", " "+filepath.Join(tmp, "again.jsonl"),
				"/var/lib/otelcol", tmp,
			).Replace(moved.Replace(command.text))
			sh := newShell(t, root)
			for _, l := range strings.Split(strings.TrimSpace(script), "\n") {
				out := sh.foreground(l)
				if strings.Contains(l, "webhookreplay") {
					assert.Contains(t, out, "accepted by the collector 1, refused 0, not valid 0")
				}
			}
			got := rec.waitFor(t, col, 1)
			require.Len(t, got, 1)
			assert.Contains(t, got[0], `sensitive.pdf`)
		})
	}
}

// TestBuildDocSnippets builds docs/build.md's manifest with its commands,
// as written, in a directory beside which `./webhookexporter` is this
// checkout (a link), as the page says; the collector built lists the
// exporter and the extension.
func TestBuildDocSnippets(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	var manifest string
	for _, b := range docBlocks(t, filepath.Join(root, "docs", "build.md"), "docs/build.md") {
		if b.lang == "yaml" && isManifest(b.text) {
			manifest = b.text
		}
	}
	require.NotEmpty(t, manifest, "docs/build.md shows a manifest")
	require.Contains(t, manifest, "path: ./webhookexporter")
	commands := snippet(t, "docs/build.md", "sh", "builder")
	require.Contains(t, commands.text, "--config=manifest.yaml")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.yaml"), []byte(manifest), 0o600))
	require.NoError(t, os.Symlink(root, filepath.Join(dir, "webhookexporter")))
	sh := newShell(t, dir)
	sh.run(commands.text)

	var dist struct {
		Dist struct {
			Name       string
			OutputPath string `yaml:"output_path"`
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(manifest), &dist))
	out, err := exec.Command(filepath.Join(dir, dist.Dist.OutputPath, dist.Dist.Name), "components").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "- name: webhook\n")
	assert.Contains(t, string(out), "- name: webhookauth\n")
	assert.False(t, bytes.Contains(out, []byte("name: securityevents")), "only what the manifest lists")
}

// TestSectionReferences: every README section that examples/ and docs/
// name (`"Dead letters" in README.md`, README.md#dead-letters) exists.
func TestSectionReferences(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	titles, anchors := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if title, ok := strings.CutPrefix(line, "## "); ok {
			titles[title] = true
			anchors[strings.ReplaceAll(strings.ToLower(regexp.MustCompile(`[^\w\s-]`).ReplaceAllString(title, "")), " ", "-")] = true
		}
	}
	files, err := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	require.NoError(t, err)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	named := regexp.MustCompile(`"([^"]+)" in README\.md`)
	linked := regexp.MustCompile(`README\.md#([\w-]+)`)
	checked := 0
	for _, f := range append(files, docs...) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		text := strings.Join(strings.Fields(string(data)), " ") // a name may wrap in a comment
		text = strings.ReplaceAll(text, " # ", " ")
		for _, m := range named.FindAllStringSubmatch(text, -1) {
			assert.True(t, titles[m[1]], "%s names README section %q, which does not exist", f, m[1])
			checked++
		}
		for _, m := range linked.FindAllStringSubmatch(text, -1) {
			assert.True(t, anchors[m[1]], "%s links README.md#%s, which does not exist", f, m[1])
			checked++
		}
	}
	assert.NotZero(t, checked)
}
