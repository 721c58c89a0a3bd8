package webhookexporter

import (
	"bytes"
	"encoding"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite config.schema.yaml from Config")

const schemaFile = "config.schema.yaml"

// TestConfigSchema keeps config.schema.yaml true to Config: every key that
// Config and its nested structs unmarshal (mapstructure tags, squashed
// structs, configoptional sections with their `enabled`) is in the schema
// with its JSON type, and the schema has no key that Config does not read.
// `go test -run TestConfigSchema -update-schema` rewrites the file, with
// the descriptions of the project's own fields taken from their comments.
func TestConfigSchema(t *testing.T) {
	want := configSchema(t)
	var out bytes.Buffer
	out.WriteString("# The exporter's configuration as a JSON schema, written from Config by\n" +
		"# `go test -run TestConfigSchema -update-schema` and checked by that test.\n")
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	require.NoError(t, enc.Encode(want))
	if *updateSchema {
		require.NoError(t, os.WriteFile(schemaFile, out.Bytes(), 0o644))
	}
	raw, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &got))

	wantKeys, gotKeys := schemaKeys(want.toMap(), ""), schemaKeys(got, "")
	for path, typ := range wantKeys {
		g, ok := gotKeys[path]
		if !ok {
			t.Errorf("%s: Config reads %s (%s), the schema does not list it; run go test -run TestConfigSchema -update-schema", schemaFile, path, typ)
		} else if g != typ {
			t.Errorf("%s: %s is %s in the schema, %s in Config", schemaFile, path, g, typ)
		}
	}
	for path := range gotKeys {
		if _, ok := wantKeys[path]; !ok {
			t.Errorf("%s: %s is in the schema but Config does not read it", schemaFile, path)
		}
	}
	if !t.Failed() {
		assert.Equal(t, out.String(), string(raw), "%s: the keys agree with Config, not the descriptions or defaults (the fields' comments); run go test -run TestConfigSchema -update-schema", schemaFile)
	}
}

// schemaKeys flattens a schema into dotted key paths and their types
// ("items" for an array's elements, "*" for a map's values).
func schemaKeys(node map[string]any, path string) map[string]string {
	out := map[string]string{}
	typ, _ := node["type"].(string)
	if f, ok := node["format"].(string); ok {
		typ += "/" + f
	}
	if path != "" {
		out[path] = typ
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for k, v := range props {
			for p, t := range schemaKeys(v.(map[string]any), strings.TrimPrefix(path+"."+k, ".")) {
				out[p] = t
			}
		}
	}
	for key, sub := range map[string]string{"items": "[]", "additionalProperties": "*"} {
		if n, ok := node[key].(map[string]any); ok {
			for p, t := range schemaKeys(n, path+"."+sub) {
				out[p] = t
			}
		}
	}
	return out
}

// schemaNode is one JSON schema node, marshalled in a fixed key order.
type schemaNode struct {
	Schema      string                 `yaml:"$schema,omitempty"`
	Title       string                 `yaml:"title,omitempty"`
	Description string                 `yaml:"description,omitempty"`
	Type        string                 `yaml:"type,omitempty"`
	Format      string                 `yaml:"format,omitempty"`
	Default     any                    `yaml:"default,omitempty"`
	Properties  map[string]*schemaNode `yaml:"properties,omitempty"`
	Items       *schemaNode            `yaml:"items,omitempty"`
	Additional  *schemaNode            `yaml:"additionalProperties,omitempty"`
}

func (n *schemaNode) toMap() map[string]any {
	out, err := yaml.Marshal(n)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(out, &m); err != nil {
		panic(err)
	}
	return m
}

func configSchema(t *testing.T) *schemaNode {
	docs := fieldDocs(t, ".", "formats/builtin")
	root := &schemaNode{
		Schema:      "https://json-schema.org/draft/2020-12/schema",
		Title:       "exporter/webhook",
		Description: "Configuration of the webhook exporter (github.com/sentyr/webhookexporter); defaults are the factory's.",
	}
	walkSchema(root, reflect.ValueOf(NewFactory().CreateDefaultConfig()).Elem(), docs, map[reflect.Type]bool{})
	return root
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	opaqueType     = reflect.TypeFor[configopaque.String]()
	mapListType    = reflect.TypeFor[configopaque.MapList]()
	textType       = reflect.TypeFor[encoding.TextUnmarshaler]()
	unmarshalsType = reflect.TypeFor[confmap.Unmarshaler]()
)

// walkSchema fills n with the schema of what confmap unmarshals into v's
// type, and the non-zero values of v as defaults.
func walkSchema(n *schemaNode, v reflect.Value, docs map[string]string, seen map[reflect.Type]bool) {
	typ := v.Type()
	switch {
	case typ == durationType:
		n.Type, n.Format = "string", "duration"
		if d := time.Duration(v.Int()); d != 0 {
			n.Default = d.String()
		}
		return
	case typ == opaqueType:
		n.Type, n.Format = "string", "password"
		return
	case typ == mapListType:
		// Written as a map of names to values (configopaque.MapList.Unmarshal).
		n.Type, n.Additional = "object", &schemaNode{Type: "string", Format: "password"}
		return
	case reflect.PointerTo(typ).Implements(textType):
		n.Type = "string"
		switch {
		case v.IsZero():
		case typ.Kind() == reflect.String:
			n.Default = v.String()
		case v.CanInterface():
			n.Default = fmt.Sprint(v.Interface())
		}
		return
	case isOptional(typ):
		// configoptional.Optional[T]: T's keys and `enabled`.
		walkSchema(n, v.FieldByName("value"), docs, seen)
		n.Properties["enabled"] = &schemaNode{Type: "boolean", Description: "Turns the section on or off."}
		return
	}
	switch typ.Kind() {
	case reflect.Bool:
		n.Type = "boolean"
		if v.Bool() {
			n.Default = true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.Type = "integer"
		if v.Int() != 0 {
			n.Default = v.Int()
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n.Type = "integer"
		if v.Uint() != 0 {
			n.Default = v.Uint()
		}
	case reflect.Float32, reflect.Float64:
		n.Type = "number"
		if v.Float() != 0 {
			n.Default = v.Float()
		}
	case reflect.String:
		n.Type = "string"
		if v.String() != "" {
			n.Default = v.String()
		}
	case reflect.Slice, reflect.Array:
		n.Type, n.Items = "array", &schemaNode{}
		walkSchema(n.Items, reflect.New(typ.Elem()).Elem(), docs, seen)
	case reflect.Map:
		n.Type, n.Additional = "object", &schemaNode{}
		walkSchema(n.Additional, reflect.New(typ.Elem()).Elem(), docs, seen)
	case reflect.Pointer:
		elem := v.Elem()
		if v.IsNil() {
			elem = reflect.New(typ.Elem()).Elem()
		}
		walkSchema(n, elem, docs, seen)
	case reflect.Interface:
		// Any value.
	case reflect.Struct:
		if seen[typ] {
			n.Type = "object"
			return
		}
		seen[typ] = true
		defer delete(seen, typ)
		n.Type = "object"
		if n.Properties == nil {
			n.Properties = map[string]*schemaNode{}
		}
		if reflect.PointerTo(typ).Implements(unmarshalsType) && typ.PkgPath() != "" && !strings.HasPrefix(typ.PkgPath(), "go.opentelemetry.io/collector/") {
			panic(fmt.Sprintf("%s unmarshals itself: say its shape in walkSchema", typ))
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			if name == "-" {
				continue
			}
			if slices.Contains(strings.Split(opts, ","), "squash") {
				walkSchema(n, v.Field(i), docs, seen)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			child := &schemaNode{Description: docs[typ.PkgPath()+"."+typ.Name()+"."+f.Name]}
			walkSchema(child, v.Field(i), docs, seen)
			n.Properties[name] = child
		}
	default:
		panic(fmt.Sprintf("config.schema.yaml: no JSON type for %s", typ))
	}
}

func isOptional(typ reflect.Type) bool {
	return typ.PkgPath() == "go.opentelemetry.io/collector/config/configoptional" && strings.HasPrefix(typ.Name(), "Optional[")
}

// fieldDocs reads the comments of the struct fields declared in the
// project's own directories, keyed "importpath.Type.Field".
func fieldDocs(t *testing.T, dirs ...string) map[string]string {
	out := map[string]string{}
	for _, dir := range dirs {
		importPath := "github.com/sentyr/webhookexporter"
		if dir != "." {
			importPath += "/" + dir
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		fset := token.NewFileSet()
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
			require.NoError(t, err)
			ast.Inspect(f, func(node ast.Node) bool {
				ts, ok := node.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				for _, field := range st.Fields.List {
					if field.Doc == nil {
						continue
					}
					text := strings.Join(strings.Fields(field.Doc.Text()), " ")
					for _, name := range field.Names {
						out[importPath+"."+ts.Name.Name+"."+name.Name] = text
					}
				}
				return true
			})
		}
	}
	return out
}
