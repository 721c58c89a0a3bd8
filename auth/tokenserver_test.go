package auth

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

	oauth2srv "github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
)

const (
	testClientID     = "webhook-exporter"
	testClientSecret = "cl13nt-s3cr3t-value"
)

// tokenServer is a real OAuth2 authorization server (go-oauth2) issuing
// client-credentials tokens, and a protected endpoint that accepts only
// its live tokens.
type tokenServer struct {
	*httptest.Server
	srv    *server.Server
	tokens *memTokenStore
	// fetches counts token requests; forms keeps their form fields.
	fetches atomic.Int64
	mu      sync.Mutex
	forms   []url.Values
}

func newTokenServer(t testing.TB, lifetime time.Duration) *tokenServer {
	m := manage.NewDefaultManager()
	m.SetClientTokenCfg(&manage.Config{AccessTokenExp: lifetime})
	ts := &tokenServer{tokens: &memTokenStore{byAccess: map[string]oauth2srv.TokenInfo{}}}
	m.MapTokenStorage(ts.tokens)
	m.MapClientStorage(clientStore{testClientID: &models.Client{ID: testClientID, Secret: testClientSecret}})
	ts.srv = server.NewDefaultServer(m)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.fetches.Add(1)
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.mu.Unlock()
		_ = ts.srv.HandleTokenRequest(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) tokenURL() string { return ts.URL + "/oauth/token" }

// protected answers 200 to a request with a live token, 401 otherwise.
func (ts *tokenServer) protected(r *http.Request, _ int) int {
	if _, err := ts.srv.ValidationBearerToken(r); err != nil {
		return http.StatusUnauthorized
	}
	return http.StatusOK
}

// revoke makes the server forget a token, as a real one does on revocation.
func (ts *tokenServer) revoke(access string) {
	_ = ts.tokens.RemoveByAccess(context.Background(), access)
}

// memTokenStore keeps tokens in a map. go-oauth2's own memory store is
// buntdb, which runs a goroutine per store that outlives the test.
type memTokenStore struct {
	mu       sync.Mutex
	byAccess map[string]oauth2srv.TokenInfo
}

func (s *memTokenStore) Create(_ context.Context, info oauth2srv.TokenInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byAccess[info.GetAccess()] = info
	return nil
}

func (s *memTokenStore) RemoveByAccess(_ context.Context, access string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byAccess, access)
	return nil
}

func (s *memTokenStore) GetByAccess(_ context.Context, access string) (oauth2srv.TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byAccess[access], nil
}

func (*memTokenStore) RemoveByCode(context.Context, string) error    { return nil }
func (*memTokenStore) RemoveByRefresh(context.Context, string) error { return nil }
func (*memTokenStore) GetByCode(context.Context, string) (oauth2srv.TokenInfo, error) {
	return nil, nil
}

func (*memTokenStore) GetByRefresh(context.Context, string) (oauth2srv.TokenInfo, error) {
	return nil, nil
}

type clientStore map[string]oauth2srv.ClientInfo

func (c clientStore) GetByID(_ context.Context, id string) (oauth2srv.ClientInfo, error) {
	if cli, ok := c[id]; ok {
		return cli, nil
	}
	return nil, errors.New("unknown client")
}
