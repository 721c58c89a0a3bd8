package webhookexporter

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
		cfg.Format = "splunk_hec"
		cfg.SplunkHEC.Token = configopaque.String(echoHEC)
		return cfg
	}},
	{"datadog api_key", plainShape, []string{echoDD}, func(endpoint string) *Config {
		cfg := testCfg(endpoint + "/api/v1/events")
		cfg.Format = "datadog"
		cfg.Datadog.APIKey = configopaque.String(echoDD)
		return cfg
	}},
	{"elastic api_key", map[string]echosink.Shape{"plain": echosink.Plain, "bulk": echosink.Bulk},
		[]string{echoESEnc, echoESID + ":" + echoESKey, echoESKey}, func(endpoint string) *Config {
			cfg := testCfg(endpoint + "/sentyr/_bulk")
			cfg.Format = "elastic"
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
		{"unparsable", func(c *Config) {
			c.ClientConfig.Endpoint = "https://user:SECRET-1@siem example.com/hook?token=SECRET-2"
		}, "endpoint:"},
		{"elastic", func(c *Config) {
			c.Format = "elastic"
			c.ClientConfig.Endpoint = "https://user:SECRET-1@es example.com/_bulk?token=SECRET-2"
		}, "endpoint:"},
		{"no scheme", func(c *Config) { c.ClientConfig.Endpoint = "user:SECRET-1@siem.example.com/hook?token=SECRET-2" }, "endpoint: missing scheme"},
		{"connection check", func(c *Config) { c.ConnectionCheck.Endpoint = "user:SECRET-1@splunk.example.com/health?token=SECRET-2" },
			"connection_check::endpoint:"},
		// A "/" in the password ends the host early: the rest of the
		// password is not a port, and url.Parse quotes it.
		{"slash in password", func(c *Config) { c.ClientConfig.Endpoint = "https://user:SE/CRET@host/path" }, "%2F"},
		{"slash in password, connection check", func(c *Config) { c.ConnectionCheck.Endpoint = "https://user:SE/CRET@host/path" },
			"connection_check::endpoint:"},
		{"bad escape in password", func(c *Config) { c.ClientConfig.Endpoint = "https://user:SE%zzCRET@host/path" }, "endpoint:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testCfg("https://siem.example.com/hook")
			tt.tune(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.field)
			for _, piece := range []string{"SE", "CRET"} {
				assert.NotContains(t, err.Error(), piece)
			}
		})
	}
}

// malformedEcho is a receiver that answers with a status line made of the
// request's X-Api-Key, which Go's client quotes in its error.
func malformedEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			req, err := http.ReadRequest(bufio.NewReader(conn))
			if err == nil {
				_, _ = io.Copy(io.Discard, req.Body)
				_, _ = fmt.Fprintf(conn, "HTTP/1.1 %s\r\n\r\n", req.Header.Get("X-Api-Key"))
			}
			_ = conn.Close()
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// spanTexts is every string the exporter's spans hold: attributes, status
// descriptions, events.
func spanTexts(exp *testExporter) []string {
	var out []string
	for _, s := range exp.telemetry.SpanRecorder.Ended() {
		out = append(out, s.Name()+" "+s.Status().Description)
		for _, kv := range s.Attributes() {
			out = append(out, string(kv.Key)+"="+kv.Value.String())
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				out = append(out, string(kv.Key)+"="+kv.Value.String())
			}
		}
	}
	return out
}

// TestTransportErrorsAndSpansHoldNoCredentials: a credential that a
// receiver puts where Go's client quotes it (a malformed status line) is
// redacted from the error, the log lines and the client's spans; the
// spans' url.full has no query.
func TestTransportErrorsAndSpansHoldNoCredentials(t *testing.T) {
	const key = "HDR-s3cr/t+1@x&y"
	for name, endpoint := range map[string]string{
		"malformed answer": malformedEcho(t),
		"echo":             echosink.New(t, http.StatusInternalServerError, url.QueryEscape, echosink.Plain).URL,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := withoutQueue(testCfg(endpoint + "/hook?token=" + url.QueryEscape(echoQuery)))
			cfg.RetryConfig.Enabled = false
			cfg.ClientConfig.Headers.Set("X-Api-Key", configopaque.String(key))
			exp := startExporter(t, cfg)

			err := exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))

			require.Error(t, err)
			outputs := []string{err.Error()}
			for _, e := range exp.logs.All() {
				outputs = append(outputs, e.Message+" "+fmt.Sprint(e.ContextMap()))
			}
			spans := spanTexts(exp)
			require.NotEmpty(t, spans)
			assert.Empty(t, echosink.Leaks(append(outputs, spans...), []string{key, echoQuery}))
			assert.Contains(t, strings.Join(outputs, "\n"), "[redacted]", "the echo reached the outputs")
			if name == "malformed answer" {
				assert.Contains(t, err.Error(), `malformed HTTP status code "[redacted]"`)
			}
			assert.Contains(t, strings.Join(spans, "\n"), "url.full="+endpoint+"/hook", "the client's span")
		})
	}
}
