package auth

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/configcheck"
)

// HMAC signature schemes.
const (
	// SchemeSortedJSON is what the verify_signature of Sentyr's webhook
	// guide accepts: hex HMAC-SHA256 of Python's
	// json.dumps(payload, sort_keys=True).
	SchemeSortedJSON = "sorted_json"
	// SchemeRaw is hex HMAC-SHA256 of the body bytes as sent.
	SchemeRaw = "raw"
	// SchemeStandardWebhooks follows https://www.standardwebhooks.com.
	SchemeStandardWebhooks = "standard_webhooks"
	// schemeSortedJSONAlias is sorted_json's name in earlier releases,
	// still accepted.
	schemeSortedJSONAlias = "seed"
)

const (
	defaultSignatureHeader = "X-Signature"
	defaultAPIKeyHeader    = "X-API-Key"
)

// HMACConfig signs every request body with HMAC-SHA256.
type HMACConfig struct {
	// Scheme is sorted_json (default; seed is an alias), raw or
	// standard_webhooks.
	Scheme string `mapstructure:"scheme"`
	// Secret is the shared key. For standard_webhooks it is whsec_<base64>.
	Secret configopaque.String `mapstructure:"secret"`
	// Secrets signs with each key, for rotation: receivers holding either
	// the old or the new key accept the request.
	Secrets []configopaque.String `mapstructure:"secrets"`
	// SecretFile holds one secret per line (two lines during rotation); it
	// is read again when it changes.
	SecretFile string `mapstructure:"secret_file"`
	// Header carries the hex signature (sorted_json and raw); default
	// X-Signature.
	Header string `mapstructure:"header"`
	// Prefix goes before the hex signature (raw only); "sha256=" gives
	// GitHub's X-Hub-Signature-256 form.
	Prefix string `mapstructure:"prefix"`
	// TimestampHeader, when set (raw only), carries the Unix time of the
	// request, and the signature covers "<timestamp>.<body>".
	TimestampHeader string `mapstructure:"timestamp_header"`

	_ struct{}
}

// scheme is the configured scheme with the alias resolved.
func (c *HMACConfig) scheme() string {
	if c.Scheme == schemeSortedJSONAlias {
		return SchemeSortedJSON
	}
	return c.Scheme
}

// Validate checks the HMAC settings without ever quoting a secret.
func (c *HMACConfig) Validate() error {
	var errs []error
	switch c.scheme() {
	case SchemeSortedJSON, SchemeRaw, SchemeStandardWebhooks:
	default:
		errs = append(errs, fmt.Errorf("scheme: %q is not known; write one of %s (default), %s, %s",
			c.Scheme, SchemeSortedJSON, SchemeRaw, SchemeStandardWebhooks))
	}
	if err := c.validateSecrets(); err != nil {
		errs = append(errs, err)
	}
	if c.scheme() != SchemeStandardWebhooks && strings.TrimSpace(c.Header) == "" {
		errs = append(errs, errors.New("header: must not be empty; leave it out for X-Signature"))
	} else if c.scheme() != SchemeStandardWebhooks {
		errs = append(errs, configcheck.HeaderName("header", c.Header))
	}
	if c.TimestampHeader != "" {
		errs = append(errs, configcheck.HeaderName("timestamp_header", c.TimestampHeader))
	}
	errs = append(errs, configcheck.Value("prefix", c.Prefix))
	if c.scheme() != SchemeRaw {
		if c.Prefix != "" {
			errs = append(errs, fmt.Errorf("prefix: only the raw scheme takes a prefix (scheme is %q)", c.Scheme))
		}
		if c.TimestampHeader != "" {
			errs = append(errs, fmt.Errorf("timestamp_header: only the raw scheme takes a timestamp header (scheme is %q)", c.Scheme))
		}
	}
	return errors.Join(errs...)
}

func (c *HMACConfig) validateSecrets() error {
	set := 0
	for _, given := range []bool{c.Secret != "", len(c.Secrets) > 0, c.SecretFile != ""} {
		if given {
			set++
		}
	}
	if set == 0 {
		return fmt.Errorf("set exactly one of secret, secrets (a list, for rotation) or secret_file (%s)", envHint)
	}
	if set != 1 {
		return errors.New("set exactly one of secret, secrets (a list, for rotation) or secret_file")
	}
	for i, s := range c.inlineSecrets() {
		name := "secret"
		if c.Secret == "" {
			name = fmt.Sprintf("secrets[%d]", i)
		}
		if s == "" {
			return fmt.Errorf("%s: must not be empty (%s)", name, envHint)
		}
		if c.Scheme == SchemeStandardWebhooks {
			if _, err := decodeWebhookSecret(string(s)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

// inlineSecrets gives the secrets written in the config itself.
func (c *HMACConfig) inlineSecrets() []configopaque.String {
	if c.Secret != "" {
		return []configopaque.String{c.Secret}
	}
	return c.Secrets
}
