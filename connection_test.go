package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
	"github.com/sentyr/webhookexporter/internal/testsink/essink"
	"github.com/sentyr/webhookexporter/internal/testsink/hecsink"
)

const webhookTestToken = "webhook-bearer-secret"

// webhookServer is a generic receiver that wants a bearer token.
func webhookServer(t testing.TB) *testsink.Sink {
	return testsink.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("Authorization") != "Bearer "+webhookTestToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"unauthorized"}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// checkCase builds a config for one format against a healthy service, one
// that refuses the credentials, or an address where nothing listens.
type checkCase struct {
	format     string
	configure  func(t *testing.T, good bool) *Config
	healthy    int    // the status of success
	refused    int    // the status of the refusal
	refusedMsg string // what the reason says then
}

var checkCases = []checkCase{
	{"splunk_hec", func(t *testing.T, good bool) *Config {
		s := hecsink.New(t, hecTestToken, false)
		cfg := hecCfg(s, hecTestToken)
		if !good {
			cfg.SplunkHEC.Token = "wrong-hec-token"
		}
		return cfg
	}, http.StatusBadRequest, http.StatusForbidden, "Splunk HEC refused the token"}, // 400 "No data": the token passed
	{"datadog", func(t *testing.T, good bool) *Config {
		s := ddsink.NewEvents(t)
		cfg := ddCfg(s, ddsink.Key)
		if !good {
			cfg.Datadog.APIKey = "wrong-datadog-key"
		}
		return cfg
	}, http.StatusOK, http.StatusForbidden, "Datadog refused the API key"},
	{"elastic", func(t *testing.T, good bool) *Config {
		s := essink.New(t)
		cfg := esCfg(s, "/sentyr/_bulk")
		if !good {
			cfg.Elastic.APIKey = "wrong-elastic-key"
		}
		return cfg
	}, http.StatusOK, http.StatusUnauthorized, "Elasticsearch refused the credentials"},
	{"json", func(t *testing.T, good bool) *Config {
		s := webhookServer(t)
		cfg := withoutQueue(testCfg(s.URL + "/hook"))
		token := webhookTestToken
		if !good {
			token = "wrong-webhook-token"
		}
		cfg.ClientConfig.Headers.Set("Authorization", configopaque.String("Bearer "+token))
		return cfg
	}, http.StatusAccepted, http.StatusUnauthorized, "the receiver refused the credentials"},
}

// startChecked creates and starts the exporter, returning Start's error.
func startChecked(t *testing.T, cfg *Config) (*observer.ObservedLogs, error) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), componenttest.NewNopHost())
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return logs, err
}

func closedURL(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	s.Close()
	return s.URL
}

func TestConnectionCheck(t *testing.T) {
	for _, c := range checkCases {
		for _, target := range []string{"healthy", "unauthorised", "unreachable"} {
			for _, failOnError := range []bool{false, true} {
				name := c.format + "/" + target
				if failOnError {
					name += "/fail_on_error"
				}
				t.Run(name, func(t *testing.T) {
					cfg := c.configure(t, target != "unauthorised")
					if target == "unreachable" {
						u, err := url.Parse(cfg.ClientConfig.Endpoint)
						require.NoError(t, err)
						dead, _ := url.Parse(closedURL(t))
						u.Host = dead.Host
						cfg.ClientConfig.Endpoint = u.String()
					}
					cfg.ConnectionCheck.Enabled = true
					cfg.ConnectionCheck.FailOnError = failOnError
					require.NoError(t, confmap.Validate(cfg))

					logs, err := startChecked(t, cfg)

					checks := logs.FilterMessageSnippet("Connection check")
					require.Equal(t, 1, checks.Len(), "one log line for the check")
					entry := checks.All()[0]
					fields := entry.ContextMap()
					assert.Equal(t, c.format, fields["format"])
					for _, secret := range []string{"wrong-hec-token", "wrong-datadog-key", "wrong-elastic-key", "wrong-webhook-token",
						hecTestToken, ddsink.Key, essink.Key, webhookTestToken} {
						for k, v := range fields {
							assert.NotContains(t, toString(v), secret, k)
						}
						if err != nil {
							assert.NotContains(t, err.Error(), secret)
						}
					}
					switch target {
					case "healthy":
						require.NoError(t, err)
						assert.Equal(t, zapcore.InfoLevel, entry.Level)
						assert.Equal(t, "Connection check passed", entry.Message)
						assert.EqualValues(t, c.healthy, fields["status"])
						return
					case "unauthorised":
						assert.EqualValues(t, c.refused, fields["status"])
						assert.Contains(t, fields["reason"], c.refusedMsg)
					case "unreachable":
						assert.NotContains(t, fields, "status")
						assert.Contains(t, fields["reason"], "the request failed")
						assert.Contains(t, fields["fix"], "reachable")
					}
					assert.NotEmpty(t, fields["fix"])
					if !failOnError {
						require.NoError(t, err, "a failed check only warns unless fail_on_error")
						assert.Equal(t, zapcore.WarnLevel, entry.Level)
						return
					}
					require.Error(t, err)
					assert.Equal(t, zapcore.ErrorLevel, entry.Level)
					assert.Contains(t, err.Error(), "connection check")
					assert.Contains(t, err.Error(), fields["reason"])
					assert.Contains(t, err.Error(), fields["fix"])
					assert.Contains(t, err.Error(), "connection_check::fail_on_error: false")
				})
			}
		}
	}
}

func TestConnectionCheckPostsTheSeedTestEvent(t *testing.T) {
	s := webhookServer(t)
	cfg := testCfg(s.URL + "/hook")
	cfg.ClientConfig.Headers.Set("Authorization", configopaque.String("Bearer "+webhookTestToken))
	cfg.ConnectionCheck.Enabled = true

	_, err := startChecked(t, cfg)

	require.NoError(t, err)
	got := s.Wait(t, 1)[0]
	var ev struct {
		EventType string         `json:"event_type"`
		Severity  string         `json:"severity"`
		Source    string         `json:"source"`
		Data      map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got.Body, &ev))
	assert.Equal(t, "connection_test", ev.EventType)
	assert.Equal(t, "info", ev.Severity)
	assert.Equal(t, "sentyr", ev.Source)
	assert.NotEmpty(t, ev.Data["message"])
}

func TestConnectionCheckIsOffByDefault(t *testing.T) {
	s := webhookServer(t)
	logs, err := startChecked(t, testCfg(s.URL))
	require.NoError(t, err)
	assert.Zero(t, len(s.Requests()), "nothing is sent at start")
	assert.Zero(t, logs.FilterMessageSnippet("Connection check").Len())
}

// The URLs each format's check derives are tested in formats/builtin; here
// connection_check::endpoint overrides them.
func TestConnectionCheckEndpointOverridesTheDerivedURL(t *testing.T) {
	cfg := testCfg("https://user:pw@es.example.com:9200/sentyr/_doc")
	cfg.Format = "elastic"
	check := connectionCheckOf(cfg.Format)
	require.NotNil(t, check)
	assert.Equal(t, "https://es.example.com:9200/", cfg.checkURL(check))
	cfg.ConnectionCheck.Endpoint = "https://es-health.example.com/ping"
	assert.Equal(t, "https://es-health.example.com/ping", cfg.checkURL(check))
	assert.Nil(t, connectionCheckOf("custom"), "a format without a check of its own posts the test event")
}

func TestConnectionCheckEndpointIsValidated(t *testing.T) {
	cfg := testCfg("https://siem.example.com/hook")
	cfg.ConnectionCheck.Endpoint = "splunk.example.com/health"
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `connection_check::endpoint: "splunk.example.com/health" is not an http:// or https:// URL`)
}
