package webhookexporter

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	t.Run("self-signed is refused with a way out", func(t *testing.T) {
		cfg := withoutQueue(testCfg(srv.URL))
		cfg.RetryConfig.Enabled = false
		exp := startExporter(t, cfg)

		err := exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))

		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate is not trusted")
		assert.Contains(t, err.Error(), "tls::ca_file")
		assert.Contains(t, err.Error(), "insecure_skip_verify: true turns the check off and is for testing only")
	})
	t.Run("ca_file makes it pass", func(t *testing.T) {
		cfg := withoutQueue(testCfg(srv.URL))
		cfg.ClientConfig.TLS.CAFile = caFile
		exp := startExporter(t, cfg)

		assert.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	})
	t.Run("insecure_skip_verify, the guide's verify_ssl false", func(t *testing.T) {
		cfg := withoutQueue(testCfg(srv.URL))
		cfg.ClientConfig.TLS.InsecureSkipVerify = true
		exp := startExporter(t, cfg)

		assert.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	})
}
