//go:build !race

// Package raceflag tells tests whether the race detector is on.
package raceflag

// Enabled says the race detector is on.
const Enabled = false
