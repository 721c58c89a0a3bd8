package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

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

// tokenReason says why, quoting the server's error code, description or
// body cut as every text from outside is (redact.Secrets.Cut).
func tokenReason(err error, rd *redact.Secrets) string {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		reason := "no response"
		if re.Response != nil {
			reason = re.Response.Status
		}
		switch {
		case re.ErrorCode != "":
			reason += fmt.Sprintf(", error %q", rd.Cut(re.ErrorCode))
			if re.ErrorDescription != "" {
				reason += ": " + rd.Cut(re.ErrorDescription)
			}
			if re.ErrorCode == "invalid_client" {
				reason += " (check client_id and client_secret)"
			}
		case len(re.Body) > 0:
			reason += ": " + rd.Cut(strings.Join(strings.Fields(string(re.Body)), " "))
		}
		return reason
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// url.Error repeats the URL, which may carry a query; ours is redacted.
		return rd.Cut(ue.Err.Error())
	}
	return rd.Cut(err.Error())
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

func tokenFileError(method, tokenURL string, err error) error {
	field := "client_secret_file"
	if method == methodGoogle {
		field = "credentials_file"
	}
	return fmt.Errorf("OAuth2 token request to %s not sent: %s: %w", redactURL(tokenURL), field, err)
}

// tokenAnswerBytes bounds what is read of a token endpoint's answer: a
// token answer holds a token or an error, a few kilobytes at most.
// golang.org/x/oauth2 would read a megabyte and keep it in its error.
const tokenAnswerBytes = 64 << 10

var errTokenAnswerTooLong = fmt.Errorf("the token endpoint's answer is longer than %d bytes", tokenAnswerBytes)

// boundedAnswers reads at most tokenAnswerBytes of every answer, and
// fails the read past that.
type boundedAnswers struct{ base http.RoundTripper }

func (t boundedAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &boundedBody{ReadCloser: resp.Body, left: tokenAnswerBytes}
	}
	return resp, err
}

type boundedBody struct {
	io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	// One byte past the bound tells an answer of exactly the bound from a
	// longer one.
	n, err := b.ReadCloser.Read(p[:min(int64(len(p)), b.left+1)])
	if int64(n) > b.left {
		n, b.left = int(b.left), 0
		return n, errTokenAnswerTooLong
	}
	b.left -= int64(n)
	return n, err
}
