package webhookexporter

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPushPathImportsRunOneWay: the root package holds the component and
// imports the push path's packages, whose imports run one way: delivery
// uses deadletter and mapping, deadletter uses mapping, mapping neither;
// none imports the root. A package that imported one above it would make
// the layers one tangle again.
func TestPushPathImportsRunOneWay(t *testing.T) {
	const module = "github.com/sentyr/webhookexporter"
	// Each package, bottom up, and the packages above it, which it must
	// not import.
	layers := []string{"internal/redact", "internal/mapping", "internal/deadletter", "internal/delivery", "."}
	root, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	for _, pkg := range layers[1:4] {
		assert.Contains(t, root.Imports, module+"/"+pkg, "the root uses %s", pkg)
	}
	for i, dir := range layers[:4] {
		p, err := build.ImportDir(filepath.FromSlash(dir), 0)
		require.NoError(t, err, dir)
		for _, above := range layers[i+1:] {
			path := module
			if above != "." {
				path += "/" + above
			}
			assert.NotContains(t, p.Imports, path, "%s imports %s, a layer above it", dir, above)
		}
		for _, imp := range p.Imports {
			assert.False(t, imp == module || strings.HasPrefix(imp, module+"/cmd") || strings.HasPrefix(imp, module+"/auth"),
				"%s imports %s", dir, imp)
		}
	}
	// Under formats/, imports run builtin → template → formats →
	// formats/internal/*: the formatter author's API imports no built-in
	// format, the template engine none either, and the internals none of
	// the three (the test helpers formatstest and jsontest aside: only
	// tests import them).
	above := map[string][]string{
		"formats":          {"formats/template", "formats/builtin"},
		"formats/template": {"formats/builtin"},
	}
	internals, err := filepath.Glob(filepath.Join("formats", "internal", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, internals)
	for _, dir := range internals {
		dir = filepath.ToSlash(dir)
		if base := filepath.Base(dir); base != "formatstest" && base != "jsontest" {
			above[dir] = []string{"formats", "formats/template", "formats/builtin"}
		}
	}
	for dir, forbidden := range above {
		p, err := build.ImportDir(filepath.FromSlash(dir), 0)
		require.NoError(t, err, dir)
		for _, f := range forbidden {
			assert.NotContains(t, p.Imports, module+"/"+f, "%s imports %s, a layer above it", dir, f)
		}
		for _, imp := range p.Imports {
			assert.False(t, strings.HasSuffix(imp, "/formatstest") || strings.HasSuffix(imp, "/jsontest"), "%s imports the test helper %s", dir, imp)
		}
	}
	// The push path's files are not in the root anymore.
	for _, f := range []string{"sender.go", "delivery.go", "retry.go", "mapping.go", "deadletter.go", "giveup.go", "eventid.go"} {
		assert.False(t, slices.Contains(root.GoFiles, f), "%s is in the root package", f)
	}
}
