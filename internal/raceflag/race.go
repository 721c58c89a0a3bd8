//go:build race

package raceflag

// Enabled says the race detector is on. Under it sync.Pool drops a quarter
// of what it is given, on purpose, so tests of reuse through a pool can
// only ask that reuse happens, not that it always does.
const Enabled = true
