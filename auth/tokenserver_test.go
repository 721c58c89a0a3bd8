package auth

import (
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

const (
	testClientID     = "webhook-exporter"
	testClientSecret = "cl13nt-s3cr3t-value"
)

// newTokenServer is a real OAuth2 authorization server issuing the test
// client tokens that live for lifetime, at /oauth/token.
func newTokenServer(t testing.TB, lifetime time.Duration) *testsink.TokenServer {
	return testsink.NewTokenServer(t, testsink.Issuer{
		Path: "/oauth/token", ClientID: testClientID, ClientSecret: testClientSecret, Lifetime: lifetime,
	})
}
