package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// tokenError says why the token request failed: the endpoint's status and
// OAuth2 error code, or the network error. It stays a plain error, so the
// exporter retries the data: token servers recover and secrets get fixed.
// What the server sent back is redacted of what the request carried (a
// server may echo it) and of any token in it, before it is cut short.
func tokenError(tokenURL string, err error, rd *redact.Secrets) error {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		rd.Add(tokensIn(re.Body)...)
	}
	msg := fmt.Sprintf("OAuth2 token request to %s failed: %s", redactURL(tokenURL), tokenReason(err, rd))
	return errors.New(rd.String(msg, 0))
}

func tokenReason(err error, rd *redact.Secrets) string {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		reason := "no response"
		if re.Response != nil {
			reason = re.Response.Status
		}
		switch {
		case re.ErrorCode != "":
			reason += fmt.Sprintf(", error %q", rd.String(re.ErrorCode, 0))
			if re.ErrorDescription != "" {
				reason += ": " + rd.String(re.ErrorDescription, 0)
			}
			if re.ErrorCode == "invalid_client" {
				reason += " (check client_id and client_secret)"
			}
		case len(re.Body) > 0:
			reason += ": " + snippet([]byte(rd.String(string(re.Body), 0)))
		}
		return reason
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// url.Error repeats the URL, which may carry a query; ours is redacted.
		return ue.Err.Error()
	}
	return err.Error()
}

// tokensIn are the tokens of a token answer (JSON or form), which an
// error answer should not hold but may.
func tokensIn(body []byte) []string {
	fields := map[string]any{}
	if json.Unmarshal(body, &fields) != nil {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k := range form {
				fields[k] = form.Get(k)
			}
		}
	}
	var out []string
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if v, ok := fields[k].(string); ok {
			out = append(out, v)
		}
	}
	return out
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
