package jsonw

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestAppendStringKeepsHostileTextInsideItsString(t *testing.T) {
	for _, in := range []string{
		"plain",
		`x", "admin": true, "y": "`,
		"back\\slash and \"quotes\"",
		"new\nline\r\ttab",
		"</script><script>alert(1)</script>",
		"ctl \x00\x01\x1f\x7f",
		"emoji 🔒 and ünïcödé",
		"line\u2028sep\u2029",
	} {
		out := AppendString(nil, in)
		require.True(t, json.Valid(out), "%q -> %s", in, out)
		var back string
		require.NoError(t, json.Unmarshal(out, &back))
		assert.Equal(t, in, back)
	}
}

func TestAppendStringReplacesInvalidUTF8(t *testing.T) {
	out := AppendString(nil, "ok\xff\xfe end \xc3")
	require.True(t, json.Valid(out))
	var back string
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, "ok\uFFFD\uFFFD end \uFFFD", back)
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.1, 1.5, 1e-7, 1e-6, 123456789, 1e20, 1e21, 1.7976931348623157e308, -2.5e-10} {
		want, err := json.Marshal(f)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendFloat(nil, f)), "%v", f)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		assert.Equal(t, "null", string(AppendFloat(nil, f)), "%v has no JSON form", f)
	}
}

func TestAppendValueWritesEveryType(t *testing.T) {
	v := pcommon.NewValueMap()
	m := v.Map()
	m.PutStr("s", "x")
	m.PutInt("i", -42)
	m.PutDouble("d", 2.5)
	m.PutDouble("nan", math.NaN())
	m.PutBool("b", true)
	m.PutEmpty("null")
	m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2})
	s := m.PutEmptySlice("list")
	s.AppendEmpty().SetStr("a")
	s.AppendEmpty().SetEmptyMap().PutInt("deep", 1)

	out := AppendValue(nil, v)

	require.True(t, json.Valid(out), "%s", out)
	assert.JSONEq(t, `{"s":"x","i":-42,"d":2.5,"nan":null,"b":true,"null":null,"bytes":"AAEC","list":["a",{"deep":1}]}`, string(out))
}

func TestAppendTimeIsRFC3339UTC(t *testing.T) {
	local := time.Date(2025, 10, 29, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	assert.Equal(t, `"2025-10-29T12:00:00Z"`, string(AppendTime(nil, local)))
	assert.Equal(t, `"2025-10-29T12:00:00.25Z"`, string(AppendTime(nil, local.Add(250*time.Millisecond))))
}

func TestDeepNestingStaysValid(t *testing.T) {
	v := pcommon.NewValueMap()
	m := v.Map()
	for range 1000 {
		m = m.PutEmptyMap("n")
	}
	m.PutStr("leaf", "x")
	assert.True(t, json.Valid(AppendValue(nil, v)))
}
