package securityevents

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/auth"
)

// Verification methods, named as the webhookauth extension names them.
const (
	methodAPIKey = "api_key"
	methodBearer = "bearer_token"
	methodBasic  = "basic"
	methodHMAC   = "hmac"
)

const (
	defaultAPIKeyHeader    = "X-API-Key"
	defaultSignatureHeader = "X-Signature"
)

// Config is the receiver's configuration.
type Config struct {
	// ServerConfig is where it listens (endpoint, tls, ...) and how large
	// a request may be (max_request_body_size, checked on the bytes
	// received and again after decompression).
	confighttp.ServerConfig `mapstructure:",squash"`
	// Path is where events are posted; other paths answer 404.
	Path string `mapstructure:"path"`
	// Verify checks each request as the receiving side of a webhookauth
	// method would; when it is not set, requests are not checked.
	Verify VerifyConfig `mapstructure:"verify"`

	_ struct{}
}

// VerifyConfig names one method and its secret.
type VerifyConfig struct {
	// Method is api_key, bearer_token, basic or hmac; empty: no check.
	Method string `mapstructure:"method"`
	// Secret is the API key, the bearer token, the Basic password or the
	// HMAC key (whsec_<base64> for standard_webhooks).
	Secret configopaque.String `mapstructure:"secret"`
	// Username is Basic's user name.
	Username string `mapstructure:"username"`
	// Header carries the API key (default X-API-Key) or the hex signature
	// of the sorted_json and raw schemes (default X-Signature).
	Header string `mapstructure:"header"`
	// Scheme is the HMAC scheme: sorted_json (default), raw or
	// standard_webhooks.
	Scheme string `mapstructure:"scheme"`
	// Prefix goes before the raw scheme's hex signature, e.g. "sha256=".
	Prefix string `mapstructure:"prefix"`
	// TimestampHeader carries the Unix time that the raw scheme's
	// signature covers with the body, when the sender sets one.
	TimestampHeader string `mapstructure:"timestamp_header"`

	_ struct{}
}

// Validate checks the settings; no message quotes the secret.
func (cfg *Config) Validate() error {
	var errs []error
	if !strings.HasPrefix(cfg.Path, "/") {
		errs = append(errs, fmt.Errorf("path: %q must start with /, e.g. %s", cfg.Path, defaultPath))
	}
	if cfg.MaxRequestBodySize < 0 {
		errs = append(errs, errors.New("max_request_body_size: must not be negative; leave it out for 20 MiB"))
	}
	if err := cfg.Verify.validate(); err != nil {
		errs = append(errs, fmt.Errorf("verify: %w", err))
	}
	return errors.Join(errs...)
}

// envHint says why a secret the user did write can be empty.
const envHint = "if it is written as ${env:NAME}, that variable is unset or empty"

func (v *VerifyConfig) validate() error {
	if v.Method == "" {
		if v.Secret != "" || v.Username != "" || v.Header != "" || v.Scheme != "" || v.Prefix != "" || v.TimestampHeader != "" {
			return fmt.Errorf("method: required when other verify settings are given; write %s, %s, %s or %s",
				methodAPIKey, methodBearer, methodBasic, methodHMAC)
		}
		return nil
	}
	var errs []error
	switch v.Method {
	case methodAPIKey, methodBearer, methodBasic, methodHMAC:
	default:
		return fmt.Errorf("method: %q is not known; write %s, %s, %s or %s", v.Method, methodAPIKey, methodBearer, methodBasic, methodHMAC)
	}
	if v.Secret == "" {
		errs = append(errs, fmt.Errorf("secret: required for method %s (%s)", v.Method, envHint))
	}
	if (v.Username != "") != (v.Method == methodBasic) {
		errs = append(errs, fmt.Errorf("username: required for method %s and only for it", methodBasic))
	}
	if v.Header != "" && v.Method != methodAPIKey && v.Method != methodHMAC {
		errs = append(errs, fmt.Errorf("header: only methods %s and %s take a header (method is %s)", methodAPIKey, methodHMAC, v.Method))
	}
	if v.Method != methodHMAC {
		if v.Scheme != "" || v.Prefix != "" || v.TimestampHeader != "" {
			errs = append(errs, fmt.Errorf("scheme, prefix and timestamp_header: only method %s takes them (method is %s)", methodHMAC, v.Method))
		}
		return errors.Join(errs...)
	}
	switch v.scheme() {
	case auth.SchemeSortedJSON, auth.SchemeRaw:
	case auth.SchemeStandardWebhooks:
		if v.Header != "" {
			errs = append(errs, errors.New("header: standard_webhooks reads the webhook-signature header; leave header out"))
		}
		if v.Secret != "" && !webhookSecret(string(v.Secret)) {
			errs = append(errs, errors.New("secret: standard_webhooks takes whsec_ followed by the base64 of the key"))
		}
	default:
		errs = append(errs, fmt.Errorf("scheme: %q is not known; write %s (default), %s or %s",
			v.Scheme, auth.SchemeSortedJSON, auth.SchemeRaw, auth.SchemeStandardWebhooks))
	}
	if v.scheme() != auth.SchemeRaw && (v.Prefix != "" || v.TimestampHeader != "") {
		errs = append(errs, fmt.Errorf("prefix and timestamp_header: only scheme %s takes them", auth.SchemeRaw))
	}
	return errors.Join(errs...)
}

// scheme is the HMAC scheme, sorted_json when none is given ("seed" is
// its earlier name, as the extension accepts it).
func (v *VerifyConfig) scheme() string {
	if v.Scheme == "" || v.Scheme == "seed" {
		return auth.SchemeSortedJSON
	}
	return v.Scheme
}

// header is the header that carries the key or the signature.
func (v *VerifyConfig) header() string {
	switch {
	case v.Header != "":
		return v.Header
	case v.Method == methodAPIKey:
		return defaultAPIKeyHeader
	}
	return defaultSignatureHeader
}

func webhookSecret(s string) bool {
	key, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(key)
	return err == nil
}
