//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/sentinel"
	"github.com/sentyr/webhookexporter/internal/testsink/tokens"
)

// TestEndToEndSentinelWithEntraID runs the distribution with format
// sentinel and the webhookauth extension's oauth2 method: the token comes
// from an Entra ID stand-in built on a real OAuth2 server library, and the
// Logs Ingestion API stand-in refuses every request without one of its live
// tokens. The guide's example event arrives as the golden row, and no line of
// the collector's output holds the client secret or the token.
func TestEndToEndSentinelWithEntraID(t *testing.T) {
	idp := tokens.NewEntraID(t, time.Hour)
	columns := map[string]string{}
	for _, c := range builtin.SentinelColumns {
		columns[c.Name] = c.Type
	}
	var mu sync.Mutex
	var issued []string
	sink := sentinel.New(t, columns, func(r *http.Request) bool {
		mu.Lock()
		issued = append(issued, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		mu.Unlock()
		return idp.Valid(r)
	})

	otlpAddr := testsink.HeldAddr(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: `+otlpAddr+`
extensions:
  webhookauth/entra:
    oauth2:
      token_url: `+idp.TokenURL()+`
      client_id: ${env:AZURE_CLIENT_ID}
      client_secret: ${env:AZURE_CLIENT_SECRET}
      scopes: ["https://monitor.azure.com//.default"]
exporters:
  webhook/sentinel:
    endpoint: `+sink.IngestionURL()+`
    format: sentinel
    compression: gzip
    auth:
      authenticator: webhookauth/entra
service:
  extensions: [webhookauth/entra]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook/sentinel]
`), 0o600))

	col := startCollector(t, config, t.TempDir(), envFor("AZURE_CLIENT_ID", tokens.EntraClientID, "AZURE_CLIENT_SECRET", tokens.EntraClientSecret)...)
	postSeedUntil(t, col, otlpAddr, func() bool { return len(sink.Accepted()) > 0 },
		func() string { return fmt.Sprintf("refused: %v", sink.Refused()) })
	got := sink.Accepted()
	require.Len(t, got, 1)
	assert.Empty(t, sink.Refused())
	assert.Equal(t, "gzip", got[0].Header.Get("Content-Encoding"))
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, got[0].Header.Get("x-ms-client-request-id"))

	golden, err := os.ReadFile(filepath.Join(repoRoot(t), "formats", "builtin", "testdata", "golden", "sentinel.json"))
	require.NoError(t, err)
	var want []map[string]any
	require.NoError(t, json.Unmarshal(golden, &want))
	require.Len(t, got[0].Rows, 1)
	want[0]["EventId"] = got[0].Rows[0]["EventId"]
	assert.Equal(t, want, got[0].Rows)

	require.NoError(t, col.stop(t))
	out := col.output.String()
	assert.NotContains(t, out, tokens.EntraClientSecret)
	mu.Lock()
	defer mu.Unlock()
	for _, tok := range issued {
		if tok != "" {
			assert.NotContains(t, out, tok)
		}
	}
}
