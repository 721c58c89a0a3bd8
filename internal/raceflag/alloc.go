package raceflag

// AllocBound widens a bound on what code allocates when the race detector
// is on: sync.Pool then drops a quarter of what it is given, so code
// builds again a quarter of what it takes from a pool, per event where a
// pool is used per event. Half as much again bounds that.
func AllocBound[T ~int | ~uint64](bound T) T {
	if Enabled {
		return bound + bound/2
	}
	return bound
}
