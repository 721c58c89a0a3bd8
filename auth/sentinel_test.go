package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink/sentinel"
	"github.com/sentyr/webhookexporter/internal/testsink/tokens"
)

// TestSentinelWithEntraIDToken: format sentinel authenticated by the
// oauth2 method against an Entra ID stand-in (go-oauth2, the Azure Monitor
// scope only), at an ingestion endpoint that refuses any request without
// one of that server's live tokens.
func TestSentinelWithEntraIDToken(t *testing.T) {
	idp := tokens.NewEntraID(t, time.Hour)
	columns := map[string]string{}
	for _, c := range builtin.SentinelColumns {
		columns[c.Name] = c.Type
	}
	sink := sentinel.New(t, columns, idp.Valid)
	format := func(cfg *webhookexporter.Config) { cfg.Format = "sentinel" }

	send := exportThrough(t, sink.IngestionURL(), map[string]any{"oauth2": map[string]any{
		"token_url":     idp.TokenURL(),
		"client_id":     tokens.EntraClientID,
		"client_secret": tokens.EntraClientSecret,
		"scopes":        []string{tokens.MonitorScope},
	}}, format)
	require.NoError(t, send(events(t, seedData, seedData)))
	got := sink.Accepted()
	require.Len(t, got, 1, "refused: %v", sink.Refused())
	assert.Len(t, got[0].Rows, 2)

	// Without the scope Entra ID issues no token, and nothing is sent.
	sendNoScope := exportThrough(t, sink.IngestionURL(), map[string]any{"oauth2": map[string]any{
		"token_url":     idp.TokenURL(),
		"client_id":     tokens.EntraClientID,
		"client_secret": tokens.EntraClientSecret,
	}}, func(cfg *webhookexporter.Config) {
		format(cfg)
		cfg.RetryConfig.Enabled = false
	})
	require.Error(t, sendNoScope(events(t, seedData)))
	assert.Len(t, sink.Accepted(), 1)

	// The sink itself refuses a request without a token.
	req, err := http.NewRequest(http.MethodPost, sink.IngestionURL(), http.NoBody)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
