package formats

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authorAPI is everything package formats exports: what the author of a Go
// formatter needs, which `go doc ./formats` lists.
var authorAPI = []string{
	"AppendFieldMembers", "AppendFields", "AppendFloat", "AppendMap", "AppendString", "AppendTime", "AppendValue",
	"Event", "Field", "Formatter", "FormatterFunc", "Register",
	"SeverityCritical", "SeverityError", "SeverityInfo", "SeverityWarning",
}

func TestFormatsAPIIsTheFormatterAuthors(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var exported []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					exported = append(exported, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						exported = append(exported, spec.Name.Name)
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							exported = append(exported, n.Name)
						}
					}
				}
			}
		}
	}
	exported = slices.DeleteFunc(exported, func(name string) bool { return !ast.IsExported(name) })
	slices.Sort(exported)
	assert.Equal(t, authorAPI, exported,
		"package formats is the Go formatter author's API; put what the exporter needs and an author does not in formats/builtin (or formats/internal)")
}
