package auth

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/sentyr/webhookexporter/internal/configcheck"
)

// Method names, as Sentyr's webhook guide and the config spell them.
const (
	methodAPIKey = "api_key"
	methodBearer = "bearer_token"
	methodBasic  = "basic"
	methodHMAC   = "hmac"
	methodOAuth2 = "oauth2"
	methodGoogle = "google_service_account"
)

var methodChoices = "api_key, bearer_token, basic, hmac, oauth2 or google_service_account"

// Config holds exactly one authentication method.
type Config struct {
	APIKey configoptional.Optional[APIKeyConfig] `mapstructure:"api_key"`
	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// BearerTokenFile names a file holding the token; it is read again
	// when it changes.
	BearerTokenFile string                                `mapstructure:"bearer_token_file"`
	Basic           configoptional.Optional[BasicConfig]  `mapstructure:"basic"`
	HMAC            configoptional.Optional[HMACConfig]   `mapstructure:"hmac"`
	OAuth2          configoptional.Optional[OAuth2Config] `mapstructure:"oauth2"`
	// GoogleServiceAccount mints Google OAuth2 tokens from a service
	// account's key (Google SecOps, other Google APIs).
	GoogleServiceAccount configoptional.Optional[GoogleServiceAccountConfig] `mapstructure:"google_service_account"`

	_ struct{}
}

// APIKeyConfig sends a key in a header of the user's choice.
type APIKeyConfig struct {
	Value     configopaque.String `mapstructure:"value"`
	ValueFile string              `mapstructure:"value_file"`
	// Header defaults to X-API-Key; Splunk users write Authorization with
	// a value of "Splunk <token>".
	Header string `mapstructure:"header"`
	_      struct{}
}

// BasicConfig is HTTP Basic authentication; the user never base64-encodes.
type BasicConfig struct {
	Username     string              `mapstructure:"username"`
	Password     configopaque.String `mapstructure:"password"`
	PasswordFile string              `mapstructure:"password_file"`
	_            struct{}
}

var _ component.Config = (*Config)(nil)

// methods lists the configured methods by name.
func (cfg *Config) methods() []string {
	var got []string
	if cfg.APIKey.HasValue() {
		got = append(got, methodAPIKey)
	}
	if cfg.BearerToken != "" || cfg.BearerTokenFile != "" {
		got = append(got, methodBearer)
	}
	if cfg.Basic.HasValue() {
		got = append(got, methodBasic)
	}
	if cfg.HMAC.HasValue() {
		got = append(got, methodHMAC)
	}
	if cfg.OAuth2.HasValue() {
		got = append(got, methodOAuth2)
	}
	if cfg.GoogleServiceAccount.HasValue() {
		got = append(got, methodGoogle)
	}
	return got
}

// Validate checks that exactly one method is configured. Each method's own
// settings are checked by its Validate, which the collector reaches
// through configoptional.
func (cfg *Config) Validate() error {
	got := cfg.methods()
	switch len(got) {
	case 1:
	case 0:
		// A secret from an unset variable resolves to "", which reads as
		// no method at all.
		return fmt.Errorf("no authentication method configured; configure exactly one of %s (a secret written as ${env:NAME} counts as not set when that variable is unset or empty)", methodChoices)
	default:
		return fmt.Errorf("%d authentication methods configured (%s); configure exactly one of %s, and use one webhookauth instance per method",
			len(got), strings.Join(got, ", "), methodChoices)
	}
	if cfg.BearerToken != "" && cfg.BearerTokenFile != "" {
		return errors.New("bearer_token and bearer_token_file are both set; set only one")
	}
	return configcheck.Value("bearer_token", string(cfg.BearerToken))
}

// Validate checks the API key settings.
func (c *APIKeyConfig) Validate() error {
	if err := oneSecret("value", c.Value, c.ValueFile); err != nil {
		return err
	}
	if strings.TrimSpace(c.Header) == "" {
		return errors.New("header: must not be empty; leave it out for X-API-Key")
	}
	return errors.Join(configcheck.HeaderName("header", c.Header), configcheck.Value("value", string(c.Value)))
}

// Validate checks the Basic settings.
func (c *BasicConfig) Validate() error {
	if c.Username == "" {
		return errors.New("username: required")
	}
	if strings.Contains(c.Username, ":") {
		// RFC 7617: a colon would end the user-id early on the server.
		return errors.New("username: must not contain ':'")
	}
	return errors.Join(configcheck.Value("username", c.Username), oneSecret("password", c.Password, c.PasswordFile),
		configcheck.Value("password", string(c.Password)))
}

// envHint says why a secret that the user did write can be empty: the
// name of the variable is gone once the collector has resolved it.
const envHint = "if it is written as ${env:NAME}, that variable is unset or empty"

// oneSecret checks that a secret is given either inline or as a file.
func oneSecret(name string, value configopaque.String, file string) error {
	switch {
	case value == "" && file == "":
		return fmt.Errorf("%s: required; set %s or %s_file (%s)", name, name, name, envHint)
	case value != "" && file != "":
		return fmt.Errorf("%s and %s_file are both set; set only one", name, name)
	}
	return nil
}
