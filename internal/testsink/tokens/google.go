package tokens

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// GoogleScope is the scope Google SecOps's Chronicle API takes.
const GoogleScope = "https://www.googleapis.com/auth/cloud-platform"

// Google stands in for Google's OAuth2 token endpoint of service
// accounts: it takes the JWT bearer grant (RFC 7523) and refuses what
// Google refuses: another grant type, an assertion not signed RS256 by the
// account's current key (checked with its public half), of another
// issuer, audience or key id, without the scope, issued in the future,
// expired, or living more than an hour.
type Google struct {
	*httptest.Server
	Email string
	// Echo makes every refusal quote the request's form, as a careless
	// token endpoint would.
	Echo atomic.Bool

	mu         sync.Mutex
	keys       map[string]*rsa.PublicKey // by key id: the account's keys
	current    string
	lifetime   time.Duration
	tokens     map[string]time.Time // the live tokens, until when
	fetches    atomic.Int64
	refusals   []string
	assertions []string
}

// NewGoogle starts a token endpoint for one service account whose tokens
// live for lifetime; it stops when the test ends.
func NewGoogle(t testing.TB, lifetime time.Duration) *Google {
	g := &Google{Email: "sentyr-exporter@sentyr-test.iam.gserviceaccount.com", keys: map[string]*rsa.PublicKey{}, lifetime: lifetime, tokens: map[string]time.Time{}}
	g.Server = httptest.NewServer(http.HandlerFunc(g.token))
	t.Cleanup(g.Close)
	return g
}

// TokenURL is the endpoint's token_uri.
func (g *Google) TokenURL() string { return g.URL + "/token" }

// NewKey makes a new key of the account, which the endpoint takes from
// now on instead of the former, and returns the key file (JSON) that
// Google gives for it.
func (g *Google) NewKey(t testing.TB) []byte {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 20)
	_, _ = rand.Read(id)
	kid := hex.EncodeToString(id)
	g.mu.Lock()
	g.keys = map[string]*rsa.PublicKey{kid: &priv.PublicKey}
	g.current = kid
	g.mu.Unlock()
	key, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "sentyr-test", "private_key_id": kid,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": g.Email, "client_id": "100000000000000000001",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": g.TokenURL(),
	})
	return key
}

// Fetches counts the tokens issued.
func (g *Google) Fetches() int64 { return g.fetches.Load() }

// Refusals are the reasons of the requests refused so far.
func (g *Google) Refusals() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.refusals)
}

// Assertions are the assertions of every token request so far.
func (g *Google) Assertions() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.assertions)
}

// Valid says whether r carries a live token the endpoint issued.
func (g *Google) Valid(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	defer g.mu.Unlock()
	until, live := g.tokens[tok]
	return ok && live && time.Now().Before(until)
}

// Revoke ends every token issued so far, as a disabled key or account does.
func (g *Google) Revoke() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.tokens)
}

func (g *Google) token(w http.ResponseWriter, r *http.Request) {
	refuse := func(reason string) {
		g.mu.Lock()
		g.refusals = append(g.refusals, reason)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		answer := map[string]string{"error": "invalid_grant", "error_description": reason}
		if g.Echo.Load() {
			// The assertion first: a cut quote of the answer keeps it.
			answer["error_description"] = "assertion " + r.PostForm.Get("assertion") + ": " + reason
		}
		_ = json.NewEncoder(w).Encode(answer)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		refuse("unreadable form")
		return
	}
	g.mu.Lock()
	g.assertions = append(g.assertions, r.PostForm.Get("assertion"))
	g.mu.Unlock()
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		refuse("Invalid grant_type")
		return
	}
	var claims struct {
		jwt.RegisteredClaims
		Scope string `json:"scope"`
	}
	parsed, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), &claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		g.mu.Lock()
		defer g.mu.Unlock()
		if key, ok := g.keys[kid]; ok {
			return key, nil
		}
		return nil, fmt.Errorf("unknown key id %q", kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(g.Email), jwt.WithAudience(g.TokenURL()),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(time.Minute))
	switch {
	case err != nil || !parsed.Valid:
		refuse(fmt.Sprintf("Invalid JWT: %v", err))
		return
	case claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > time.Hour:
		refuse("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe")
		return
	case !slices.Contains(strings.Fields(claims.Scope), GoogleScope):
		refuse("Invalid OAuth scope or ID token audience provided.")
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	access := "ya29." + hex.EncodeToString(b)
	g.mu.Lock()
	g.tokens[access] = time.Now().Add(g.lifetime)
	g.mu.Unlock()
	g.fetches.Add(1)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "expires_in": int(g.lifetime / time.Second), "token_type": "Bearer"})
}

// Protected answers a request as a Google API does: 200 with a token the
// endpoint issued, else 401.
func (g *Google) Protected(w http.ResponseWriter, r *http.Request, _ int) {
	if !g.Valid(r) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`))
		return
	}
	w.WriteHeader(http.StatusOK)
}
