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
	// The package's functions and variables by name: a variable (a table of
	// cases) measures when what it names does.
	decls := map[string]ast.Node{}
	var tests []*ast.FuncDecl
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body == nil || d.Recv != nil {
					continue
				}
				if strings.HasPrefix(d.Name.Name, "Test") {
					tests = append(tests, d)
				} else {
					decls[d.Name.Name] = d.Body
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if v, ok := spec.(*ast.ValueSpec); ok && d.Tok == token.VAR {
						for _, n := range v.Names {
							decls[n.Name] = v
						}
					}
				}
			}
		}
	}
	// What measures memory: these names, and the helpers and tables that
	// name them, however deep.
	measures := map[string]bool{"ReadMemStats": true, "AllocsPerRun": true, "raceflag": true}
	uses := func(body ast.Node) (found []string, parallel bool) {
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
				case *ast.Ident:
					if measures[n.Name] {
						found = append(found, n.Name)
					}
				}
				return true
			})
		}
		walk(body, false)
		return found, parallel
	}
	for grew := true; grew; {
		grew = false
		for name, body := range decls {
			if found, _ := uses(body); len(found) > 0 && !measures[name] {
				measures[name] = true
				grew = true
			}
		}
	}
	parallel := 0
	for _, fn := range tests {
		if found, isParallel := uses(fn.Body); isParallel {
			parallel++
			assert.Empty(t, found, "%s calls t.Parallel but measures memory; take t.Parallel out", fn.Name.Name)
		}
	}
	assert.Positive(t, parallel, "no test runs in parallel: the rule checks nothing")
}
