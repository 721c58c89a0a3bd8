// Package tokens stands in for OAuth2 token endpoints in tests: a real
// authorization server (go-oauth2) issuing client-credentials tokens, as a
// generic issuer (NewServer) or as Microsoft Entra ID (NewEntraID). It is
// apart from testsink so that what imports testsink links no OAuth2 server.
package tokens // import "github.com/sentyr/webhookexporter/internal/testsink/tokens"

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
)

// Issuer is what a Server knows: the one application it issues
// tokens to, at which path, for how long, for which scope.
type Issuer struct {
	// Path is the token endpoint's path.
	Path                   string
	ClientID, ClientSecret string
	Lifetime               time.Duration
	// Scope is the one scope granted; "" grants any.
	Scope string
}

// Server is a real OAuth2 authorization server (go-oauth2) issuing
// client-credentials tokens, the client's secret in Basic auth or in the
// form, and the check of its tokens a protected endpoint makes.
type Server struct {
	*httptest.Server
	issuer Issuer
	srv    *server.Server
	tokens *tokenStore

	// requests counts the requests that reached the server, at any path;
	// forms keeps their form fields.
	requests atomic.Int64
	mu       sync.Mutex
	forms    []url.Values
}

// NewServer starts a token server for issuer; it stops when the test
// ends.
func NewServer(t testing.TB, issuer Issuer) *Server {
	m := manage.NewDefaultManager()
	m.SetClientTokenCfg(&manage.Config{AccessTokenExp: issuer.Lifetime})
	ts := &Server{issuer: issuer, tokens: &tokenStore{byAccess: map[string]oauth2.TokenInfo{}}}
	m.MapTokenStorage(ts.tokens)
	m.MapClientStorage(clients{issuer.ClientID: &models.Client{ID: issuer.ClientID, Secret: issuer.ClientSecret}})
	srv := server.NewDefaultServer(m)
	srv.SetAllowedGrantType(oauth2.ClientCredentials)
	srv.SetClientInfoHandler(func(r *http.Request) (string, string, error) {
		if id, secret, err := server.ClientBasicHandler(r); err == nil {
			return id, secret, nil
		}
		return server.ClientFormHandler(r)
	})
	if issuer.Scope != "" {
		srv.SetClientScopeHandler(func(tgr *oauth2.TokenGenerateRequest) (bool, error) {
			return tgr.Scope == issuer.Scope, nil
		})
	}
	ts.srv = srv
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+issuer.Path, func(w http.ResponseWriter, r *http.Request) {
		_ = srv.HandleTokenRequest(w, r)
	})
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TokenURL is the token endpoint.
func (ts *Server) TokenURL() string { return ts.URL + ts.issuer.Path }

// Requests is the number of requests that reached the server.
func (ts *Server) Requests() int64 { return ts.requests.Load() }

// Forms are the form fields of the requests that reached the server.
func (ts *Server) Forms() []url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]url.Values(nil), ts.forms...)
}

// Valid says whether r carries a live bearer token of this server.
func (ts *Server) Valid(r *http.Request) bool {
	_, err := ts.srv.ValidationBearerToken(r)
	return err == nil
}

// Protected is a testsink.Handler for an endpoint that takes only the
// server's live tokens: 200, else 401.
func (ts *Server) Protected(w http.ResponseWriter, r *http.Request, _ int) {
	if !ts.Valid(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Revoke makes the server forget a token, as a real one does on revocation.
func (ts *Server) Revoke(access string) {
	_ = ts.tokens.RemoveByAccess(context.Background(), access)
}

// Microsoft Entra ID as NewEntraID stands in for it: one tenant, one
// application, tokens for the Logs Ingestion API's scope only.
const (
	EntraTenant       = "00000000-0000-0000-0000-00000000cafe"
	EntraClientID     = "11111111-2222-3333-4444-555555555555"
	EntraClientSecret = "entra-cl13nt-s3cr3t"
	// MonitorScope is the scope of the Logs Ingestion API.
	MonitorScope = "https://monitor.azure.com//.default"
)

// NewEntraID starts a stand-in for Entra ID's token endpoint
// (/<tenant>/oauth2/v2.0/token) whose tokens live for lifetime.
func NewEntraID(t testing.TB, lifetime time.Duration) *Server {
	return NewServer(t, Issuer{
		Path:     "/" + EntraTenant + "/oauth2/v2.0/token",
		ClientID: EntraClientID, ClientSecret: EntraClientSecret,
		Lifetime: lifetime, Scope: MonitorScope,
	})
}

// tokenStore keeps tokens in a map: go-oauth2's own memory store runs a
// goroutine that outlives the test.
type tokenStore struct {
	mu       sync.Mutex
	byAccess map[string]oauth2.TokenInfo
}

func (s *tokenStore) Create(_ context.Context, info oauth2.TokenInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byAccess[info.GetAccess()] = info
	return nil
}

func (s *tokenStore) RemoveByAccess(_ context.Context, access string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byAccess, access)
	return nil
}

func (s *tokenStore) GetByAccess(_ context.Context, access string) (oauth2.TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if info, ok := s.byAccess[access]; ok {
		return info, nil
	}
	return nil, errors.New("unknown token")
}

func (*tokenStore) RemoveByCode(context.Context, string) error                  { return nil }
func (*tokenStore) RemoveByRefresh(context.Context, string) error               { return nil }
func (*tokenStore) GetByCode(context.Context, string) (oauth2.TokenInfo, error) { return nil, nil }
func (*tokenStore) GetByRefresh(context.Context, string) (oauth2.TokenInfo, error) {
	return nil, nil
}

type clients map[string]oauth2.ClientInfo

func (c clients) GetByID(_ context.Context, id string) (oauth2.ClientInfo, error) {
	if cli, ok := c[id]; ok {
		return cli, nil
	}
	return nil, errors.New("unknown client")
}
