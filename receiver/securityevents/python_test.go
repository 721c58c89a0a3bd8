package securityevents

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// TestGuidePythonSender runs the guide's sending code shape (WebhookSender,
// format json, HMAC) with Python's standard library against the receiver
// checking the guide's signature: its four events come out of the json
// exporter as the payloads it sent, and a sender with another secret is
// refused.
func TestGuidePythonSender(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is required to run the guide's sending code (install Python 3 and put python3 on PATH): %v", err)
	}
	const secret = "guide-secret"
	srv := testsink.NewFormat(t, "json")
	cfg := testConfig()
	cfg.Verify = VerifyConfig{Method: methodHMAC, Secret: secret}
	s := startReceiver(t, cfg, jsonExporter(t, srv.Endpoint()))

	cmd := exec.CommandContext(t.Context(), py, "testdata/guide_sender.py", s.url, secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "python3: %s", stderr.String())

	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 5, "%s", out)
	assert.Equal(t, "sent 4/5", lines[4])
	assert.Contains(t, stderr.String(), "refused 401 securityevents: the sorted_json signature in X-Signature does not verify")
	var sent []string
	for _, l := range lines[:4] {
		sent = append(sent, compact(t, []byte(l)))
	}
	assert.Equal(t, sent, srv.CompactEvents(t))
}
