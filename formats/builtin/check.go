package builtin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// ConnectionCheck is the cheapest request that proves a service takes the
// exporter's credentials, sent with no body at start, and how to read its
// answer. The exporter sends it through its own client (TLS, headers and
// the auth extension apply) and takes the request's credentials out of the
// body before Judge reads it.
type ConnectionCheck struct {
	Method string
	// URL is where the check goes, derived from the settings' endpoint.
	URL func(s *Settings) string
	// Judge reads the service's answer (never a 3xx: the exporter fails
	// a redirected check itself).
	Judge func(status int, body []byte) CheckResult
}

// CheckResult is what the answer to a connection check says.
type CheckResult struct {
	OK     bool
	Detail string // on success: what the service said about itself
	Reason string // on failure: what went wrong
	Fix    string // on failure: what the user can do
}

// derivedURL is what derive makes of the endpoint, or the endpoint itself
// when it does not parse (the request then fails and says why).
func derivedURL(endpoint string, derive func(*url.URL) string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	return derive(u)
}

// answerSnippet is the start of an answer's body, for a reason, cut as
// the exporter cuts every text from outside.
func answerSnippet(body []byte) string {
	return redact.Cut(strings.TrimSpace(string(body)))
}

// unexpected is the result of an answer a check does not know.
func unexpected(status int, body []byte, fix string) CheckResult {
	return CheckResult{Reason: fmt.Sprintf("unexpected answer %d %s (%s)", status, http.StatusText(status), answerSnippet(body)), Fix: fix}
}
