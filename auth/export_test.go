package auth

// Test helpers shared with the exporter-level tests in package auth_test.
var (
	RunPython      = runPython
	NewTokenServer = newTokenServer
)

const (
	TestClientID     = testClientID
	TestClientSecret = testClientSecret
)
