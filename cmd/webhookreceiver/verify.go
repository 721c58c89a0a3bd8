package main

import (
	"fmt"
	"net/http"

	"github.com/sentyr/webhookexporter/auth"
)

// Signature schemes of the webhookauth extension's hmac settings.
const (
	schemeSortedJSON       = auth.SchemeSortedJSON
	schemeRaw              = auth.SchemeRaw
	schemeStandardWebhooks = auth.SchemeStandardWebhooks
)

// verifier checks request signatures the way a receiving service would,
// with the auth package's exported verify functions.
type verifier struct {
	secret          string
	scheme          string
	header          string
	prefix          string
	timestampHeader string
}

func (v *verifier) check() error {
	switch v.scheme {
	case "seed": // sorted_json's name in earlier releases, as the extension accepts it
		v.scheme = schemeSortedJSON
		return nil
	case schemeSortedJSON, schemeRaw, schemeStandardWebhooks:
		return nil
	}
	return fmt.Errorf("-scheme %q is not known; write %s, %s or %s, as in the webhookauth hmac settings",
		v.scheme, schemeSortedJSON, schemeRaw, schemeStandardWebhooks)
}

// describe says what is checked, without the secret.
func (v *verifier) describe() string {
	if v.secret == "" {
		return "not checked (give -secret or WEBHOOK_SECRET to check them)"
	}
	switch v.scheme {
	case schemeStandardWebhooks:
		return "checked, scheme standard_webhooks"
	case schemeRaw:
		return fmt.Sprintf("checked, scheme raw in %s", v.header)
	}
	return fmt.Sprintf("checked, scheme sorted_json in %s", v.header)
}

// verdict says whether a request's signature verifies; "" when no secret
// is set. raw is the body as received, body after undoing its
// Content-Encoding: the sorted_json scheme signs the JSON, the others the bytes on
// the wire.
func (v *verifier) verdict(h http.Header, raw, body []byte, decoded bool) string {
	if v.secret == "" {
		return ""
	}
	switch v.scheme {
	case schemeStandardWebhooks:
		if err := auth.VerifyStandardWebhooks(h, raw, v.secret, 0); err != nil {
			return "NOT verified (standard_webhooks: " + err.Error() + ")"
		}
		return "verified (standard_webhooks)"
	case schemeRaw:
		sig := h.Get(v.header)
		if sig == "" {
			return "NOT verified (no " + v.header + " header)"
		}
		if v.timestampHeader != "" {
			if err := auth.VerifyRawTimestamped(raw, sig, v.prefix, h.Get(v.timestampHeader), 0, v.secret); err != nil {
				return fmt.Sprintf("NOT verified (raw, %s + %s: %v)", v.header, v.timestampHeader, err)
			}
			return fmt.Sprintf("verified (raw, %s + %s)", v.header, v.timestampHeader)
		}
		if !auth.VerifyRaw(raw, sig, v.prefix, v.secret) {
			return "NOT verified (raw, " + v.header + ": no signature matches)"
		}
		return "verified (raw, " + v.header + ")"
	}
	sig := h.Get(v.header)
	if sig == "" {
		return "NOT verified (no " + v.header + " header)"
	}
	if !decoded {
		return "NOT verified (sorted_json: the body's Content-Encoding could not be undone)"
	}
	if !auth.VerifySortedJSON(body, sig, v.secret) {
		return "NOT verified (sorted_json, " + v.header + ": no signature matches)"
	}
	return "verified (sorted_json, " + v.header + ")"
}
