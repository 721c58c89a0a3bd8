package template

import "encoding/json"

// proveJSON says whether every output of the steps is valid JSON, whatever
// the event holds, so that the per-event json.Valid can be skipped. It
// renders a skeleton, each {{ value }} as nothing and each tojson as null,
// and requires that
//
//   - the skeleton is valid JSON,
//   - every {{ value }} stands inside a JSON string of the text, and not
//     inside an escape sequence, and
//   - every tojson stands outside the strings.
//
// A {{ value }} writes only whole characters a JSON string may hold, so
// where the skeleton has an empty piece of string the output has a longer
// one. tojson writes one complete JSON value; where the skeleton's null is
// valid, a value of any other kind is too: null begins with a letter that
// continues no token, and nothing valid after null continues a number,
// string, array or object either.
func proveJSON(steps []step) bool {
	var skeleton []byte
	var s jsonStringState
	for _, st := range steps {
		switch st.kind {
		case stepLiteral:
			for i := 0; i < len(st.lit); i++ {
				s.next(st.lit[i])
			}
			skeleton = append(skeleton, st.lit...)
		case stepText:
			if !s.inString || s.escape != 0 {
				return false
			}
		case stepJSON:
			if s.inString {
				return false
			}
			skeleton = append(skeleton, "null"...)
		}
	}
	return json.Valid(skeleton)
}

// jsonStringState follows whether text is inside a JSON string. It is only
// right for valid JSON, which proveJSON checks after: outside strings a
// quote can then only open one.
type jsonStringState struct {
	inString bool
	// escape counts the bytes left of an escape sequence: 1 after the
	// backslash, then 4 for the hex digits of \u.
	escape int
}

func (s *jsonStringState) next(c byte) {
	switch {
	case !s.inString:
		s.inString = c == '"'
	case s.escape == 1 && c == 'u':
		s.escape = 4
	case s.escape > 0:
		s.escape--
	case c == '\\':
		s.escape = 1
	case c == '"':
		s.inString = false
	}
}
