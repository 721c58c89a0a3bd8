package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The check of OCSF documents against the schema's own definitions, as
// testdata/ocsf/<version> holds them (its README names the source): the
// class with what it extends, its objects, the dictionary and the data
// types. It knows nothing of what the encoder means to write.

// ocsfAttr is an attribute's definition: the dictionary's entry, with a
// class's or object's own on top.
type ocsfAttr struct {
	Caption     string                 `json:"caption"`
	Type        string                 `json:"type"`
	IsArray     bool                   `json:"is_array"`
	Requirement string                 `json:"requirement"`
	Sibling     string                 `json:"sibling"`
	Enum        map[string]ocsfCaption `json:"enum"`
}

type ocsfCaption struct {
	Caption string `json:"caption"`
}

// ocsfDef is a class or object file.
type ocsfDef struct {
	Caption     string                     `json:"caption"`
	Name        string                     `json:"name"`
	Extends     string                     `json:"extends"`
	Category    string                     `json:"category"`
	UID         int                        `json:"uid"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
	} `json:"constraints"`
	Profiles []string `json:"profiles"`
}

// ocsfDataType is an entry of the dictionary's types.
type ocsfDataType struct {
	Type   string  `json:"type"`
	Regex  string  `json:"regex"`
	MaxLen int     `json:"max_len"`
	Range  []int64 `json:"range"`
}

// ocsfShape is a class or object with its attributes resolved.
type ocsfShape struct {
	attrs      map[string]ocsfAttr
	atLeastOne []string
}

type ocsfSchema struct {
	dict     map[string]ocsfAttr
	types    map[string]ocsfDataType
	regexes  map[string]*regexp.Regexp
	objects  map[string]*ocsfShape
	class    *ocsfShape
	datetime bool // the class has the datetime profile
}

func readOCSFJSON(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "ocsf", OCSFVersion, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// loadOCSFSchema reads the Detection Finding's definitions.
func loadOCSFSchema(t testing.TB) *ocsfSchema {
	t.Helper()
	var dict struct {
		Attributes map[string]ocsfAttr `json:"attributes"`
		Types      struct {
			Attributes map[string]ocsfDataType `json:"attributes"`
		} `json:"types"`
	}
	readOCSFJSON(t, "dictionary.json", &dict)
	s := &ocsfSchema{dict: dict.Attributes, types: dict.Types.Attributes, regexes: map[string]*regexp.Regexp{}, objects: map[string]*ocsfShape{}}
	for name, ty := range s.types {
		if ty.Regex != "" {
			s.regexes[name] = regexp.MustCompile(ty.Regex)
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "ocsf", OCSFVersion, "objects", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]ocsfDef{}
	for _, f := range files {
		var d ocsfDef
		readOCSFJSON(t, filepath.Join("objects", filepath.Base(f)), &d)
		objects[d.Name] = d
	}
	for name := range objects {
		s.objects[name] = s.resolve(t, chainOf(t, objects, name))
	}
	classes := map[string]ocsfDef{}
	for _, f := range []string{"events/base_event.json", "events/findings/finding.json", "events/findings/detection_finding.json"} {
		var d ocsfDef
		readOCSFJSON(t, f, &d)
		classes[d.Name] = d
	}
	chain := chainOf(t, classes, "detection_finding")
	s.class = s.resolve(t, chain)
	var category string
	for _, d := range chain {
		category = cmpOr(d.Category, category)
		s.datetime = s.datetime || slices.Contains(d.Profiles, "datetime")
	}
	var categories struct {
		Attributes map[string]struct {
			Caption string `json:"caption"`
			UID     int    `json:"uid"`
		} `json:"attributes"`
	}
	readOCSFJSON(t, "categories.json", &categories)
	cat, ok := categories.Attributes[category]
	if !ok {
		t.Fatalf("category %q is not in categories.json", category)
	}
	// The compiled schema gives each class its own class_uid, category_uid
	// and type_uid enumerations: category*1000+class, class*100+activity.
	class := chain[len(chain)-1]
	classUID := cat.UID*1000 + class.UID
	s.setEnum("category_uid", map[string]ocsfCaption{strconv.Itoa(cat.UID): {cat.Caption}})
	s.setEnum("class_uid", map[string]ocsfCaption{strconv.Itoa(classUID): {class.Caption}})
	types := map[string]ocsfCaption{}
	for id, a := range s.class.attrs["activity_id"].Enum {
		n, err := strconv.Atoi(id)
		if err != nil {
			t.Fatal(err)
		}
		types[strconv.Itoa(classUID*100+n)] = ocsfCaption{class.Caption + ": " + a.Caption}
	}
	s.setEnum("type_uid", types)
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *ocsfSchema) setEnum(name string, enum map[string]ocsfCaption) {
	a := s.class.attrs[name]
	a.Enum = enum
	s.class.attrs[name] = a
}

// chainOf is name's definition and those it extends, the root first.
func chainOf(t testing.TB, defs map[string]ocsfDef, name string) []ocsfDef {
	var chain []ocsfDef
	for name != "" && name != "object" {
		d, ok := defs[name]
		if !ok {
			t.Fatalf("%q is not in the test data", name)
		}
		chain = append([]ocsfDef{d}, chain...)
		name = d.Extends
	}
	return chain
}

// resolve merges a chain's attributes, each child's over its parent's
// (enumerations add up), over the dictionary's entries.
func (s *ocsfSchema) resolve(t testing.TB, chain []ocsfDef) *ocsfShape {
	own := map[string]ocsfAttr{}
	shape := &ocsfShape{}
	for _, d := range chain {
		for name, raw := range d.Attributes {
			if name == "$include" {
				continue // profiles' attributes, which the document does not use
			}
			var a ocsfAttr
			if err := json.Unmarshal(raw, &a); err != nil {
				t.Fatalf("%s.%s: %v", d.Name, name, err)
			}
			prev := own[name]
			enum := maps.Clone(prev.Enum)
			if a.Enum != nil {
				if enum == nil {
					enum = map[string]ocsfCaption{}
				}
				maps.Copy(enum, a.Enum)
			}
			prev.Caption = cmpOr(a.Caption, prev.Caption)
			prev.Type = cmpOr(a.Type, prev.Type)
			prev.Requirement = cmpOr(a.Requirement, prev.Requirement)
			prev.Sibling = cmpOr(a.Sibling, prev.Sibling)
			prev.IsArray = prev.IsArray || a.IsArray
			prev.Enum = enum
			own[name] = prev
		}
		if c := d.Constraints.AtLeastOne; c != nil {
			shape.atLeastOne = c
		}
	}
	shape.attrs = map[string]ocsfAttr{}
	for name, a := range own {
		d := s.dict[name]
		d.Caption = cmpOr(a.Caption, d.Caption)
		d.Type = cmpOr(a.Type, d.Type)
		d.Requirement = a.Requirement
		d.Sibling = cmpOr(a.Sibling, d.Sibling)
		d.IsArray = d.IsArray || a.IsArray
		if a.Enum != nil {
			d.Enum = a.Enum
		}
		shape.attrs[name] = d
	}
	return shape
}

// checkFinding lists how doc, one decoded document, departs from the
// Detection Finding's definition.
func (s *ocsfSchema) checkFinding(doc map[string]any) []error {
	return s.checkObject("", doc, s.class)
}

func (s *ocsfSchema) checkObject(path string, obj map[string]any, shape *ocsfShape) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(shape.attrs)) {
		if shape.attrs[name].Requirement == "required" {
			if _, ok := obj[name]; !ok {
				errs = append(errs, fmt.Errorf("%s%s: required, missing", path, name))
			}
		}
	}
	if len(shape.atLeastOne) > 0 && !slices.ContainsFunc(shape.atLeastOne, func(n string) bool { _, ok := obj[n]; return ok }) {
		errs = append(errs, fmt.Errorf("%s: needs at least one of %v", strings.TrimSuffix(path, "."), shape.atLeastOne))
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		v := obj[name]
		a, ok := shape.attrs[name]
		if !ok {
			base, isDT := strings.CutSuffix(name, "_dt")
			if b, known := shape.attrs[base]; isDT && known && s.datetime && s.baseType(b.Type) == "timestamp_t" {
				a = ocsfAttr{Type: "datetime_t"}
			} else {
				errs = append(errs, fmt.Errorf("%s%s: not an attribute of the class, its profiles or its objects", path, name))
				continue
			}
		}
		errs = append(errs, s.checkAttr(path+name, v, a)...)
		if a.Enum != nil {
			errs = append(errs, checkEnum(path, name, obj, a)...)
		}
	}
	return errs
}

// checkEnum checks an enumerated value and the caption beside it.
func checkEnum(path, name string, obj map[string]any, a ocsfAttr) []error {
	n, ok := obj[name].(json.Number)
	if !ok {
		return nil // checkAttr said it
	}
	e, ok := a.Enum[n.String()]
	if !ok {
		return []error{fmt.Errorf("%s%s: %s is not one of the enumeration's values", path, name, n)}
	}
	if a.Sibling == "" || n.String() == "99" {
		return nil
	}
	if sib, ok := obj[a.Sibling]; ok && sib != e.Caption {
		return []error{fmt.Errorf("%s%s: %v, the caption of %s %s is %q", path, a.Sibling, sib, name, n, e.Caption)}
	}
	return nil
}

// baseType follows a data type to the type it narrows.
func (s *ocsfSchema) baseType(ty string) string {
	if dt, ok := s.types[ty]; ok && dt.Type != "" && ty != "timestamp_t" {
		return s.baseType(dt.Type)
	}
	return ty
}

func (s *ocsfSchema) checkAttr(path string, v any, a ocsfAttr) []error {
	if a.Type == "" {
		return []error{fmt.Errorf("%s: no type in the test data's dictionary", path)}
	}
	if a.IsArray {
		items, ok := v.([]any)
		if !ok {
			return []error{fmt.Errorf("%s: %T, not an array", path, v)}
		}
		var errs []error
		for i, item := range items {
			errs = append(errs, s.checkType(fmt.Sprintf("%s[%d]", path, i), item, a.Type)...)
		}
		return errs
	}
	return s.checkType(path, v, a.Type)
}

func (s *ocsfSchema) checkType(path string, v any, ty string) []error {
	wrong := []error{fmt.Errorf("%s: %T %v is not a %s", path, v, v, ty)}
	switch ty {
	case "string_t":
		if _, ok := v.(string); !ok {
			return wrong
		}
	case "integer_t", "long_t":
		n, ok := v.(json.Number)
		if !ok {
			return wrong
		}
		bits := 64
		if ty == "integer_t" {
			bits = 32
		}
		if _, err := strconv.ParseInt(n.String(), 10, bits); err != nil {
			return wrong
		}
	case "float_t":
		if _, ok := v.(json.Number); !ok {
			return wrong
		}
	case "boolean_t":
		if _, ok := v.(bool); !ok {
			return wrong
		}
	case "json_t":
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return wrong
		}
	default:
		if dt, ok := s.types[ty]; ok {
			if errs := s.checkType(path, v, dt.Type); errs != nil {
				return errs
			}
			return s.checkConstraints(path, v, ty, dt)
		}
		shape, ok := s.objects[ty]
		if !ok {
			return []error{fmt.Errorf("%s: type %s is not in the test data", path, ty)}
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return wrong
		}
		return s.checkObject(path+".", obj, shape)
	}
	return nil
}

// checkConstraints checks a data type's regex, length and range.
func (s *ocsfSchema) checkConstraints(path string, v any, ty string, dt ocsfDataType) []error {
	if str, ok := v.(string); ok {
		if dt.MaxLen > 0 && len(str) > dt.MaxLen {
			return []error{fmt.Errorf("%s: %d bytes, %s has at most %d", path, len(str), ty, dt.MaxLen)}
		}
		if re := s.regexes[ty]; re != nil && !re.MatchString(str) {
			return []error{fmt.Errorf("%s: %q does not match %s's pattern", path, str, ty)}
		}
	}
	if n, ok := v.(json.Number); ok && len(dt.Range) == 2 {
		if i, err := n.Int64(); err != nil || i < dt.Range[0] || i > dt.Range[1] {
			return []error{fmt.Errorf("%s: %s is out of %s's range %v", path, n, ty, dt.Range)}
		}
	}
	return nil
}

// decodeOCSF decodes one document, numbers as they are written.
func decodeOCSF(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one document")
	}
	return doc, nil
}
