package webhookexporter

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/sentyr/webhookexporter/internal/redact"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

// TestHECConnectionCheckProvesTheToken: HEC's health endpoint reads no
// token, so a check there passed with a wrong one. The check posts no
// events to the event endpoint instead: a good token gets 400 code 5 "No
// data" and passes, a wrong or missing one is refused, and nothing is
// indexed either way.
func TestHECConnectionCheckProvesTheToken(t *testing.T) {
	for _, tt := range []struct {
		name   string
		token  string
		header string // an Authorization header instead of the token
		ok     bool
		status int
	}{
		{"good token", hecTestToken, "", true, http.StatusBadRequest},
		{"good token in a header", "", "Splunk " + hecTestToken, true, http.StatusBadRequest},
		{"wrong token", "wrong-hec-token", "", false, http.StatusForbidden},
		{"no token", "", "", false, http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := hecsink.New(t, hecTestToken, false)
			cfg := hecCfg(s, tt.token)
			cfg.ClientConfig.Endpoint += "?channel=0e8b4d8c-5b7a-4f0e-9a57-1c9f2f8f7a10"
			if tt.header != "" {
				cfg.ClientConfig.Headers.Set("Authorization", configopaque.String(tt.header))
			}
			cfg.ConnectionCheck.Enabled = true

			logs, err := startChecked(t, cfg)

			require.NoError(t, err)
			checks := logs.FilterMessageSnippet("Connection check")
			require.Equal(t, 1, checks.Len())
			fields := checks.All()[0].ContextMap()
			assert.Equal(t, http.MethodPost, fields["method"])
			assert.Equal(t, s.URL+"/services/collector/event", fields["url"], "the event endpoint, query left out")
			assert.EqualValues(t, tt.status, fields["status"])
			requests, indexed := hecSnapshot(s)
			assert.Empty(t, indexed, "the check indexes nothing")
			require.Len(t, requests, 1)
			assert.Zero(t, requests[0].size, "no events in the body")
			if tt.ok {
				assert.Equal(t, "Connection check passed", checks.All()[0].Message)
				assert.Contains(t, fields["detail"], "token accepted")
				return
			}
			assert.Contains(t, fields["reason"], "Splunk HEC refused the token")
			assert.Equal(t, "set splunk_hec::token to a valid, enabled HEC token", fields["fix"])
		})
	}
}

// TestElasticConnectionCheckLogsWhatTheRootSays: the detail names what
// the root answer has, not only when it has a cluster_name (OpenSearch and
// Fluent Bit's Elasticsearch input answer with less).
func TestElasticConnectionCheckLogsWhatTheRootSays(t *testing.T) {
	for _, tt := range []struct {
		name, root, want string
	}{
		{"elasticsearch", `{"name":"node-1","cluster_name":"siem","version":{"number":"8.15.0"},"tagline":"You Know, for Search"}`,
			`cluster siem, version 8.15.0, tagline "You Know, for Search"`},
		{"opensearch", `{"cluster_name":"os","version":{"distribution":"opensearch","number":"2.17.0"}}`,
			"cluster os, version opensearch 2.17.0"},
		{"version only", `{"version":{"number":"8.0.0"}}`, "version 8.0.0"},
		{"tagline only", `{"tagline":"Fluent Bit"}`, `tagline "Fluent Bit"`},
		{"a long name is cut", `{"cluster_name":"` + strings.Repeat("c", 10000) + `"}`, "cluster " + strings.Repeat("c", redact.TextBytes-len("cluster ")) + redact.CutMarker + "10008 bytes)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.root))
			})
			cfg := testCfg(s.URL + "/sentyr/_bulk")
			cfg.Format = "elastic"
			cfg.ConnectionCheck.Enabled = true

			logs, err := startChecked(t, cfg)

			require.NoError(t, err)
			checks := logs.FilterMessage("Connection check passed")
			require.Equal(t, 1, checks.Len())
			assert.Equal(t, tt.want, checks.All()[0].ContextMap()["detail"])
		})
	}
}
