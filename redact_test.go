package webhookexporter

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/internal/echosink"
)

// echoCase is one kind of credential the exporter sends by itself.
type echoCase struct {
	name    string
	shapes  map[string]echosink.Shape
	secrets []string
	config  func(endpoint string) *Config
}

var (
	echoHeader   = "HDR s3cr/t+1@x&y"
	echoHEC      = "hec/t0k+en 42&z"
	echoDD       = "dd/k3y+val ue&1"
	echoESKey    = "k3y/v+al ue&2"
	echoESID     = "es-id-1"
	echoESEnc    = base64.StdEncoding.EncodeToString([]byte(echoESID + ":" + echoESKey))
	echoPassword = "p@ss/w+rd x&3"
	echoQuery    = "q/t+k n&4"
)

var plainShape = map[string]echosink.Shape{"plain": echosink.Plain}

var echoCases = []echoCase{
	{"headers", plainShape, []string{echoHeader}, func(endpoint string) *Config {
		cfg := testCfg(endpoint + "/hook")
		cfg.ClientConfig.Headers.Set("X-Api-Key", configopaque.String(echoHeader))
		return cfg
	}},
	{"endpoint user info and query", plainShape, []string{echoPassword, "svc:" + echoPassword, echoQuery}, func(endpoint string) *Config {
		u, _ := url.Parse(endpoint + "/hook")
		u.User = url.UserPassword("svc", echoPassword)
		u.RawQuery = url.Values{"token": {echoQuery}}.Encode()
		return testCfg(u.String())
	}},
	{"splunk_hec token", map[string]echosink.Shape{"plain": echosink.Plain, "hec": echosink.HEC}, []string{echoHEC}, func(endpoint string) *Config {
		cfg := testCfg(endpoint + "/services/collector/event")
		cfg.Format = FormatSplunkHEC
		cfg.SplunkHEC.Token = configopaque.String(echoHEC)
		return cfg
	}},
	{"datadog api_key", plainShape, []string{echoDD}, func(endpoint string) *Config {
		cfg := testCfg(endpoint + "/api/v1/events")
		cfg.Format = FormatDatadog
		cfg.Datadog.APIKey = configopaque.String(echoDD)
		return cfg
	}},
	{"elastic api_key", map[string]echosink.Shape{"plain": echosink.Plain, "bulk": echosink.Bulk},
		[]string{echoESEnc, echoESID + ":" + echoESKey, echoESKey}, func(endpoint string) *Config {
			cfg := testCfg(endpoint + "/sentyr/_bulk")
			cfg.Format = FormatElastic
			cfg.Elastic.APIKey = configopaque.String(echoESEnc)
			return cfg
		}},
}

// TestEchoedCredentialsAreRedacted: a receiver whose answers (400, 401,
// 500; a HEC refusal; a _bulk item error) echo the request in each usual
// encoding puts no credential into a log line (the connection check's
// included) or the returned error, in any of the credential's encodings.
func TestEchoedCredentialsAreRedacted(t *testing.T) {
	for _, c := range echoCases {
		for shapeName, shape := range c.shapes {
			for _, enc := range echosink.EncodingNames() {
				for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
					if shapeName == "bulk" {
						status = http.StatusOK
					}
					t.Run(fmt.Sprintf("%s/%s/%s/%d", c.name, shapeName, enc, status), func(t *testing.T) {
						s := echosink.New(t, status, echosink.Encodings[enc], shape)
						cfg := withoutQueue(c.config(s.URL))
						cfg.RetryConfig.Enabled = false
						cfg.ConnectionCheck.Enabled = true
						require.NoError(t, confmap.Validate(cfg))
						exp := startExporter(t, cfg)

						err := exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))

						require.Error(t, err)
						outputs := []string{err.Error()}
						for _, e := range exp.logs.All() {
							outputs = append(outputs, e.Message+" "+fmt.Sprint(e.ContextMap()))
						}
						assert.Empty(t, echosink.Leaks(outputs, c.secrets))
						assert.Contains(t, strings.Join(outputs, "\n"), "[redacted]", "the echo reached the outputs")
					})
				}
			}
		}
	}
}

// TestValidationErrorsQuoteEndpointsWithoutSecrets: an endpoint refused at
// load is quoted without its user info and query.
func TestValidationErrorsQuoteEndpointsWithoutSecrets(t *testing.T) {
	for _, tt := range []struct {
		name  string
		tune  func(*Config)
		field string
	}{
		{"no host", func(c *Config) { c.ClientConfig.Endpoint = "https://user:SECRET-1@/hook?token=SECRET-2" }, "endpoint:"},
		{"unparsable", func(c *Config) { c.ClientConfig.Endpoint = "https://user:SECRET-1@siem example.com/hook?token=SECRET-2" }, "endpoint:"},
		{"elastic", func(c *Config) {
			c.Format = FormatElastic
			c.ClientConfig.Endpoint = "https://user:SECRET-1@es example.com/_bulk?token=SECRET-2"
		}, "endpoint:"},
		{"connection check", func(c *Config) { c.ConnectionCheck.Endpoint = "user:SECRET-1@splunk.example.com/health?token=SECRET-2" },
			"connection_check::endpoint:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testCfg("https://siem.example.com/hook")
			tt.tune(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.field)
			assert.NotContains(t, err.Error(), "SECRET")
		})
	}
}
