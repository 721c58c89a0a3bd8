package webhookexporter

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sentyr/webhookexporter/internal/configcheck"
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
	for _, c := range []struct {
		field, value string
	}{
		{"splunk_hec::token", string(cfg.SplunkHEC.Token)},
		{"datadog::api_key", string(cfg.Datadog.APIKey)},
		{"elastic::api_key", string(cfg.Elastic.APIKey)},
	} {
		if err := configcheck.Value(c.field, c.value); err != nil {
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
	switch cfg.Format {
	case FormatSplunkHEC:
		if cfg.SplunkHEC.Token != "" {
			got = append(got, "splunk_hec::token")
		}
	case FormatDatadog:
		if cfg.Datadog.APIKey != "" {
			got = append(got, "datadog::api_key")
		}
	case FormatElastic:
		if cfg.Elastic.APIKey != "" {
			got = append(got, "elastic::api_key")
		}
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
