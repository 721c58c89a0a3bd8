package auth

import (
	"bytes"
	"testing"
)

// FuzzPythonJSON feeds the guide scheme's canonical writer arbitrary bodies.
// Whatever it accepts it must write as Python would: ASCII only (Python's
// ensure_ascii) and canonical, so that writing its own output again
// changes nothing. CPython itself is the reference in
// TestPythonJSONMatchesCPython; this target looks for panics and for
// inputs the hand-picked cases miss.
func FuzzPythonJSON(f *testing.F) {
	for _, c := range pyJSONCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := pythonJSON(body)
		if err != nil {
			return
		}
		for _, c := range out {
			if c >= 0x80 {
				t.Fatalf("non-ASCII byte %#x in %q", c, out)
			}
		}
		again, err := pythonJSON(out)
		if err != nil {
			t.Fatalf("own output %q refused: %v", out, err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not canonical: %q became %q", out, again)
		}
	})
}
