package webhookexporter

import (
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/configcheck"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// validateHeaders refuses, at load, what Go's client would refuse only at
// send time (and the exporter retry until max_elapsed_time): a header name
// that is not an HTTP token, a header or credential value with a line break
// or another control character. Values are never quoted.
func (cfg *Config) validateHeaders() error {
	var errs []error
	for _, h := range cfg.ClientConfig.Headers {
		field := fmt.Sprintf("headers::%s", h.Name)
		if err := configcheck.HeaderName("headers", h.Name); err != nil {
			errs = append(errs, err)
			field = "headers"
		}
		if err := configcheck.Value(field, string(h.Value)); err != nil {
			errs = append(errs, err)
		}
	}
	for c, value := range cfg.formatSecrets() {
		if err := configcheck.Value(c.Field, value); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// credentials names (never shows) what secret the exporter's requests
// carry: the format's own credential, configured headers whose name says
// they hold one, and the auth extension.
func (cfg *Config) credentials() []string {
	var got []string
	if c := credentialOf(cfg.Format); c != nil && c.Value != nil && c.Value(cfg.formatSettings()) != "" {
		got = append(got, c.Field)
	}
	for _, h := range cfg.ClientConfig.Headers {
		if secretHeader(h.Name) {
			got = append(got, "headers::"+h.Name)
		}
	}
	if cfg.ClientConfig.Auth.HasValue() {
		got = append(got, "auth::authenticator "+cfg.ClientConfig.Auth.Get().AuthenticatorID.String())
	}
	return got
}

// formatSecrets yields every built-in format's own secret setting with its
// value, set or not, whichever format is chosen: a value is checked and
// redacted even where it is not sent.
func (cfg *Config) formatSecrets() iter.Seq2[*builtin.Credential, string] {
	return func(yield func(*builtin.Credential, string) bool) {
		s := cfg.formatSettings()
		for _, b := range builtin.Builtins() {
			if c := b.Credential; c != nil && c.Value != nil && !yield(c, string(c.Value(s))) {
				return
			}
		}
	}
}

// credentialOf is what the format's service authenticates requests with,
// nil when nothing is known of it.
func credentialOf(format string) *builtin.Credential {
	b, _ := builtin.LookupBuiltin(format)
	return b.Credential
}

// missingCredential says what to set when the format's service wants a
// credential and the requests carry none, else "".
func (cfg *Config) missingCredential() string {
	c := credentialOf(cfg.Format)
	if c == nil || c.Missing == "" || cfg.ClientConfig.Auth.HasValue() || cfg.hasHeader(c.Header) {
		return ""
	}
	if c.Value != nil && c.Value(cfg.formatSettings()) != "" {
		return ""
	}
	return c.Missing
}

// secretHeader guesses from its name whether a header carries a
// credential: Authorization, X-API-Key, DD-API-KEY, X-Auth-Token, Cookie...
func secretHeader(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"auth", "key", "token", "secret", "password", "signature", "cookie", "session"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// hasHeader reports whether the configured headers set name.
func (cfg *Config) hasHeader(name string) bool {
	for _, h := range cfg.ClientConfig.Headers {
		if http.CanonicalHeaderKey(h.Name) == http.CanonicalHeaderKey(name) {
			return true
		}
	}
	return false
}

// configSecrets lists the credentials of cfg: the values of headers, the
// formats' tokens and keys, and the user info and query values of the URLs.
func configSecrets(cfg *Config) []string {
	var out []string
	for name, v := range cfg.ClientConfig.Headers.Iter {
		if !delivery.IsPublicHeader(name) {
			out = append(out, string(v))
		}
	}
	for _, value := range cfg.formatSecrets() {
		out = append(out, value)
	}
	for _, raw := range []string{cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint} {
		out = append(out, redact.URLSecrets(raw)...)
	}
	return append(out, cfg.endpointSecrets()...)
}

// endpointSecrets are the credentials the format finds in the paths of
// the endpoint and the connection check's URL (a Slack webhook's token).
func (cfg *Config) endpointSecrets() []string {
	return builtin.EndpointSecretsOf(cfg.Format, cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint)
}

// shownURL is raw as messages show it: no user info, no query, no
// credential in its path.
func (cfg *Config) shownURL(raw string) string {
	return redact.New(cfg.endpointSecrets()...).URL(raw)
}
