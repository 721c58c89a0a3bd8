package auth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// tokenError says why the token request failed: the endpoint's status and
// OAuth2 error code, or the network error. It stays a plain error, so the
// exporter retries the data: token servers recover and secrets get fixed.
// The secret is scrubbed in case a server echoes what it was sent.
func tokenError(tokenURL string, err error, secret string) error {
	msg := fmt.Sprintf("OAuth2 token request to %s failed: %s", redactURL(tokenURL), tokenReason(err))
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "[redacted]")
	}
	return errors.New(msg)
}

func tokenReason(err error) string {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		reason := "no response"
		if re.Response != nil {
			reason = re.Response.Status
		}
		switch {
		case re.ErrorCode != "":
			reason += fmt.Sprintf(", error %q", re.ErrorCode)
			if re.ErrorDescription != "" {
				reason += ": " + re.ErrorDescription
			}
			if re.ErrorCode == "invalid_client" {
				reason += " (check client_id and client_secret)"
			}
		case len(re.Body) > 0:
			reason += ": " + snippet(re.Body)
		}
		return reason
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// url.Error repeats the URL, which may carry a query; ours is redacted.
		return ue.Err.Error()
	}
	return err.Error()
}

func tokenFileError(tokenURL string, err error) error {
	return fmt.Errorf("OAuth2 token request to %s not sent: client_secret_file: %w", redactURL(tokenURL), err)
}

// snippet is the start of a response body, fit for one log line.
func snippet(b []byte) string {
	const limit = 200
	if len(b) > limit {
		b = b[:limit]
	}
	return strings.ToValidUTF8(strings.Join(strings.Fields(string(b)), " "), string(utf8.RuneError))
}
