package jsonw

import (
	"encoding/json"
	"testing"

	"github.com/sentyr/webhookexporter/formats/internal/jsontest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// field is a Member, as formats.Field is.
type field struct {
	Key   string
	Value pcommon.Value
}

// A key is compared as written, and a large object falls back to a set.
func TestObjectKeysManyKeys(t *testing.T) {
	m := pcommon.NewMap()
	for i := range 3 * smallObject {
		m.PutInt(string(rune('a'+i%26))+string(rune('A'+i/26)), int64(i))
	}
	v := pcommon.NewValueMap()
	m.CopyTo(v.Map())
	out := AppendMap(nil, v.Map())
	var got map[string]int
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Len(t, got, 3*smallObject)
	jsontest.AssertUniqueKeys(t, out)

	// Every key again, from the wire, after the large object's set
	// took over: each is left out.
	fields := make([]field, 0, 2*m.Len())
	for k, v := range m.All() {
		fields = append(fields, field{Key: k, Value: v})
	}
	for k := range m.All() {
		fields = append(fields, field{Key: k, Value: pcommon.NewValueStr("again")})
	}
	out = append(AppendMembersWhere([]byte{'{'}, fields, false, nil), '}')
	jsontest.AssertUniqueKeys(t, out)
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Len(t, got, 3*smallObject)
	assert.Equal(t, 0, got["aA"], "the first value")
}
