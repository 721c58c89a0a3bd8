package auth

import (
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/internal/testsink/tokens"
)

const (
	testClientID     = "webhook-exporter"
	testClientSecret = "cl13nt-s3cr3t-value"
)

// newTokenServer is a real OAuth2 authorization server issuing the test
// client tokens that live for lifetime, at /oauth/token.
func newTokenServer(t testing.TB, lifetime time.Duration) *tokens.Server {
	return tokens.NewServer(t, tokens.Issuer{
		Path: "/oauth/token", ClientID: testClientID, ClientSecret: testClientSecret, Lifetime: lifetime,
	})
}
