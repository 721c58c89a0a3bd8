package webhookexporter

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/metadata"
)

// TestConfigRefusesWhatCannotBeSent: a header name that is not an HTTP
// token, or a header or credential value with a line break, used to load
// and then fail every request, retried until max_elapsed_time. Now it
// fails at load, naming the field and never quoting the value.
func TestConfigRefusesWhatCannotBeSent(t *testing.T) {
	const secretPart = "s3cr3t-part"
	for _, tt := range []struct {
		name      string
		configure func(cfg *Config)
		want      string
	}{
		{"header name with a space", func(cfg *Config) { cfg.ClientConfig.Headers.Set("X Tenant", "blue") },
			`headers: "X Tenant" is not a valid HTTP header name`},
		{"header name with a colon", func(cfg *Config) { cfg.ClientConfig.Headers.Set("Authorization:", "Bearer "+secretPart) },
			`headers: "Authorization:" is not a valid HTTP header name`},
		{"header value with a newline", func(cfg *Config) {
			cfg.ClientConfig.Headers.Set("Authorization", configopaque.String("Bearer "+secretPart+"\n"))
		}, "headers::Authorization: contains a line break"},
		{"header value with CR LF", func(cfg *Config) {
			cfg.ClientConfig.Headers.Set("X-Tenant", configopaque.String("blue\r\nX-Injected: "+secretPart))
		}, "headers::X-Tenant: contains a line break"},
		{"splunk token", func(cfg *Config) {
			cfg.Format = "splunk_hec"
			cfg.SplunkHEC.Token = secretPart + "\n"
		}, "splunk_hec::token: contains a line break"},
		{"datadog api_key", func(cfg *Config) {
			cfg.Format = "datadog"
			cfg.Datadog.APIKey = secretPart + "\r"
		}, "datadog::api_key: contains a line break"},
		{"datadog_logs api_key", func(cfg *Config) {
			cfg.Format = "datadog_logs"
			cfg.DatadogLogs.APIKey = secretPart + "\n"
		}, "datadog_logs::api_key: contains a line break"},
		{"elastic api_key", func(cfg *Config) {
			cfg.Format = "elastic"
			cfg.ClientConfig.Endpoint = "https://es.example.com:9200/sentyr/_bulk"
			cfg.Elastic.APIKey = secretPart + "\n"
		}, "elastic::api_key: contains a line break"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testCfg("https://siem.example.com/hook")
			tt.configure(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secretPart)
		})
	}
	t.Run("valid headers load", func(t *testing.T) {
		cfg := testCfg("https://siem.example.com/hook")
		cfg.ClientConfig.Headers.Set("X-Tenant", "blue\tgreen")
		assert.NoError(t, confmap.Validate(cfg))
	})
}

// passAuth is an auth extension that adds nothing: enough for the
// exporter to build its client with auth set.
type passAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (passAuth) RoundTripper(base http.RoundTripper) (http.RoundTripper, error) { return base, nil }

type authHost map[component.ID]component.Component

func (h authHost) GetExtensions() map[component.ID]component.Component { return h }

var passAuthID = component.MustNewID("passauth")

// startWarned starts an exporter whose host has passAuth and returns its
// log lines.
func startWarned(t *testing.T, cfg *Config) *observer.ObservedLogs {
	t.Helper()
	require.NoError(t, confmap.Validate(cfg))
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), authHost{passAuthID: passAuth{}}))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return logs
}

const sentinelTestEndpoint = "https://dce.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents?api-version=2023-01-01"

// TestStartWarnsAboutUnsafeSettings: settings that load but are unsafe, or
// that the real service refuses, are each logged once at start with the
// fix; safe ones log no warning.
func TestStartWarnsAboutUnsafeSettings(t *testing.T) {
	const (
		insecure   = "tls::insecure_skip_verify is true"
		clearText  = "Credentials go over plain http://"
		noCredHint = "No credential configured"
	)
	withAuth := func(cfg *Config) {
		cfg.ClientConfig.Auth = configoptional.Some(configauth.Config{AuthenticatorID: passAuthID})
	}
	for _, tt := range []struct {
		name      string
		endpoint  string
		configure func(cfg *Config)
		warning   string // "" for no warning at all
		fields    map[string]string
	}{
		{"insecure_skip_verify", "https://siem.example.com/hook", func(cfg *Config) { cfg.ClientConfig.TLS.InsecureSkipVerify = true },
			insecure, map[string]string{"endpoint": "https://siem.example.com/hook"}},
		{"bearer header over http", "http://siem.example.com/hook?key=x", func(cfg *Config) {
			cfg.ClientConfig.Headers.Set("Authorization", "Bearer secret-value")
			cfg.ClientConfig.Headers.Set("X-Tenant", "blue")
		}, clearText, map[string]string{"url": "http://siem.example.com/hook", "credentials": "headers::Authorization"}},
		{"splunk token over http", "http://splunk.example.com:8088/services/collector/event", func(cfg *Config) {
			cfg.Format = "splunk_hec"
			cfg.SplunkHEC.Token = "secret-value"
		}, clearText, map[string]string{"credentials": "splunk_hec::token"}},
		{"datadog key over http", "http://10.0.0.5/api/v1/events", func(cfg *Config) {
			cfg.Format = "datadog"
			cfg.Datadog.APIKey = "secret-value"
		}, clearText, map[string]string{"credentials": "datadog::api_key"}},
		{"elastic key over http", "http://es.example.com:9200/sentyr/_bulk", func(cfg *Config) {
			cfg.Format = "elastic"
			cfg.Elastic.APIKey = "secret-value"
		}, clearText, map[string]string{"credentials": "elastic::api_key"}},
		{"auth extension over http", "http://siem.example.com/hook", withAuth,
			clearText, map[string]string{"credentials": "auth::authenticator passauth"}},
		{"check endpoint over http", "https://splunk.example.com:8088/services/collector/event", func(cfg *Config) {
			cfg.Format = "splunk_hec"
			cfg.SplunkHEC.Token = "secret-value"
			cfg.ConnectionCheck.Endpoint = "http://splunk.example.com:8088/services/collector/event"
		}, clearText, map[string]string{"url": "http://splunk.example.com:8088/services/collector/event"}},
		{"splunk without a token", "https://splunk.example.com:8088/services/collector/event", func(cfg *Config) {
			cfg.Format = "splunk_hec"
		}, noCredHint, map[string]string{"format": "splunk_hec"}},
		{"datadog without a key", "https://api.datadoghq.com/api/v1/events", func(cfg *Config) {
			cfg.Format = "datadog"
		}, noCredHint, map[string]string{"format": "datadog"}},
		{"datadog_logs without a key", "https://http-intake.logs.datadoghq.com/api/v2/logs", func(cfg *Config) {
			cfg.Format = "datadog_logs"
		}, noCredHint, map[string]string{"format": "datadog_logs"}},
		{"datadog_logs key over http", "http://10.0.0.5/api/v2/logs", func(cfg *Config) {
			cfg.Format = "datadog_logs"
			cfg.DatadogLogs.APIKey = "secret-value"
		}, clearText, map[string]string{"credentials": "datadog_logs::api_key"}},
		{"sentinel without a token", sentinelTestEndpoint, func(cfg *Config) {
			cfg.Format = "sentinel"
		}, noCredHint, map[string]string{"format": "sentinel"}},
		{"sentinel through the auth extension", sentinelTestEndpoint, func(cfg *Config) {
			cfg.Format = "sentinel"
			withAuth(cfg)
		}, "", nil},

		{"credentials over http to loopback", "http://127.0.0.1:8080/hook", func(cfg *Config) {
			cfg.ClientConfig.Headers.Set("Authorization", "Bearer secret-value")
		}, "", nil},
		{"credentials over http to localhost", "http://localhost:8088/services/collector/event", func(cfg *Config) {
			cfg.Format = "splunk_hec"
			cfg.SplunkHEC.Token = "secret-value"
		}, "", nil},
		{"http without credentials", "http://siem.example.com/hook", func(cfg *Config) {
			cfg.ClientConfig.Headers.Set("X-Tenant", "blue")
		}, "", nil},
		{"splunk token in a header", "https://splunk.example.com:8088/services/collector/event", func(cfg *Config) {
			cfg.Format = "splunk_hec"
			cfg.ClientConfig.Headers.Set("authorization", "Splunk secret-value")
		}, "", nil},
		{"splunk through the auth extension", "https://splunk.example.com:8088/services/collector/event", func(cfg *Config) {
			cfg.Format = "splunk_hec"
			withAuth(cfg)
		}, "", nil},
		{"datadog key in a header", "https://api.datadoghq.com/api/v1/events", func(cfg *Config) {
			cfg.Format = "datadog"
			cfg.ClientConfig.Headers.Set("DD-API-KEY", "secret-value")
		}, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testCfg(tt.endpoint)
			tt.configure(cfg)
			logs := startWarned(t, cfg)

			warnings := logs.FilterLevelExact(zapcore.WarnLevel)
			if tt.warning == "" {
				assert.Zero(t, warnings.Len(), "%v", warnings.All())
				return
			}
			require.Equal(t, 1, warnings.Len(), "%v", warnings.All())
			got := warnings.FilterMessageSnippet(tt.warning)
			require.Equal(t, 1, got.Len(), "warned once: %v", warnings.All())
			fields := got.All()[0].ContextMap()
			for k, v := range tt.fields {
				assert.Equal(t, v, fields[k], k)
			}
			for k, v := range fields {
				assert.NotContains(t, toString(v), "secret-value", k)
				assert.NotContains(t, toString(v), "key=x", k)
			}
		})
	}
}

// TestConnectionCheckUntrustedCertificateHint: a check that fails on the
// receiver's certificate says to set tls::ca_file, as a delivery does.
func TestConnectionCheckUntrustedCertificateHint(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			conf := map[string]any{"endpoint": srv.URL + b.Service.Path, "format": b.Name}
			maps.Copy(conf, b.Service.Settings)
			cfg := testCfg("")
			require.NoError(t, confmap.NewFromStringMap(conf).Unmarshal(cfg))
			cfg.ConnectionCheck.Enabled = true

			logs, err := startChecked(t, cfg)

			require.NoError(t, err)
			checks := logs.FilterMessageSnippet("Connection check failed")
			require.Equal(t, 1, checks.Len())
			fields := checks.All()[0].ContextMap()
			assert.Contains(t, fields["reason"], "the receiver's certificate is not trusted")
			assert.Contains(t, toString(fields["reason"])+toString(fields["fix"]), "set tls::ca_file to the CA that signed it")
		})
	}
	t.Run("ca_file makes it pass", func(t *testing.T) {
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
		cfg := testCfg(srv.URL + "/sentyr/_bulk")
		cfg.Format = "elastic"
		cfg.ClientConfig.TLS.CAFile = caFile
		cfg.ConnectionCheck.Enabled = true
		logs, err := startChecked(t, cfg)
		require.NoError(t, err)
		assert.Equal(t, 1, logs.FilterMessage("Connection check passed").Len())
	})
}

// TestNoCredentialWarningNamesTheUnsetVariable: a token written as
// ${env:NAME} with NAME unset resolves to "", so the one warning about the
// missing credential also says that the variable may be unset, and points
// at the collector's line that names it.
func TestNoCredentialWarningNamesTheUnsetVariable(t *testing.T) {
	cfg := testCfg("https://splunk.example.com:8088/services/collector/event")
	cfg.Format = "splunk_hec"
	cfg.SplunkHEC.Token = "" // what ${env:SPLUNK_HEC_TOKEN} resolves to when it is unset
	warnings := startWarned(t, cfg).FilterLevelExact(zapcore.WarnLevel).All()
	require.Len(t, warnings, 1)
	msg := warnings[0].Message
	assert.Contains(t, msg, "No credential configured: set splunk_hec::token")
	assert.Contains(t, msg, "written as ${env:NAME}, that variable is unset or empty")
	assert.Contains(t, msg, `"Configuration references unset environment variable"`)
}
