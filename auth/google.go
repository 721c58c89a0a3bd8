package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// defaultGoogleScope is what Google SecOps's Chronicle API takes.
const defaultGoogleScope = "https://www.googleapis.com/auth/cloud-platform"

// GoogleServiceAccountConfig mints OAuth2 access tokens from a Google
// service account's key with the JWT bearer grant (RFC 7523), as Google's
// own libraries do for a key file.
type GoogleServiceAccountConfig struct {
	// CredentialsFile is the key file (JSON) that the Cloud console or
	// gcloud iam service-accounts keys create wrote; it is read again
	// when it changes, so a rotated key is picked up.
	CredentialsFile string `mapstructure:"credentials_file"`
	// CredentialsJSON is the key file's content, inline. Without either,
	// Application Default Credentials: the key file that the environment
	// variable GOOGLE_APPLICATION_CREDENTIALS names, else the metadata
	// server of the machine (GCE, GKE with Workload Identity).
	CredentialsJSON configopaque.String `mapstructure:"credentials_json"`
	// Scopes of the tokens (default: cloud-platform).
	Scopes []string `mapstructure:"scopes"`
	// Timeout bounds one token request.
	Timeout time.Duration `mapstructure:"timeout"`
	// TLS is for the token endpoint (the key's token_uri).
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// ExpiryBuffer: a token is replaced once it expires within this time.
	ExpiryBuffer time.Duration `mapstructure:"expiry_buffer"`

	_ struct{}
}

// Validate checks the service account settings; the key itself is read
// at start (and checked then), as every file secret is.
func (c *GoogleServiceAccountConfig) Validate() error {
	var errs []error
	switch {
	case c.CredentialsFile != "" && c.CredentialsJSON != "":
		errs = append(errs, errors.New("credentials_file and credentials_json are both set; set only one"))
	case c.CredentialsJSON != "":
		if _, err := parseGoogleKey(string(c.CredentialsJSON)); err != nil {
			errs = append(errs, fmt.Errorf("credentials_json: %w", err))
		}
	}
	for i, s := range c.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t\r\n") {
			errs = append(errs, fmt.Errorf("scopes[%d]: %q is not one scope; write e.g. %s", i, s, defaultGoogleScope))
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

// googleKey is what a service account key file holds that a token needs.
type googleKey struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	TokenURI     string `json:"token_uri"`
}

// parseGoogleKey reads a key file's JSON. Its errors never quote it.
func parseGoogleKey(raw string) (*googleKey, error) {
	var k googleKey
	if err := json.Unmarshal([]byte(raw), &k); err != nil {
		return nil, errors.New("not a service account key: not JSON (write the key file as the Cloud console or gcloud saved it)")
	}
	switch {
	case k.Type != "service_account":
		return nil, fmt.Errorf("not a service account key: its type is %q; create a key of a service account (gcloud iam service-accounts keys create)", redact.Cut(k.Type))
	case k.ClientEmail == "" || k.PrivateKey == "":
		return nil, errors.New("not a service account key: client_email or private_key is missing")
	}
	if k.TokenURI == "" {
		k.TokenURI = "https://oauth2.googleapis.com/token"
	}
	if u, err := url.Parse(k.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("its token_uri is not an http(s) URL")
	}
	return &k, nil
}

// newGoogleTokenSource is the source of a service account's tokens: the
// key is read again when its file changes, and each token is cached as the
// oauth2 method caches its tokens.
func newGoogleTokenSource(cfg *GoogleServiceAccountConfig, client *http.Client, logger *zap.Logger) *tokenSource {
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{defaultGoogleScope}
	}
	s := &tokenSource{
		method:       methodGoogle,
		expiryBuffer: cfg.ExpiryBuffer,
		secret:       newSecret(cfg.CredentialsJSON, cfg.CredentialsFile),
		logger:       logger,
		now:          time.Now,
	}
	// The assertion is signed inside x/oauth2/jwt; the token client keeps
	// the last one it sent, so that an answer echoing it is redacted.
	sent := &assertionRecorder{base: client.Transport}
	c := *client
	c.Transport = sent
	s.client = &c
	var mu sync.Mutex
	tokenURL := "https://oauth2.googleapis.com/token"
	s.tokenURL = func() string { mu.Lock(); defer mu.Unlock(); return tokenURL }
	s.fetch = func(ctx context.Context, raw string) (*oauth2.Token, error) {
		k, err := parseGoogleKey(raw)
		if err != nil {
			return nil, fmt.Errorf("google_service_account: the key %w", err)
		}
		mu.Lock()
		tokenURL = k.TokenURI
		mu.Unlock()
		jc := &jwt.Config{Email: k.ClientEmail, PrivateKey: []byte(k.PrivateKey), PrivateKeyID: k.PrivateKeyID, Scopes: scopes, TokenURL: k.TokenURI}
		tok, err := jc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, s.client)).Token()
		if err != nil {
			rd := redact.New(raw, k.PrivateKey, sent.last())
			if s.tok != nil {
				rd.Add(s.tok.AccessToken)
			}
			return nil, tokenError(k.TokenURI, err, rd)
		}
		return tok, nil
	}
	return s
}

// assertionRecorder keeps the assertion of the last token request it
// sent: the token endpoint may echo it, and it is a credential (it buys
// tokens until it expires).
type assertionRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent string
}

// tokenRequestBytes bounds the token request read to find its assertion:
// a form of a grant type and a signed JWT.
const tokenRequestBytes = 64 << 10

func (a *assertionRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, tokenRequestBytes))
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if form, err := url.ParseQuery(string(b)); err == nil {
			a.mu.Lock()
			a.sent = form.Get("assertion")
			a.mu.Unlock()
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
	}
	return a.base.RoundTrip(req)
}

func (a *assertionRecorder) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sent
}

// Application Default Credentials, as Google's libraries find them.
const (
	envGoogleCredentials = "GOOGLE_APPLICATION_CREDENTIALS"
	// envMetadataHost moves the metadata server (host[:port]), as in
	// Google's libraries.
	envMetadataHost     = "GCE_METADATA_HOST"
	defaultMetadataHost = "metadata.google.internal"
)

// newMetadataTokenSource is the source of the tokens of the machine's
// service account, from the metadata server at host (plain http, on the
// machine's own link).
func newMetadataTokenSource(cfg *GoogleServiceAccountConfig, host string, client *http.Client, logger *zap.Logger) *tokenSource {
	u := url.URL{Scheme: "http", Host: host, Path: "/computeMetadata/v1/instance/service-accounts/default/token"}
	if len(cfg.Scopes) > 0 {
		u.RawQuery = url.Values{"scopes": {strings.Join(cfg.Scopes, ",")}}.Encode()
	}
	tokenURL := u.String()
	s := &tokenSource{
		method: methodGoogle, expiryBuffer: cfg.ExpiryBuffer, client: client, logger: logger, now: time.Now,
		tokenURL: func() string { return tokenURL },
	}
	s.fetch = func(ctx context.Context, _ string) (*oauth2.Token, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, tokenURL, http.NoBody)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Metadata-Flavor", "Google")
		resp, err := s.client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("OAuth2 token request to the metadata server %s failed: %w", redactURL(tokenURL), err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body) // bounded by the token client
		if err != nil || resp.StatusCode != http.StatusOK {
			rd := redact.New(tokensIn(body)...)
			return nil, fmt.Errorf("OAuth2 token request to the metadata server %s failed: %s %s", redactURL(tokenURL), resp.Status,
				rd.Cut(strings.Join(strings.Fields(string(body)), " ")))
		}
		var answer struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
			TokenType   string `json:"token_type"`
		}
		if err := json.Unmarshal(body, &answer); err != nil || answer.AccessToken == "" {
			return nil, fmt.Errorf("OAuth2 token request to the metadata server %s: the answer holds no access_token", redactURL(tokenURL))
		}
		tok := &oauth2.Token{AccessToken: answer.AccessToken, TokenType: answer.TokenType}
		if answer.ExpiresIn > 0 {
			tok.Expiry = time.Now().Add(time.Duration(answer.ExpiresIn) * time.Second)
		}
		return tok, nil
	}
	return s
}

// applicationDefault is where a service account's tokens come from when
// the settings name no key: the key file of GOOGLE_APPLICATION_CREDENTIALS,
// else the metadata server. getenv is os.Getenv.
func applicationDefault(cfg *GoogleServiceAccountConfig, client *http.Client, logger *zap.Logger, getenv func(string) string) *tokenSource {
	if cfg.CredentialsFile != "" || cfg.CredentialsJSON != "" {
		return newGoogleTokenSource(cfg, client, logger)
	}
	if file := getenv(envGoogleCredentials); file != "" {
		withFile := *cfg
		withFile.CredentialsFile = file
		return newGoogleTokenSource(&withFile, client, logger)
	}
	host := getenv(envMetadataHost)
	if host == "" {
		host = defaultMetadataHost
	}
	return newMetadataTokenSource(cfg, host, client, logger)
}
