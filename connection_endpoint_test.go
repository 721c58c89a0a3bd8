package webhookexporter

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// endpointPaths are endpoint paths of the shapes the built-in formats
// take; a format's test config uses the first its settings accept.
var endpointPaths = []string{
	"/hook",
	"/sentyr/_bulk",
	"/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents?api-version=2023-01-01",
}

// formatConfig is a valid config of built-in format b against base: the
// first endpoint path that b accepts, a credential in the header the
// format's service reads, and a template for the formats that need one.
func formatConfig(t *testing.T, b builtin.Builtin, base string) *Config {
	t.Helper()
	// Else the path of the format's service, which its settings accept.
	for _, path := range append(slices.Clone(endpointPaths), b.Service.Path) {
		cfg := withoutQueue(testCfg(base + path))
		cfg.Format = b.Name
		cfg.Custom.Template = `{"t": "{{ event_type }}"}`
		cfg.PagerDuty.RoutingKey = "R0123456789abcdef0123456789abcde"
		if b.Credential != nil && b.Credential.Header != "" {
			cfg.ClientConfig.Headers.Set(b.Credential.Header, configopaque.String("test-credential"))
		}
		if confmap.Validate(cfg) == nil {
			return cfg
		}
	}
	require.Failf(t, "no test config", "format %s accepts none of the endpoint paths %v: add one", b.Name, endpointPaths)
	return nil
}

// Every format's connection check goes to connection_check::endpoint when
// it is set, its own check and the test event alike; nothing goes to the
// endpoint.
func TestConnectionCheckEndpointForEveryFormat(t *testing.T) {
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			endpoint := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) })
			check := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) })
			cfg := formatConfig(t, b, endpoint.URL)
			cfg.ConnectionCheck.Enabled = true
			cfg.ConnectionCheck.Endpoint = check.URL + "/health"
			require.NoError(t, confmap.Validate(cfg))

			logs, _ := startChecked(t, cfg)

			assert.Equal(t, 1, len(check.Requests()), "the check goes to connection_check::endpoint")
			assert.Zero(t, len(endpoint.Requests()), "nothing goes to the endpoint")
			checks := logs.FilterMessageSnippet("Connection check")
			require.Equal(t, 1, checks.Len())
			assert.Equal(t, check.URL+"/health", checks.All()[0].ContextMap()["url"])
		})
	}
}
