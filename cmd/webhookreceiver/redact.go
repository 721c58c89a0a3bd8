package main

import "strings"

const redacted = "[REDACTED]"

// secretHeaders are headers that carry credentials or signatures in the
// formats and auth methods this repository sends (lower case).
var secretHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"x-api-key":           true,
	"dd-api-key":          true,
	"dd-application-key":  true,
	"cookie":              true,
	"set-cookie":          true,
	"x-signature":         true,
	"x-hub-signature":     true,
	"x-hub-signature-256": true,
	"webhook-signature":   true,
}

// secretWords catch the headers a user configures under other names
// (headers:, api_key::header, hmac::header).
var secretWords = []string{"signature", "secret", "token", "api-key", "apikey", "password", "auth", "session"}

// redact returns the value to print for a header. Authorization keeps its
// scheme (Bearer, Basic, Splunk, ApiKey), which helps to see which auth
// method is configured, and drops the credential.
func redact(name, value, signatureHeader string) string {
	lower := strings.ToLower(name)
	if !isSecretHeader(lower, signatureHeader) {
		return value
	}
	if lower == "authorization" || lower == "proxy-authorization" {
		if scheme, _, ok := strings.Cut(strings.TrimSpace(value), " "); ok {
			return scheme + " " + redacted
		}
	}
	return redacted
}

func isSecretHeader(lower, signatureHeader string) bool {
	if secretHeaders[lower] || (signatureHeader != "" && lower == strings.ToLower(signatureHeader)) {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}
