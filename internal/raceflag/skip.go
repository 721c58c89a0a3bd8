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

// SkipSingleGoroutine skips a costly test that runs the code on one
// goroutine: the race detector finds nothing there and multiplies its
// time. make test runs the package without it too, where the test runs.
func SkipSingleGoroutine(t testing.TB) {
	t.Helper()
	if Enabled {
		t.Skip("one goroutine, nothing for the race detector: the run without it covers this test")
	}
}
