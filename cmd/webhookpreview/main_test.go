package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"go.yaml.in/yaml/v3"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/auth"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the command's output")

const hmacSecret = "0123456789abcdef0123456789abcdef"

// testNow is when the tests' events without a time of their own are
// observed: a run of the command observes them at the current time, as the
// collector does; the tests need the same output on every run.
func testNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// previewOut runs the command and returns its output with the platform
// in the User-Agent made neutral, so the golden files hold on any machine.
func previewOut(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, testNow)
	s := strings.ReplaceAll(out.String(), "("+runtime.GOOS+"/"+runtime.GOARCH+")", "(os/arch)")
	return s, errOut.String(), code
}

// TestGoldenExamples: for each configuration in examples/ (each of its
// webhook exporters, when it has several), the command's output with the
// built-in event, and with examples/events.jsonl, is the one in testdata
// (go test -run TestGoldenExamples -update rewrites it).
func TestGoldenExamples(t *testing.T) {
	t.Setenv("WEBHOOK_SECRET", hmacSecret)
	files, err := filepath.Glob("../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		for _, events := range []string{"", "../../examples/events.jsonl"} {
			for _, exporter := range exampleExporters(t, f) {
				goldenExample(t, f, exporter, events)
			}
		}
	}
}

// exampleExporters are the webhook exporters of a configuration with
// several, each previewed on its own; "" (the only one) otherwise.
func exampleExporters(t *testing.T, path string) []string {
	conf, err := loadConfig(context.Background(), path)
	require.NoError(t, err)
	exps, err := conf.Sub("exporters")
	require.NoError(t, err)
	var ids []string
	for id := range exps.ToStringMap() {
		if id == "webhook" || strings.HasPrefix(id, "webhook/") {
			ids = append(ids, id)
		}
	}
	if len(ids) < 2 {
		return []string{""}
	}
	slices.Sort(ids)
	return ids
}

func goldenExample(t *testing.T, f, exporter, events string) {
	name := strings.TrimSuffix(filepath.Base(f), ".yaml")
	args := []string{"-config", f}
	if exporter != "" {
		name += "." + strings.TrimPrefix(exporter, "webhook/")
		args = append(args, "-exporter", exporter)
	}
	if events != "" {
		name += ".events"
		args = append(args, "-events", events)
	}
	t.Run(name, func(t *testing.T) {
		out, errOut, code := previewOut(t, args...)
		require.Equal(t, 0, code, errOut)
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err)
		assert.Equal(t, string(want), out)
	})
}

// TestInvalidConfigExitsOne: a configuration the collector refuses is
// refused with the exporter's own message and exit code 1.
func TestInvalidConfigExitsOne(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("exporters:\n  webhook:\n    endpoint: https://siem.example.com/in\n    format: no_such_format\n"), 0o600))
	_, errOut, code := previewOut(t, "-config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "exporters::webhook:")
	assert.Contains(t, errOut, "no_such_format")
}

// TestUnsetVariableIsShown: an unset ${env:X} does not fail the preview
// but shows where it lands.
func TestUnsetVariableIsShown(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "env.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("exporters:\n  webhook:\n    endpoint: https://siem.example.com/in\n    headers:\n      X-Tenant: ${env:PREVIEW_TEST_UNSET_TENANT}\n"), 0o600))
	out, errOut, code := previewOut(t, "-config", cfg)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "POST https://siem.example.com/in\n")
	assert.Contains(t, out, "X-Tenant: [REDACTED]\n")
}

// TestSameRequestAsTheExporter: the command's request for the HMAC example
// is, header for header and byte for byte, what the exporter built from
// the same configuration sends to a real server.
func TestSameRequestAsTheExporter(t *testing.T) {
	t.Setenv("WEBHOOK_SECRET", hmacSecret)
	ctx := context.Background()
	conf, err := loadConfig(ctx, "../../examples/hmac.yaml")
	require.NoError(t, err)

	p, err := build(ctx, conf, "", nil)
	require.NoError(t, err)
	ld, err := loadEvents("", "", testNow())
	require.NoError(t, err)
	require.NoError(t, p.export(ctx, ld))
	p.close(ctx)
	require.Len(t, p.reqs, 1)
	shown := p.reqs[0]

	srv := testsink.NewRecorder(t, nil)

	_, expConf, err := pickExporter(conf, "")
	require.NoError(t, err)
	ef := webhookexporter.NewFactory()
	cfg := ef.CreateDefaultConfig().(*webhookexporter.Config)
	require.NoError(t, expConf.Unmarshal(cfg))
	cfg.ClientConfig.Endpoint = srv.URL + "/security/events"
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	aid := cfg.ClientConfig.Auth.Get().AuthenticatorID
	extConf, err := conf.Sub("extensions::" + aid.String())
	require.NoError(t, err)
	af := auth.NewFactory()
	acfg := af.CreateDefaultConfig()
	require.NoError(t, extConf.Unmarshal(acfg))
	ext, err := af.Create(ctx, extensiontest.NewNopSettings(af.Type()), acfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(ctx, host{}))
	defer func() { require.NoError(t, ext.Shutdown(ctx)) }()
	set := exportertest.NewNopSettings(ef.Type())
	set.ID = component.MustNewIDWithName("webhook", "security")
	set.BuildInfo = distribution
	exp, err := ef.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, host{aid: ext}))
	require.NoError(t, exp.ConsumeLogs(ctx, ld))
	require.NoError(t, exp.Shutdown(ctx))

	require.Len(t, srv.Requests(), 1)
	got := srv.Requests()[0]
	assert.Equal(t, got.Method, shown.method)
	assert.Equal(t, "https://api.example.com"+got.Path, shown.url)
	assert.Equal(t, string(got.Raw), string(shown.body))
	want := got.Header.Clone()
	want.Set("Host", "api.example.com")
	assert.Equal(t, want, shown.header)
}

// TestPrintedSignatureVerifiesWithTheGuide: the signature the command
// prints for the HMAC example verifies, with the guide's verify_signature,
// against the body it prints.
func TestPrintedSignatureVerifiesWithTheGuide(t *testing.T) {
	py, err := exec.LookPath("python3")
	require.NoError(t, err, "python3 is required to run the guide's verify_signature")
	t.Setenv("WEBHOOK_SECRET", hmacSecret)
	out, errOut, code := previewOut(t, "-config", "../../examples/hmac.yaml")
	require.Equal(t, 0, code, errOut)
	var sig, body string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "X-Signature: "); ok {
			sig = v
		}
		if l == "" && body == "" && i+1 < len(lines) {
			body = lines[i+1]
		}
	}
	require.NotEmpty(t, sig)
	require.NotEmpty(t, body)
	// The auth package's copy of the guide's verify_signature: one JSON
	// case a line on stdin, "ok" or "rejected: ..." a line on stdout.
	for secret, want := range map[string]string{hmacSecret: "ok", "another secret": "rejected: signature mismatch"} {
		in, err := json.Marshal(map[string]string{"body": base64.StdEncoding.EncodeToString([]byte(body)), "signature": sig, "secret": secret})
		require.NoError(t, err)
		cmd := exec.CommandContext(t.Context(), py, "../../auth/testdata/verify_seed.py")
		cmd.Stdin = bytes.NewReader(append(in, '\n'))
		res, err := cmd.CombinedOutput()
		require.NoError(t, err, string(res))
		assert.Equal(t, want, strings.TrimSpace(string(res)), "secret %q", secret)
	}
}

// TestShowsWhatIsDropped: a template that renders invalid JSON sends
// nothing, and the command prints the exporter's reason for the drop.
func TestShowsWhatIsDropped(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad-template.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("exporters:\n  webhook:\n    endpoint: https://api.example.com/alerts\n    format: custom\n    custom:\n      template: '{\"type\": {{ event_type }}}'\n      batch: event\n"), 0o600))
	out, errOut, code := previewOut(t, "-config", cfg)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "no request would be sent\n")
	assert.Contains(t, out, "dropped: An event could not be encoded; it is dropped")
	assert.Contains(t, out, "reason=custom::template: the rendered payload is not valid JSON")
	assert.NotContains(t, out, "Exporting failed")
}

// TestTokenRequestShownNotMade: with OAuth2 the token request is printed
// first, addressed to the configured token URL, and neither the client
// secret nor the made-up token is printed.
func TestTokenRequestShownNotMade(t *testing.T) {
	const clientSecret = "s3cr3t-client-value"
	cfg := filepath.Join(t.TempDir(), "oauth2.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`extensions:
  webhookauth/oauth:
    oauth2:
      token_url: https://auth.example.com/oauth/token
      client_id: sentyr
      client_secret: `+clientSecret+`
exporters:
  webhook:
    endpoint: https://siem.example.com/in
    auth:
      authenticator: webhookauth/oauth
`), 0o600))
	out, errOut, code := previewOut(t, "-config", cfg)
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, "POST https://auth.example.com/oauth/token\n"), out)
	assert.Contains(t, out, "\n\nPOST https://siem.example.com/in\n")
	assert.Contains(t, out, "Authorization: Bearer [REDACTED]\n")
	assert.NotContains(t, out, clientSecret)
	assert.NotContains(t, out, "preview-access-token")
}

// TestOTLPEvents: -otlp reads OTLP/JSON logs, here the README's example.
func TestOTLPEvents(t *testing.T) {
	out, errOut, code := previewOut(t, "-config", "../../examples/quickstart.yaml", "-otlp", "../../examples/event.otlp.json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "POST http://127.0.0.1:8088/events\n")
	assert.Contains(t, out, `"event_type": "file_shared_externally"`)
}

// TestSendVerdicts: with -send the request reaches the configured
// endpoint, its answer is printed, and the verdict is the exporter's.
func TestSendVerdicts(t *testing.T) {
	for status, want := range map[int]string{
		http.StatusOK:                 "verdict: delivered\n",
		http.StatusServiceUnavailable: "verdict: retried",
		http.StatusBadRequest:         "verdict: dropped",
	} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(status)
				_, _ = io.WriteString(w, "answer from the endpoint")
			})
			cfg := filepath.Join(t.TempDir(), "send.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte("exporters:\n  webhook:\n    endpoint: "+srv.URL+"/in\n"), 0o600))
			out, errOut, code := previewOut(t, "-config", cfg, "-send")
			require.Equal(t, 0, code, errOut)
			require.Len(t, srv.Requests(), 1)
			assert.Contains(t, string(srv.Requests()[0].Body), `"event_type":"file_shared_externally"`)
			assert.Contains(t, out, "answered: "+strconv.Itoa(status)+" "+http.StatusText(status)+" answer from the endpoint\n")
			assert.Contains(t, out, want)
		})
	}
}

// TestEveryFormatPreviewsDelivered: the preview answers each built-in
// format as the format table says its service answers taking every event,
// so the exporter reports the guide's batch delivered, not an error.
func TestEveryFormatPreviewsDelivered(t *testing.T) {
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			settings := map[string]any{"format": b.Name, "endpoint": "https://siem.example.com" + b.Service.Path}
			maps.Copy(settings, b.Service.Settings)
			doc, err := yaml.Marshal(map[string]any{"exporters": map[string]any{"webhook": settings}})
			require.NoError(t, err)
			out, errOut, code := previewOut(t, "-config", writeConfig(t, string(doc)), "-events", "../../examples/events.jsonl")
			require.Equal(t, 0, code, errOut)
			assert.NotContains(t, out, "export error", out)
		})
	}
}

// TestGoogleTokenURIHasOneWidth: the made-up key's token_uri, the
// assertion's audience, is as long whatever port the recorder got, so the
// token request's Content-Length (in the goldens) does not change with it;
// and a port written with leading zeros still reaches the recorder.
func TestGoogleTokenURIHasOneWidth(t *testing.T) {
	for _, port := range []string{"1", "80", "8080", "45678", "65535"} {
		got := fixedWidthPort("http://127.0.0.1:" + port + "/token")
		assert.Len(t, got, len("http://127.0.0.1:65535/token"), got)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "reached") }))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	resp, err := srv.Client().Post("http://127.0.0.1:00"+port+"/token", "text/plain", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "reached", string(body))
}
