package auth

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/internal/configcheck"
)

// authenticator is the extension: it wraps the exporter's transport with
// the one configured method.
type authenticator struct {
	cfg    *Config
	logger *zap.Logger
	method string
	// wrap builds the method's RoundTripper around the exporter's.
	wrap func(base http.RoundTripper) http.RoundTripper
	// check reads file secrets once at start, so a missing file fails
	// start-up instead of every request.
	check func() error
	// oauth is kept to close the token client's connections at shutdown.
	oauth *tokenSource
	now   func() time.Time
}

var _ extensionauth.HTTPClient = (*authenticator)(nil)

func newAuthenticator(cfg *Config, set component.TelemetrySettings) (*authenticator, error) {
	methods := cfg.methods()
	if len(methods) != 1 {
		return nil, cfg.Validate()
	}
	a := &authenticator{cfg: cfg, logger: set.Logger, method: methods[0], now: time.Now}
	switch a.method {
	case methodAPIKey:
		c := cfg.APIKey.Get()
		s := newSecret(c.Value, c.ValueFile)
		a.check = ignoreValue(s.get)
		a.wrap = headerWrap(c.Header, apiKeyValue(s))
	case methodBearer:
		s := newSecret(cfg.BearerToken, cfg.BearerTokenFile)
		a.check = ignoreValue(s.get)
		a.wrap = headerWrap("Authorization", bearerValue(s))
	case methodBasic:
		c := cfg.Basic.Get()
		s := newSecret(c.Password, c.PasswordFile)
		a.check = ignoreValue(s.get)
		a.wrap = headerWrap("Authorization", basicValue(c.Username, s))
	case methodHMAC:
		c := cfg.HMAC.Get()
		keys := hmacKeys(c)
		a.check = func() error { _, err := keys(); return err }
		a.wrap = func(base http.RoundTripper) http.RoundTripper {
			return &hmacTransport{base: base, cfg: c, header: c.Header, keys: keys, now: func() time.Time { return a.now() }}
		}
	case methodOAuth2:
		c := cfg.OAuth2.Get()
		client, err := tokenClient(context.Background(), c.TLS, c.Timeout)
		if err != nil {
			return nil, err
		}
		src := newTokenSource(c, client, set.Logger)
		a.useTokens(src, ignoreValue(src.secret.get))
	case methodGoogle:
		c := cfg.GoogleServiceAccount.Get()
		client, err := tokenClient(context.Background(), c.TLS, c.Timeout)
		if err != nil {
			return nil, err
		}
		src := applicationDefault(c, client, set.Logger, os.Getenv)
		a.useTokens(src, func() error {
			if src.secret == nil {
				return nil // the metadata server answers at the first request
			}
			raw, err := src.secret.get()
			if err == nil {
				_, err = parseGoogleKey(raw)
			}
			return err
		})
	}
	return a, nil
}

// useTokens authenticates with the tokens of src, check checking its
// secret at start.
func (a *authenticator) useTokens(src *tokenSource, check func() error) {
	a.oauth, a.check = src, check
	a.wrap = func(base http.RoundTripper) http.RoundTripper {
		return &oauth2Transport{base: base, src: src, logger: a.logger}
	}
}

// Start fails when a secret file cannot be read, naming the file.
func (a *authenticator) Start(context.Context, component.Host) error {
	if err := a.check(); err != nil {
		return fmt.Errorf("webhookauth %s: %w", a.method, err)
	}
	a.logger.Info("Authenticating requests", a.describe()...)
	a.warnSettings()
	return nil
}

// warnSettings logs, once at start, OAuth2 settings that work but are
// unsafe. The endpoint's own transport is the exporter's to warn about.
func (a *authenticator) warnSettings() {
	if a.method != methodOAuth2 {
		return
	}
	c := a.cfg.OAuth2.Get()
	tokenURL := zap.String("token_url", redactURL(c.TokenURL))
	if c.TLS.InsecureSkipVerify {
		a.logger.Warn("oauth2::tls::insecure_skip_verify is true: the token endpoint's certificate is not checked, so anyone on the path "+
			"can read the client secret and the tokens; set oauth2::tls::ca_file to the CA that signed it instead", tokenURL)
	}
	if configcheck.ClearText(c.TokenURL) {
		a.logger.Warn("oauth2::token_url is plain http:// to a host that is not this machine: the client secret and the tokens "+
			"can be read by anyone on the path; use an https:// token_url", tokenURL)
	}
}

func (a *authenticator) Shutdown(context.Context) error {
	if a.oauth != nil {
		a.oauth.client.CloseIdleConnections()
	}
	return nil
}

// RoundTripper implements extensionauth.HTTPClient.
func (a *authenticator) RoundTripper(base http.RoundTripper) (http.RoundTripper, error) {
	return a.wrap(base), nil
}

// describe names the method and where its credential goes, never the
// credential.
func (a *authenticator) describe() []zap.Field {
	fields := []zap.Field{zap.String("method", a.method)}
	switch a.method {
	case methodAPIKey:
		fields = append(fields, zap.String("header", a.cfg.APIKey.Get().Header))
	case methodBasic:
		fields = append(fields, zap.String("username", a.cfg.Basic.Get().Username))
	case methodHMAC:
		c := a.cfg.HMAC.Get()
		fields = append(fields, zap.String("scheme", c.scheme()))
		if c.SecretFile != "" {
			fields = append(fields, zap.String("secret_file", c.SecretFile))
		} else {
			fields = append(fields, zap.Int("secrets", len(c.inlineSecrets())))
		}
		if c.scheme() != SchemeStandardWebhooks {
			fields = append(fields, zap.String("header", c.Header))
		}
	case methodOAuth2:
		c := a.cfg.OAuth2.Get()
		fields = append(fields, zap.String("token_url", redactURL(c.TokenURL)), zap.String("client_id", c.ClientID),
			zap.Duration("expiry_buffer", c.ExpiryBuffer))
	case methodGoogle:
		c := a.cfg.GoogleServiceAccount.Get()
		if c.CredentialsFile != "" {
			fields = append(fields, zap.String("credentials_file", c.CredentialsFile))
		}
		fields = append(fields, zap.String("token_url", redactURL(a.oauth.tokenURL())), zap.Strings("scopes", c.Scopes))
	}
	return fields
}

func headerWrap(header string, value func() (string, error)) func(http.RoundTripper) http.RoundTripper {
	return func(base http.RoundTripper) http.RoundTripper {
		return &headerTransport{base: base, header: header, value: value}
	}
}

func ignoreValue(get func() (string, error)) func() error {
	return func() error { _, err := get(); return err }
}

// tokenClient is the HTTP client of the token endpoint, with its own TLS
// settings and timeout.
func tokenClient(ctx context.Context, tls configtls.ClientConfig, timeout time.Duration) (*http.Client, error) {
	tlsCfg, err := tls.LoadTLSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("token endpoint tls: %w", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	// A redirect would re-POST client_secret to wherever Location points.
	noRedirects := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &http.Client{Transport: boundedAnswers{base: transport}, Timeout: timeout, CheckRedirect: noRedirects}, nil
}
