package auth

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/sentyr/webhookexporter/internal/configcheck"
	"github.com/sentyr/webhookexporter/internal/redact"
)

const (
	// Sentyr's webhook guide refreshes tokens one minute before they expire.
	defaultExpiryBuffer = time.Minute
	defaultTokenTimeout = 10 * time.Second
)

// OAuth2Config is the client credentials grant (RFC 6749 section 4.4).
type OAuth2Config struct {
	TokenURL         string              `mapstructure:"token_url"`
	ClientID         string              `mapstructure:"client_id"`
	ClientSecret     configopaque.String `mapstructure:"client_secret"`
	ClientSecretFile string              `mapstructure:"client_secret_file"`
	Scopes           []string            `mapstructure:"scopes"`
	// EndpointParams are extra form fields of the token request, e.g.
	// audience or resource.
	EndpointParams url.Values `mapstructure:"endpoint_params"`
	// Timeout bounds one token request.
	Timeout time.Duration `mapstructure:"timeout"`
	// TLS is for the token endpoint, which is often not the webhook's host.
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// ExpiryBuffer: a token is replaced once it expires within this time.
	ExpiryBuffer time.Duration `mapstructure:"expiry_buffer"`

	_ struct{}
}

// Validate checks the OAuth2 settings.
func (c *OAuth2Config) Validate() error {
	var errs []error
	if c.TokenURL == "" {
		errs = append(errs, errors.New("token_url: required, e.g. https://auth.example.com/oauth/token"))
	} else if u, err := url.Parse(c.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("token_url: %q is not an http:// or https:// URL", redactURL(c.TokenURL)))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("client_id: required"))
	}
	if err := oneSecret("client_secret", c.ClientSecret, c.ClientSecretFile); err != nil {
		errs = append(errs, err)
	}
	// The token request would carry them intact, but a line break in a
	// client id or secret is a pasting mistake that the token endpoint
	// answers with a bare invalid_client.
	errs = append(errs, configcheck.Value("client_id", c.ClientID), configcheck.Value("client_secret", string(c.ClientSecret)))
	for _, k := range slices.Sorted(maps.Keys(c.EndpointParams)) {
		field := "endpoint_params::" + k
		if err := configcheck.Value("endpoint_params", k); err != nil {
			errs = append(errs, err)
			field = "endpoint_params"
		}
		for _, v := range c.EndpointParams[k] {
			errs = append(errs, configcheck.Value(field, v))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s is negative", c.Timeout))
	}
	if c.ExpiryBuffer < 0 {
		errs = append(errs, fmt.Errorf("expiry_buffer: %s is negative; leave it out for 1m", c.ExpiryBuffer))
	}
	return errors.Join(errs...)
}

// redactURL drops what may hold a credential (user info, query) from a
// URL before it goes into a message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return redact.URL(raw)
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "..."
	}
	u.Fragment = ""
	return u.String()
}
