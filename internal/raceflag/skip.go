package raceflag

import "testing"

// SkipAllocationBound skips a test that bounds what the code allocates:
// the race detector allocates beside the code, by amounts of its own.
// make test runs the packages again without it, where the bound is checked.
func SkipAllocationBound(t testing.TB) {
	t.Helper()
	if Enabled {
		t.Skip("allocation is bounded without the race detector, which allocates beside the code (make test runs this package without it too)")
	}
}
