//go:build e2e

package e2e

// TestExamplesValidate checks every collector config that users copy: each
// ```yaml block of README.md and docs/*.md and each examples/*.yaml, with the
// distribution's own `validate` command, so a config that names a missing
// component, a misspelt field or a value the exporter refuses fails here.
//
// Conventions for README.md:
//
//   - A block with `service::pipelines` is a whole config and is validated
//     as it is.
//   - Any other block is a fragment (e.g. only `exporters:`, or
//     `extensions:` and `exporters:`). The test completes it: an otlp
//     receiver when it has no receivers, a debug exporter when it has no
//     exporters, and in `service` (kept when the block has one) a logs
//     pipeline through all of its receivers, processors and exporters.
//     `service::extensions` is never completed: the collector starts only
//     the extensions listed there, so every authenticator a block names
//     must be listed in the block itself (`validate` does not check it; the
//     start fails with "authenticator not found").
//   - A block that this distribution cannot validate (a component or a
//     formatter it does not include) is skipped when the nearest non-blank
//     line before its opening fence is an HTML comment that starts with
//     `<!-- validate: skip` and gives the reason, e.g.
//     `<!-- validate: skip (needs the transform processor) -->`. The same
//     marker says why a block of another language is not run
//     (snippets_test.go).
//   - A block with a top-level `dist:` is an ocb manifest, not a collector
//     config: its collector modules must be at the release that
//     builder-config.yaml uses (the same version for a module it lists, one
//     of its core or contrib versions for others), and this repository's
//     module, which no proxy serves, needs a `path:` to a checkout.
//   - Every ${env:NAME} (or ${NAME}) gets a dummy value, a URL for names
//     that contain ENDPOINT or URL. Relative file paths resolve from the
//     repository root.
//
// New sections and examples are picked up without changes here.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const skipMarker = "<!-- validate: skip"

// example is one config to validate.
type example struct {
	name string // where it comes from, e.g. README.md:120
	text string
	skip string // the reason of a skip marker
}

// docBlock is one fenced code block of README.md or a page of docs/.
type docBlock struct {
	name    string // where it is, e.g. README.md:120 (the fence's line)
	file    string // README.md, docs/build.md
	section string // the nearest "## " heading above it, "(top)" before any
	lang    string // the fence's language: yaml, json, sh, go
	text    string
	skip    string // the reason of a skip marker
}

// docBlocks returns the fenced blocks of a Markdown file; file is how it
// is named in the results.
func docBlocks(t *testing.T, path, file string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	section := "(top)"
	var out []docBlock
	for i := 0; i < len(lines); i++ {
		if title, ok := strings.CutPrefix(lines[i], "## "); ok {
			section = title
			continue
		}
		lang, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "```")
		if !ok || lang == "" {
			continue
		}
		start := i
		var block []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			block = append(block, lines[i])
		}
		require.Less(t, i, len(lines), "%s:%d: the block is not closed", file, start+1)
		b := docBlock{name: fmt.Sprintf("%s:%d", file, start+1), file: file, section: section, lang: lang, text: strings.Join(block, "\n") + "\n"}
		for j := start - 1; j >= 0; j-- {
			prev := strings.TrimSpace(lines[j])
			if prev == "" {
				continue
			}
			if strings.HasPrefix(prev, skipMarker) {
				b.skip = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(prev, skipMarker), "-->"))
			}
			break
		}
		out = append(out, b)
	}
	return out
}

// allDocBlocks returns the blocks of README.md and docs/*.md.
func allDocBlocks(t *testing.T) []docBlock {
	t.Helper()
	root := repoRoot(t)
	blocks := docBlocks(t, filepath.Join(root, "README.md"), "README.md")
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, docs, "docs/ has pages")
	for _, doc := range docs {
		blocks = append(blocks, docBlocks(t, doc, "docs/"+filepath.Base(doc))...)
	}
	return blocks
}

// readmeExamples returns a Markdown file's ```yaml blocks.
func readmeExamples(t *testing.T, path string) []example {
	t.Helper()
	var out []example
	for _, b := range docBlocks(t, path, filepath.Base(path)) {
		if b.lang == "yaml" {
			out = append(out, example{name: b.name, text: b.text, skip: b.skip})
		}
	}
	return out
}

// fileExamples returns examples/*.yaml.
func fileExamples(t *testing.T, root string) []example {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	require.NoError(t, err)
	var out []example
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, err := filepath.Rel(root, p)
		require.NoError(t, err)
		out = append(out, example{name: filepath.ToSlash(rel), text: string(data)})
	}
	return out
}

// complete turns a fragment into a whole config (see the conventions
// above); a whole config is returned as it is.
func complete(text string) (string, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		return "", err
	}
	if cfg == nil {
		return "", fmt.Errorf("the block holds no YAML mapping")
	}
	service, _ := cfg["service"].(map[string]any)
	if _, whole := service["pipelines"]; whole {
		return text, nil
	}
	if service == nil {
		service = map[string]any{}
	}
	if _, ok := cfg["receivers"]; !ok {
		cfg["receivers"] = map[string]any{"otlp": map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": "127.0.0.1:4318"}}}}
	}
	if _, ok := cfg["exporters"]; !ok {
		cfg["exporters"] = map[string]any{"debug": map[string]any{}}
	}
	pipeline := map[string]any{
		"receivers": keys(cfg["receivers"]),
		"exporters": keys(cfg["exporters"]),
	}
	if p := keys(cfg["processors"]); len(p) > 0 {
		pipeline["processors"] = p
	}
	service["pipelines"] = map[string]any{"logs": pipeline}
	cfg["service"] = service
	out, err := yaml.Marshal(cfg)
	return string(out), err
}

// keys returns the component ids of a section, sorted.
func keys(section any) []string {
	m, _ := section.(map[string]any)
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

var envRef = regexp.MustCompile(`\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}`)

// dummyEnv gives every variable a config refers to a value of a plausible
// shape, so that validation reaches the settings.
func dummyEnv(text string) []string {
	var env []string
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		name := m[1]
		value := "e2e-dummy-" + strings.ToLower(name)
		if strings.Contains(name, "ENDPOINT") || strings.Contains(name, "URL") {
			value = "http://127.0.0.1:9/" + strings.ToLower(name)
		}
		env = append(env, name+"="+value)
	}
	return env
}

func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	bin := distribution(t)

	readme := readmeExamples(t, filepath.Join(root, "README.md"))
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, docs, "docs/ has pages")
	for _, doc := range docs {
		readme = append(readme, readmeExamples(t, doc)...)
	}
	files := fileExamples(t, root)
	// Guards against a parser that silently finds nothing.
	require.NotEmpty(t, readme, "README.md has yaml blocks")
	require.NotEmpty(t, files, "examples/ has yaml configs")

	pinned := manifestModules(t, filepath.Join(root, "builder-config.yaml"))
	for _, ex := range append(readme, files...) {
		t.Run(ex.name, func(t *testing.T) {
			if ex.skip != "" {
				t.Skipf("marked %s: %s", skipMarker+" -->", ex.skip)
			}
			if isManifest(ex.text) {
				for _, err := range manifestErrors(ex.text, pinned) {
					t.Errorf("%s: %v", ex.name, err)
				}
				return
			}
			config, err := complete(ex.text)
			require.NoError(t, err, "%s is not YAML:\n%s", ex.name, ex.text)
			for _, id := range unlistedAuthenticators(config) {
				t.Errorf("%s: authenticator %q is not in service::extensions; the collector would fail at start with "+
					"`authenticator %q not found`: add `service: { extensions: [%s] }` to the block", ex.name, id, id, id)
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(path, []byte(config), 0o600))

			cmd := exec.Command(bin, "validate", "--config="+path)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), dummyEnv(config)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s does not validate: %v\n%s\nthe config validated:\n%s", ex.name, err, out, config)
			}
		})
	}
}

// Collector module paths, core and contrib.
const (
	corePrefix    = "go.opentelemetry.io/collector/"
	contribPrefix = "github.com/open-telemetry/opentelemetry-collector-contrib/"
)

// manifest is the part of an ocb manifest that names modules.
type manifest struct {
	Dist       map[string]any `yaml:"dist"`
	Receivers  []module       `yaml:"receivers"`
	Processors []module       `yaml:"processors"`
	Exporters  []module       `yaml:"exporters"`
	Extensions []module       `yaml:"extensions"`
	Connectors []module       `yaml:"connectors"`
	Providers  []module       `yaml:"providers"`
	Converters []module       `yaml:"converters"`
}

type module struct {
	GoMod string `yaml:"gomod"`
	Path  string `yaml:"path"`
}

// thisModule is this repository's module: no proxy serves it.
const thisModule = "github.com/sentyr/webhookexporter"

// unlistedAuthenticators returns the authenticators a config names (any
// `authenticator:` value) that its service::extensions does not list.
func unlistedAuthenticators(text string) []string {
	var cfg map[string]any
	if yaml.Unmarshal([]byte(text), &cfg) != nil {
		return nil
	}
	listed := map[string]bool{}
	if service, ok := cfg["service"].(map[string]any); ok {
		exts, _ := service["extensions"].([]any)
		for _, e := range exts {
			listed[fmt.Sprint(e)] = true
		}
	}
	var missing []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if id, ok := x.(string); ok && k == "authenticator" && !listed[id] {
					missing = append(missing, id)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, section := range []string{"receivers", "exporters", "extensions", "processors", "connectors"} {
		walk(cfg[section])
	}
	sort.Strings(missing)
	return missing
}

func (m *manifest) modules() []module {
	var all []module
	for _, list := range [][]module{m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Connectors, m.Providers, m.Converters} {
		all = append(all, list...)
	}
	return all
}

func isManifest(text string) bool {
	var top map[string]any
	if yaml.Unmarshal([]byte(text), &top) != nil {
		return false
	}
	_, ok := top["dist"]
	return ok
}

// manifestModules reads the module versions of builder-config.yaml.
func manifestModules(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var m manifest
	require.NoError(t, yaml.Unmarshal(data, &m))
	versions := map[string]string{}
	for _, mod := range m.modules() {
		p, v, ok := strings.Cut(mod.GoMod, " ")
		require.True(t, ok, "builder-config.yaml: gomod %q has no version", mod.GoMod)
		versions[p] = v
	}
	require.NotEmpty(t, versions)
	return versions
}

// manifestErrors lists the collector modules of a manifest that are not at
// the release of builder-config.yaml.
func manifestErrors(text string, pinned map[string]string) []error {
	var m manifest
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		return []error{fmt.Errorf("not an ocb manifest: %w", err)}
	}
	release := map[string]map[string]bool{corePrefix: {}, contribPrefix: {}}
	for p, v := range pinned {
		for prefix := range release {
			if strings.HasPrefix(p, prefix) {
				release[prefix][v] = true
			}
		}
	}
	var errs []error
	for _, mod := range m.modules() {
		p, v, ok := strings.Cut(mod.GoMod, " ")
		if !ok {
			errs = append(errs, fmt.Errorf("gomod %q has no version", mod.GoMod))
			continue
		}
		if p == thisModule && mod.Path == "" {
			errs = append(errs, fmt.Errorf("%s is in no module proxy: give it `path:`, a checkout of this repository", p))
		}
		for prefix, versions := range release {
			if !strings.HasPrefix(p, prefix) {
				continue
			}
			if want, listed := pinned[p]; listed && v != want {
				errs = append(errs, fmt.Errorf("%s %s, but builder-config.yaml builds %s", p, v, want))
			} else if !listed && !versions[v] {
				errs = append(errs, fmt.Errorf("%s %s is not at the release of builder-config.yaml (%v)", p, v, keys(toAny(versions))))
			}
		}
	}
	return errs
}

func toAny(m map[string]bool) any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
