package auth

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// tokenSource caches one client-credentials token for all requests.
//
// Not oauth2.ReuseTokenSourceWithExpiry: a 401 must be able to drop the
// cached token, and the clock must be replaceable to test the expiry
// buffer without waiting. The mutex is held while fetching, so concurrent
// requests that find no fresh token wait for one fetch instead of each
// starting their own.
type tokenSource struct {
	// method names the settings in messages: oauth2, google_service_account.
	method       string
	expiryBuffer time.Duration
	secret       *secret      // nil when the endpoint needs none
	client       *http.Client // token endpoint's own TLS and timeout
	logger       *zap.Logger
	now          func() time.Time
	// fetch asks for a new token with the secret's current value, and
	// tokenURL is where it goes, for messages.
	fetch    func(ctx context.Context, secret string) (*oauth2.Token, error)
	tokenURL func() string

	mu  sync.Mutex
	tok *oauth2.Token
	// renew is when tok is replaced; zero keeps it until a 401.
	renew time.Time
	// warnedShort: the warning about tokens that do not outlive the
	// expiry buffer is logged once, not at every fetch.
	warnedShort bool
}

// newTokenSource is the source of client-credentials tokens.
func newTokenSource(cfg *OAuth2Config, client *http.Client, logger *zap.Logger) *tokenSource {
	s := &tokenSource{
		method:       methodOAuth2,
		expiryBuffer: cfg.ExpiryBuffer,
		secret:       newSecret(cfg.ClientSecret, cfg.ClientSecretFile),
		client:       client,
		logger:       logger,
		now:          time.Now,
		tokenURL:     func() string { return cfg.TokenURL },
	}
	// cc keeps the detected auth style between fetches.
	cc := &clientcredentials.Config{
		ClientID:       cfg.ClientID,
		TokenURL:       cfg.TokenURL,
		Scopes:         cfg.Scopes,
		EndpointParams: cfg.EndpointParams,
	}
	s.fetch = func(ctx context.Context, secret string) (*oauth2.Token, error) {
		cc.ClientSecret = secret
		tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.client))
		if err != nil {
			return nil, tokenError(cfg.TokenURL, err, s.sentSecrets(cfg.ClientID, secret))
		}
		return tok, nil
	}
	return s
}

// token returns the cached token while it is outside the expiry buffer,
// else a new one.
func (s *tokenSource) token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && (s.renew.IsZero() || s.now().Before(s.renew)) {
		return s.tok, nil
	}
	var secret string
	if s.secret != nil { // the metadata server needs none
		var err error
		if secret, err = s.secret.get(); err != nil {
			return nil, tokenFileError(s.method, s.tokenURL(), err)
		}
	}
	tok, err := s.fetch(ctx, secret)
	if err != nil {
		s.logger.Warn("OAuth2 token request failed", zap.Error(err))
		return nil, err
	}
	if !tok.Expiry.IsZero() {
		// x/oauth2 dates the expiry by the wall clock; restate it on the
		// clock the buffer is checked against.
		tok.Expiry = s.now().Add(time.Until(tok.Expiry))
	}
	s.tok, s.renew = tok, s.renewal(tok)
	s.logger.Debug("OAuth2 token fetched",
		zap.String("token_url", redactURL(s.tokenURL())),
		zap.Time("expiry", tok.Expiry))
	return tok, nil
}

// sentSecrets is what a token request carried and what a token server
// may echo: the secret as a form field and inside Basic (where x/oauth2
// URL-encodes id and secret), and the tokens held so far.
func (s *tokenSource) sentSecrets(id, secret string) *redact.Secrets {
	rd := redact.New(secret, id+":"+secret, url.QueryEscape(id)+":"+url.QueryEscape(secret))
	if s.tok != nil {
		rd.Add(s.tok.AccessToken, s.tok.RefreshToken)
	}
	return rd
}

// renewal is when tok is to be replaced: expiry_buffer before it expires.
// A token that does not outlive the buffer would be replaced at once, and
// every request would fetch a new one; such a token is kept for the first
// half of its lifetime instead, which is what a buffer is for (renewing
// well before expiry), and the mismatch is logged once.
func (s *tokenSource) renewal(tok *oauth2.Token) time.Time {
	if tok.Expiry.IsZero() {
		return time.Time{} // the server gave no lifetime; keep it until a 401
	}
	now := s.now()
	lifetime := tok.Expiry.Sub(now)
	if lifetime > s.expiryBuffer {
		return tok.Expiry.Add(-s.expiryBuffer)
	}
	if !s.warnedShort {
		s.warnedShort = true
		s.logger.Warn("OAuth2 tokens live no longer than "+s.method+"::expiry_buffer; each token is kept for half its lifetime instead. "+
			"Set expiry_buffer below the tokens' lifetime",
			zap.String("token_url", redactURL(s.tokenURL())),
			zap.Duration("lifetime", lifetime.Round(time.Second)),
			zap.Duration("expiry_buffer", s.expiryBuffer))
	}
	return now.Add(lifetime / 2)
}

// invalidate drops tok if it is still the cached one. Requests that fail
// together with the same token thus cause a single new fetch.
func (s *tokenSource) invalidate(tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == tok {
		s.tok = nil
	}
}

// oauth2Transport adds the token and, when the endpoint rejects it with
// 401 (revoked, or expired early), sends the request once more with a
// new token so the exporter sees the outcome of a valid token.
type oauth2Transport struct {
	base   http.RoundTripper
	src    *tokenSource
	logger *zap.Logger
}

func (t *oauth2Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		// Keep the bytes for a possible second send.
		if req, _, err = bufferBody(req); err != nil {
			return nil, err
		}
	}
	resp, err := t.send(req, req.Body, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	body := req.Body
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	// The connection is reused only once the body is read to the end.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()

	t.src.invalidate(tok)
	t.logger.Info("endpoint answered 401 to the OAuth2 token; fetching a new token and sending once more",
		zap.String("endpoint", redactURL(req.URL.String())))
	fresh, err := t.src.token(req.Context())
	if err != nil {
		closeReadCloser(body)
		return nil, err
	}
	return t.send(req, body, fresh)
}

func (t *oauth2Transport) send(req *http.Request, body io.ReadCloser, tok *oauth2.Token) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Body = body
	tok.SetAuthHeader(out)
	return t.base.RoundTrip(out)
}

func closeReadCloser(rc io.ReadCloser) {
	if rc != nil {
		_ = rc.Close()
	}
}
