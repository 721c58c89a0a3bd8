package auth

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// pyJSONCases are bodies whose re-serialisation must match CPython's
// json.dumps(json.loads(body), sort_keys=True) byte for byte.
var pyJSONCases = []string{
	`{"event_type":"file_shared_externally","severity":"warning","data":{"owner":"user@example.com"}}`,
	`{"b":1,"a":2,"A":3,"_":4,"":5}`,
	`{"name":"Zoë Ångström","city":"Москва","jp":"日本語","emoji":"🔥👩‍💻","mixed":"a\u00e9b"}`,
	`{"ctrl":"\u0000\u001f\u007f\b\f\n\r\t","quote":"say \"hi\"","backslash":"C:\\path\\x","slash":"a\/b"}`,
	`{"floats":[1.0,1e-7,0.1,1e16,1e15,123456789012345.6,1.5e300,-0.0,0.0001,0.00001,2.5E-3,1E+2,5e-324,1e400,-1e400,1e-400]}`,
	`{"ints":[0,-0,1,-1,9007199254740993,123456789012345678901234567890,-98765432109876543210]}`,
	`{"nested":{"z":[{"y":{"x":[[],{}]}}],"a":{"c":null,"b":true,"a":false}}}`,
	`[1,"two",3.0,{"four":4}]`,
	`"just a string"`,
	`  {"spaced" :  [ 1 , 2 ] }  `,
	`{"dup":1,"dup":2}`,
	`{"lone":"\ud800x","pair":"\ud83d\ude00","loneLow":"\udc00","upper":"\u00C9"}`,
	`{"\ud83d\ude00":1,"\uffff":2,"\ue000":3}`,
	`{"special":[NaN,Infinity,-Infinity]}`,
	"\xef\xbb\xbf{\"bom\":1}",
	`{"bad":}`,
	`{"a":1} {"b":2}`,
	`{"lead":01}`,
	`{"ctrl":"raw` + "\x01" + `"}`,
	"{\"utf8\":\"\xff\"}",
}

// TestPythonJSONMatchesCPython compares the canonical writer with
// CPython on hand-picked bodies and on many random floats and integers.
func TestPythonJSONMatchesCPython(t *testing.T) {
	bodies := append([]string(nil), pyJSONCases...)
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		bodies = append(bodies, `{"f":`+strconv.FormatFloat(f, 'g', -1, 64)+`}`)
		// Floats near the switch between positional and scientific notation.
		g := math.Pow(10, float64(r.IntN(40)-20)) * (1 + r.Float64())
		bodies = append(bodies, `[`+strconv.FormatFloat(g, 'e', r.IntN(17), 64)+`]`)
	}
	for range 200 {
		bodies = append(bodies, `[`+strconv.FormatInt(r.Int64()-math.MaxInt64/2, 10)+`]`)
	}

	inputs := make([]any, len(bodies))
	for i, b := range bodies {
		inputs[i] = []byte(b) // base64 in JSON
	}
	want := runPython(t, "pyjson.py", inputs)
	for i, b := range bodies {
		var w string
		if !assert.NoError(t, json.Unmarshal([]byte(want[i]), &w)) {
			continue
		}
		got, err := pythonJSON([]byte(b))
		if w == "ERROR" {
			assert.Error(t, err, "Python rejects %q", b)
			continue
		}
		if assert.NoError(t, err, "body %q", b) {
			assert.Equal(t, w, string(got), "body %q", b)
		}
	}
}
