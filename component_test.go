package webhookexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestComponentDelivers is the generated lifecycle test with a receiver:
// the factory's exporter, configured as metadata.yaml's tests (no queue, no
// retries) and then with the factory's defaults (the sending queue, which
// shutdown drains), delivers the lifecycle test's record to a local server.
func TestComponentDelivers(t *testing.T) {
	cm, err := confmaptest.LoadConf("metadata.yaml")
	require.NoError(t, err)
	testsConfig, err := cm.Sub("tests::config")
	require.NoError(t, err)

	for name, fromTests := range map[string]bool{"tests-config": true, "defaults": false} {
		t.Run(name, func(t *testing.T) {
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) })
			factory := NewFactory()
			cfg := factory.CreateDefaultConfig()
			if fromTests {
				require.NoError(t, testsConfig.Unmarshal(&cfg))
			}
			cfg.(*Config).ClientConfig.Endpoint = s.URL + "/webhook"

			exp, err := factory.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
			logs := generateLifecycleTestLogs()
			logs.MarkReadOnly()
			require.NoError(t, exp.ConsumeLogs(context.Background(), logs))
			require.NoError(t, exp.Shutdown(context.Background()))

			got := s.Wait(t, 1)
			require.Len(t, got, 1)
			var event struct {
				Data map[string]any `json:"data"`
			}
			require.NoError(t, json.Unmarshal(got[0].Body, &event), string(got[0].Body))
			assert.Equal(t, "test log message", event.Data["message"])
		})
	}
}

// TestE2EBehindTag: every end-to-end test file builds only with the e2e
// tag, so that go test ./... builds no collector (make test sets the tag).
func TestE2EBehindTag(t *testing.T) {
	files, err := filepath.Glob("e2e/*_test.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		first, _, _ := strings.Cut(string(src), "\n")
		assert.Equal(t, "//go:build e2e", first, f)
	}
}
