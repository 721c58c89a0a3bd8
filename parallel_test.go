package webhookexporter

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParallelTestsMeasureNoMemory keeps the rule that lets long tests run
// in parallel: go test runs a top-level test that calls t.Parallel only
// after every sequential one has ended, so the tests that measure the heap
// or allocations, which must have the process to themselves, stay
// sequential and never call it.
func TestParallelTestsMeasureNoMemory(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	var funcs []*ast.FuncDecl
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil && fn.Recv == nil {
				funcs = append(funcs, fn)
			}
		}
	}
	// What measures memory: these calls, and the test helpers that make
	// them, however deep.
	measures := map[string]bool{"ReadMemStats": true, "AllocsPerRun": true, "raceflag": true}
	uses := func(fn *ast.FuncDecl, names map[string]bool) (found []string, parallel bool) {
		var walk func(root ast.Node, nested bool)
		walk = func(root ast.Node, nested bool) {
			ast.Inspect(root, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					if n != root {
						// A subtest's t.Parallel runs it beside its
						// siblings only: the test stays a sequential one.
						walk(n, true)
						return false
					}
				case *ast.SelectorExpr:
					if n.Sel.Name == "Parallel" && !nested {
						parallel = true
					}
					if x, ok := n.X.(*ast.Ident); ok && names[x.Name] {
						found = append(found, x.Name)
					}
					if names[n.Sel.Name] {
						found = append(found, n.Sel.Name)
					}
				case *ast.CallExpr:
					if id, ok := n.Fun.(*ast.Ident); ok && names[id.Name] {
						found = append(found, id.Name)
					}
				}
				return true
			})
		}
		walk(fn.Body, false)
		return found, parallel
	}
	for grew := true; grew; {
		grew = false
		for _, fn := range funcs {
			if found, _ := uses(fn, measures); len(found) > 0 && !strings.HasPrefix(fn.Name.Name, "Test") && !measures[fn.Name.Name] {
				measures[fn.Name.Name] = true
				grew = true
			}
		}
	}
	parallel := 0
	for _, fn := range funcs {
		if !strings.HasPrefix(fn.Name.Name, "Test") {
			continue
		}
		if found, isParallel := uses(fn, measures); isParallel {
			parallel++
			assert.Empty(t, found, "%s calls t.Parallel but measures memory; take t.Parallel out", fn.Name.Name)
		}
	}
	assert.Positive(t, parallel, "no test runs in parallel: the rule checks nothing")
}
