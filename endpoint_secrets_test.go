package webhookexporter

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/echosink"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// endpointToken is a credential in the path of an endpoint, where a format
// with EndpointSecrets (Slack's webhook) keeps it.
const endpointToken = "pathT0kenOfTheEndpoint99"

// TestEndpointPathSecretsAreNeverShown: for every format whose endpoint
// holds a credential in its path, no shown form of the endpoint carries
// it: a validation error, the error and log lines of a request that got
// no answer, the connection check's log line, the start warning about
// plain http, and the client's spans (url.full).
func TestEndpointPathSecretsAreNeverShown(t *testing.T) {
	checked := 0
	for _, b := range builtin.Builtins() {
		if b.EndpointSecrets == nil {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			path := "/services/T0/B0/" + endpointToken
			require.Equal(t, []string{endpointToken}, b.EndpointSecrets("https://hooks.example.com"+path), "the format names the token")
			checked++
			secrets := []string{endpointToken}

			cfg := testCfg("hooks.example.com" + path)
			cfg.Format = b.Name
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Empty(t, echosink.Leaks([]string{err.Error()}, secrets), "validation error")

			cfg = testCfg("http://hooks.example.com" + path)
			cfg.Format = b.Name
			cfg.ClientConfig.Headers.Set("X-Api-Key", configopaque.String("a-credential"))
			core, logs := observer.New(zap.WarnLevel)
			warnSettings(cfg, "", zap.New(core))
			require.NotEmpty(t, logs.All(), "the plain-http warning")
			assert.Empty(t, echosink.Leaks(logTexts(logs), secrets), "start warning")

			closed := "http://" + testsink.HeldAddr(t)
			cfg = withoutQueue(testCfg(closed + path))
			cfg.Format = b.Name
			cfg.RetryConfig.Enabled = false
			cfg.ConnectionCheck.Enabled = true
			exp := startExporter(t, cfg)
			err = exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))
			require.Error(t, err, "nothing listens")
			texts := append([]string{err.Error()}, logTexts(exp.logs)...)
			spans := spanTexts(exp)
			require.NotEmpty(t, spans)
			texts = append(texts, spans...)
			assert.Contains(t, strings.Join(texts, "\n"), "Connection check failed")
			assert.Contains(t, strings.Join(texts, "\n"), "url.full="+closed+"/services/T0/B0/[redacted]")
			assert.Empty(t, echosink.Leaks(texts, secrets))
		})
	}
	require.NotZero(t, checked, "a format holds a credential in its endpoint's path")
}

// logTexts is every observed log line with its fields.
func logTexts(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.All() {
		out = append(out, e.Message+" "+fmt.Sprint(e.ContextMap()))
	}
	return out
}
