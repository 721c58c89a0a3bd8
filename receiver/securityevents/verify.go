package securityevents

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sentyr/webhookexporter/auth"
)

// newVerifier returns the check of v's method, with the webhookauth
// package's verify functions: what the extension of the same method and
// secret sends passes it.
func newVerifier(v *VerifyConfig) func(*http.Request, []byte) error {
	secret := string(v.Secret)
	header := v.header()
	switch v.Method {
	case methodAPIKey:
		return func(r *http.Request, _ []byte) error {
			if !auth.VerifyAPIKey(r.Header, header, secret) {
				return fmt.Errorf("the API key in %s is missing or wrong", header)
			}
			return nil
		}
	case methodBearer:
		return func(r *http.Request, _ []byte) error {
			if !auth.VerifyBearer(r.Header, secret) {
				return errors.New("the bearer token in Authorization is missing or wrong")
			}
			return nil
		}
	case methodBasic:
		username := v.Username
		return func(r *http.Request, _ []byte) error {
			if !auth.VerifyBasic(r.Header, username, secret) {
				return errors.New("the Basic credentials in Authorization are missing or wrong")
			}
			return nil
		}
	case methodHMAC:
		return hmacVerifier(v, header, secret)
	}
	return func(*http.Request, []byte) error { return nil }
}

// hmacVerifier checks a signature over the body as received after
// confighttp undid its Content-Encoding: sorted_json signs the JSON, so
// it verifies compressed requests too; raw and standard_webhooks sign the
// bytes sent, so they verify uncompressed requests only.
func hmacVerifier(v *VerifyConfig, header, secret string) func(*http.Request, []byte) error {
	switch v.scheme() {
	case auth.SchemeStandardWebhooks:
		return func(r *http.Request, body []byte) error {
			if err := auth.VerifyStandardWebhooks(r.Header, body, secret, 0); err != nil {
				return fmt.Errorf("the standard_webhooks signature does not verify: %w", err)
			}
			return nil
		}
	case auth.SchemeRaw:
		prefix, tsHeader := v.Prefix, v.TimestampHeader
		return func(r *http.Request, body []byte) error {
			sig := r.Header.Get(header)
			if sig == "" {
				return fmt.Errorf("the signature header %s is missing", header)
			}
			if tsHeader != "" {
				if err := auth.VerifyRawTimestamped(body, sig, prefix, r.Header.Get(tsHeader), 0, secret); err != nil {
					return fmt.Errorf("the raw signature in %s does not verify: %w", header, err)
				}
				return nil
			}
			if !auth.VerifyRaw(body, sig, prefix, secret) {
				return fmt.Errorf("the raw signature in %s does not verify", header)
			}
			return nil
		}
	}
	return func(r *http.Request, body []byte) error {
		sig := r.Header.Get(header)
		if sig == "" {
			return fmt.Errorf("the signature header %s is missing", header)
		}
		if !auth.VerifySortedJSON(body, sig, secret) {
			return fmt.Errorf("the sorted_json signature in %s does not verify", header)
		}
		return nil
	}
}

// describe says what is checked, never with the secret.
func (v *VerifyConfig) describe() string {
	switch v.Method {
	case "":
		return "none (set verify to check requests)"
	case methodAPIKey:
		return "api_key in " + v.header()
	case methodHMAC:
		if v.scheme() == auth.SchemeStandardWebhooks {
			return "hmac, scheme standard_webhooks"
		}
		return "hmac, scheme " + v.scheme() + " in " + v.header()
	}
	return v.Method
}
