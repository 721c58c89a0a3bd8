package builtin

// bulkHeadSaysNoErrors reports whether a _bulk answer says in its head that
// no item failed: a top-level "errors": false before any member whose
// value is an object or an array, in an answer that ends its object.
// Elasticsearch writes errors before items (took first up to 8.15,
// errors first since), from every item's result, which it has before it
// writes the answer; so such an answer holds no failed item, and its
// items (one per document, most of the answer) need not be read. Any
// other answer, errors true included, is read whole: the per-item
// handling is the same as it was. An answer cut short after such a head
// (a connection lost while reading it) fails to be read before this.
func bulkHeadSaysNoErrors(b []byte) bool {
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	for i++; ; i++ {
		i = skipJSONSpace(b, i)
		key, next, ok := plainJSONString(b, i)
		if !ok {
			return false
		}
		i = skipJSONSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipJSONSpace(b, i+1)
		if i >= len(b) {
			return false
		}
		switch {
		case string(key) == "errors":
			const lit = "false"
			if len(b)-i <= len(lit) || string(b[i:i+len(lit)]) != lit {
				return false
			}
			c := b[i+len(lit)]
			return c == ',' || c == '}' || isJSONSpace(c)
		case foldsToErrors(key):
			// encoding/json would read it as errors: leave it to it.
			return false
		case b[i] == '"':
			if _, i, ok = plainJSONString(b, i); !ok {
				return false
			}
		case b[i] == '{' || b[i] == '[':
			// The items, or something else before errors.
			return false
		default:
			// A number, true, false or null.
			for i < len(b) && b[i] != ',' && b[i] != '}' && !isJSONSpace(b[i]) {
				i++
			}
		}
		i = skipJSONSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return false
		}
	}
}

// plainJSONString reads the string at b[i] that has no escapes: its
// contents and the index after its closing quote.
func plainJSONString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return b[i+1 : j], j + 1, true
		case '\\':
			return nil, i, false
		}
	}
	return nil, i, false
}

// foldsToErrors says whether key matches "errors" when case is ignored,
// as encoding/json matches member names.
func foldsToErrors(key []byte) bool {
	const want = "errors"
	if len(key) != len(want) {
		return false
	}
	for i := range key {
		if key[i]|0x20 != want[i] {
			return false
		}
	}
	return true
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// Settled is the format's Wire.Settled: a _bulk answer that says no errors in
// its head needs nothing of its items.
func (e *elasticEncoder) Settled(status int, head []byte) bool {
	return e.bulk && status >= 200 && status <= 299 && bulkHeadSaysNoErrors(head)
}
