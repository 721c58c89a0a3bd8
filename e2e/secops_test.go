//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
	"github.com/sentyr/webhookexporter/internal/testsink/tokens"
)

// TestEndToEndSecOpsExample runs the distribution with examples/secops.yaml,
// pointed by its ${env:...} settings at stand-ins: a Google token endpoint
// that takes only assertions signed by the service account's key (checked
// with its public half), and the Chronicle API's logs:import that takes
// only its tokens. The guide's example event arrives as one Log whose data
// is the json payload (the golden), in the example's namespace and labels,
// and no line of the collector's output holds the key, the assertion or
// the token.
func TestEndToEndSecOpsExample(t *testing.T) {
	root := repoRoot(t)
	g := tokens.NewGoogle(t, time.Hour)
	key := g.NewKey(t)
	keyFile := filepath.Join(t.TempDir(), "secops-key.json")
	require.NoError(t, os.WriteFile(keyFile, key, 0o600))
	b, ok := builtin.LookupBuiltin("secops")
	require.True(t, ok)
	sink := testsink.NewChecked(t, b, g.Valid)
	require.Contains(t, string(must(os.ReadFile(filepath.Join(root, "examples", "secops.yaml")))), "}"+b.Service.Path+"\n",
		"the example's endpoint is the stand-in's path after ${env:SECOPS_URL}")

	otlpAddr := testsink.HeldAddr(t)
	col := startCollector(t, filepath.Join(root, "examples", "secops.yaml"), root, envFor(
		"GOOGLE_APPLICATION_CREDENTIALS", keyFile,
		"SECOPS_URL", sink.URL,
		"OTLP_HTTP_ENDPOINT", otlpAddr,
	)...)
	postSeedUntil(t, col, otlpAddr, func() bool { return len(sink.Taken()) > 0 },
		func() string { return fmt.Sprintf("seen: %v; token refusals: %v", sink.Requests(), g.Refusals()) })
	taken := sink.Taken()
	require.Len(t, taken, 1)
	assert.Empty(t, g.Refusals())
	assert.EqualValues(t, 1, g.Fetches())
	assert.Equal(t, b.Service.Path, taken[0].Path)

	golden, err := os.ReadFile(filepath.Join(root, "formats", "builtin", "testdata", "golden", "secops.json"))
	require.NoError(t, err)
	require.Len(t, taken[0].EventBodies, 1)
	assert.JSONEq(t, string(golden), string(taken[0].EventBodies[0]))
	var body struct {
		InlineSource struct {
			Logs []struct {
				LogEntryTime         string                       `json:"logEntryTime"`
				EnvironmentNamespace string                       `json:"environmentNamespace"`
				Labels               map[string]map[string]string `json:"labels"`
			} `json:"logs"`
		} `json:"inlineSource"`
	}
	require.NoError(t, json.Unmarshal(taken[0].Body, &body))
	log := body.InlineSource.Logs[0]
	assert.Equal(t, "2025-10-29T12:00:00Z", log.LogEntryTime)
	assert.Equal(t, "prod", log.EnvironmentNamespace)
	assert.Equal(t, map[string]map[string]string{"env": {"value": "prod"}}, log.Labels)

	require.NoError(t, col.stop(t))
	out := col.output.String()
	var k struct {
		PrivateKey string `json:"private_key"`
	}
	require.NoError(t, json.Unmarshal(key, &k))
	for _, line := range strings.Split(k.PrivateKey, "\n")[1:4] {
		assert.NotContains(t, out, line)
	}
	for _, a := range g.Assertions() {
		assert.NotContains(t, out, a[strings.LastIndexByte(a, '.')+1:])
	}
	tok := strings.TrimPrefix(taken[0].Header.Get("Authorization"), "Bearer ")
	require.NotEmpty(t, tok)
	assert.NotContains(t, out, tok)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
