package auth

import "net/http"

// Test helpers shared with the exporter-level tests in package auth_test.
var (
	RunPython      = runPython
	NewTokenServer = newTokenServer
)

func (ts *tokenServer) Fetches() int64                       { return ts.fetches.Load() }
func (ts *tokenServer) TokenURL() string                     { return ts.tokenURL() }
func (ts *tokenServer) Protected(r *http.Request, n int) int { return ts.protected(r, n) }
func (ts *tokenServer) Revoke(access string)                 { ts.revoke(access) }

const (
	TestClientID     = testClientID
	TestClientSecret = testClientSecret
)
