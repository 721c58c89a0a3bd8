package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A custom build's init functions may run before or after formats/builtin
// reserves its names: a formatter under a built-in name fails either way.
func TestABuiltinNameFailsInEitherOrder(t *testing.T) {
	before := &Registry{}
	require.NoError(t, before.Reserve("json"))
	assert.ErrorContains(t, before.Add("json", 1), "that is a built-in format")

	after := &Registry{}
	require.NoError(t, after.Add("json", 1))
	assert.ErrorContains(t, after.Reserve("json"), "that is a built-in format")
}
