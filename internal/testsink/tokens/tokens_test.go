package tokens

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Entra ID's stand-in issues tokens to its client for the monitor scope,
// with the secret in Basic auth or in the form, and refuses another
// secret, another scope and another path; its tokens pass the check until
// revoked.
func TestEntraIDRefusesWhatEntraIDRefuses(t *testing.T) {
	s := NewEntraID(t, time.Hour)
	token := func(url, secret, scope string, style oauth2.AuthStyle) (*oauth2.Token, error) {
		c := clientcredentials.Config{ClientID: EntraClientID, ClientSecret: secret, TokenURL: url,
			Scopes: []string{scope}, AuthStyle: style}
		return c.Token(context.Background())
	}
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		tok, err := token(s.TokenURL(), EntraClientSecret, MonitorScope, style)
		require.NoError(t, err)
		r := &http.Request{Header: http.Header{"Authorization": {"Bearer " + tok.AccessToken}}}
		assert.True(t, s.Valid(r))
		s.Revoke(tok.AccessToken)
		assert.False(t, s.Valid(r), "a revoked token")
	}
	_, err := token(s.TokenURL(), EntraClientSecret+"x", MonitorScope, oauth2.AuthStyleInParams)
	assert.ErrorContains(t, err, "invalid_client")
	_, err = token(s.TokenURL(), EntraClientSecret, "https://graph.microsoft.com/.default", oauth2.AuthStyleInParams)
	assert.ErrorContains(t, err, "invalid_scope")
	_, err = token(s.URL+"/common/oauth2/v2.0/token", EntraClientSecret, MonitorScope, oauth2.AuthStyleInParams)
	assert.ErrorContains(t, err, "404")
	assert.False(t, s.Valid(&http.Request{Header: http.Header{"Authorization": {"Bearer forged"}}}))
	assert.EqualValues(t, 5, s.Requests(), "every request counted, the refused ones too")
}
