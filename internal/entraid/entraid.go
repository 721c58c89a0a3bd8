// Package entraid is a stand-in for Microsoft Entra ID's token endpoint in
// tests: a real OAuth2 authorization server (go-oauth2) that issues
// client-credentials tokens at /<tenant>/oauth2/v2.0/token for the Azure
// Monitor scope only, and says whether a request carries one of its live
// tokens, as the Logs Ingestion API asks Entra ID.
package entraid // import "github.com/sentyr/webhookexporter/internal/entraid"

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
)

// Credentials of the one application the server knows, and what it asks
// for.
const (
	Tenant       = "00000000-0000-0000-0000-00000000cafe"
	ClientID     = "11111111-2222-3333-4444-555555555555"
	ClientSecret = "entra-cl13nt-s3cr3t"
	// MonitorScope is the scope of the Logs Ingestion API.
	MonitorScope = "https://monitor.azure.com//.default"
)

// Server is the token endpoint and the check of its tokens.
type Server struct {
	*httptest.Server
	srv *server.Server
}

// New starts a server whose tokens live for lifetime; Close stops it.
func New(lifetime time.Duration) *Server {
	m := manage.NewDefaultManager()
	m.SetClientTokenCfg(&manage.Config{AccessTokenExp: lifetime})
	m.MapTokenStorage(&tokenStore{byAccess: map[string]oauth2.TokenInfo{}})
	m.MapClientStorage(clients{ClientID: &models.Client{ID: ClientID, Secret: ClientSecret}})
	srv := server.NewDefaultServer(m)
	srv.SetAllowedGrantType(oauth2.ClientCredentials)
	// Entra ID takes the secret in the form as well as in Basic auth.
	srv.SetClientInfoHandler(func(r *http.Request) (string, string, error) {
		if id, secret, err := server.ClientBasicHandler(r); err == nil {
			return id, secret, nil
		}
		return server.ClientFormHandler(r)
	})
	srv.SetClientScopeHandler(func(tgr *oauth2.TokenGenerateRequest) (bool, error) {
		return tgr.Scope == MonitorScope, nil
	})
	s := &Server{srv: srv}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /"+Tenant+"/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		_ = srv.HandleTokenRequest(w, r)
	})
	s.Server = httptest.NewServer(mux)
	return s
}

// TokenURL is the tenant's token endpoint.
func (s *Server) TokenURL() string { return s.URL + "/" + Tenant + "/oauth2/v2.0/token" }

// Valid says whether r carries a live bearer token of this server.
func (s *Server) Valid(r *http.Request) bool {
	_, err := s.srv.ValidationBearerToken(r)
	return err == nil
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
