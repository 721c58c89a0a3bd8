package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// The secrets of previewSecretsConfig, none of which may be printed.
var previewSecrets = []string{
	"ENDPOINT-PASS-1", "QUERY-SECRET-1", "CHECK-SECRET-1", "PROXY-PASS-1",
	"CLIENT-SECRET-1", "TOKEN-SECRET-1", "API-KEY-VALUE-1", "HEC-TOKEN-1", "DD-KEY-VALUE-1",
}

// countingServer is a local listener that counts the connections it gets.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "preview.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(yaml), 0o600))
	return cfg
}

// assertNoSecret: no secret, and no base64 of one, is in the output.
func assertNoSecret(t *testing.T, out string) {
	t.Helper()
	for _, s := range previewSecrets {
		assert.NotContains(t, out, s)
		assert.NotContains(t, out, base64.StdEncoding.EncodeToString([]byte("svc:"+s)))
	}
}

// previewConfigs are configurations that ask for every kind of request:
// a connection check to its own URL, a proxy, an OAuth2 token, an API key
// under a custom header, Datadog's check at api.<site>; the endpoint has a
// password in its user info and a secret in its query.
func previewConfigs(endpoint, check, proxy, token string) map[string]string {
	return map[string]string{
		"oauth2": `extensions:
  webhookauth/oauth:
    oauth2:
      token_url: ` + token + `/token
      client_id: sentyr
      client_secret: CLIENT-SECRET-1
exporters:
  webhook:
    endpoint: ` + endpoint + `
    proxy_url: http://svc:PROXY-PASS-1@` + strings.TrimPrefix(proxy, "http://") + `
    connection_check: {enabled: true, fail_on_error: true, endpoint: "` + check + `/check?token=CHECK-SECRET-1"}
    auth:
      authenticator: webhookauth/oauth
`,
		"api_key": `extensions:
  webhookauth/key:
    api_key:
      header: X-Custom-Key
      value: API-KEY-VALUE-1
exporters:
  webhook:
    endpoint: ` + endpoint + `
    proxy_url: ` + proxy + `
    connection_check: {enabled: true, endpoint: "` + check + `/check"}
    auth:
      authenticator: webhookauth/key
`,
		"splunk_hec": `exporters:
  webhook:
    endpoint: ` + endpoint + `
    format: splunk_hec
    splunk_hec: {token: HEC-TOKEN-1}
    proxy_url: ` + proxy + `
    connection_check: {enabled: true, fail_on_error: true, endpoint: "` + check + `/services/collector/event"}
`,
		"datadog site": `exporters:
  webhook:
    endpoint: ` + endpoint + `
    format: datadog
    datadog: {api_key: DD-KEY-VALUE-1, site: datadoghq.eu}
    proxy_url: ` + proxy + `
    connection_check: {enabled: true}
`,
	}
}

// TestPreviewSendsNothing: without -send no listener gets a connection,
// whatever the configuration asks for (connection check, proxy, token
// request, Datadog's site), the output says what was not done, and no
// secret is printed.
func TestPreviewSendsNothing(t *testing.T) {
	refuse := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }
	endpointSrv, endpointConns := countingServer(t, refuse)
	checkSrv, checkConns := countingServer(t, refuse)
	proxySrv, proxyConns := countingServer(t, refuse)
	tokenSrv, tokenConns := countingServer(t, refuse)
	endpoint := "http://svc:ENDPOINT-PASS-1@" + endpointSrv.Listener.Addr().String() + "/in?token=QUERY-SECRET-1&tenant=acme"
	for name, yaml := range previewConfigs(endpoint, checkSrv.URL, proxySrv.URL, tokenSrv.URL) {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := previewOut(t, "-config", writeConfig(t, yaml))
			require.Equal(t, 0, code, errOut)
			for listener, n := range map[string]*atomic.Int32{"endpoint": endpointConns, "check": checkConns, "proxy": proxyConns, "token": tokenConns} {
				assert.Zero(t, n.Load(), "connections to the %s listener", listener)
			}
			assert.Contains(t, out, "not done: connection_check: its request is shown, not sent")
			assert.Contains(t, out, "not done: proxy_url http://")
			assert.Contains(t, out, "/in?token=[REDACTED]&tenant=[REDACTED]\n")
			assert.NotContains(t, out, "recorders only", "a request the routing missed")
			assertNoSecret(t, out)
			switch name {
			case "oauth2":
				assert.Contains(t, out, "not done: oauth2: the token request is shown, not sent")
				assert.Contains(t, out, "POST "+tokenSrv.URL+"/token\n")
			case "splunk_hec":
				assert.Contains(t, out, "POST "+checkSrv.URL+"/services/collector/event\n", "the check is shown, not made")
			case "api_key":
				assert.Contains(t, out, "X-Custom-Key: [REDACTED]\n")
			case "datadog site":
				assert.Contains(t, out, "GET https://api.datadoghq.eu/api/v1/validate\n", "the check is shown, not made")
			}
		})
	}
}

// TestPreviewSendPrintsNoSecret: with -send against a receiver that
// refuses, echoing the request, or that cannot be reached, the answers,
// errors and "dropped:" lines hold no secret.
func TestPreviewSendPrintsNoSecret(t *testing.T) {
	echo, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "refused %s %s %v", r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header)
	})
	token, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"TOKEN-SECRET-1","token_type":"Bearer","expires_in":3600}`)
	})
	_, proxyConns := countingServer(t, func(http.ResponseWriter, *http.Request) {})
	closedAddr := testsink.HeldAddr(t)
	for receiver, addr := range map[string]string{"echoing": echo.Listener.Addr().String(), "closed": closedAddr} {
		endpoint := "http://svc:ENDPOINT-PASS-1@" + addr + "/in?token=QUERY-SECRET-1"
		for name, yaml := range previewConfigs(endpoint, "http://"+addr, "http://127.0.0.1:1", token.URL) {
			t.Run(receiver+"/"+name, func(t *testing.T) {
				out, errOut, code := previewOut(t, "-config", writeConfig(t, yaml), "-send")
				assertNoSecret(t, out)
				assertNoSecret(t, errOut)
				if code != 0 {
					// fail_on_error: the check's failure stops the start.
					assert.Contains(t, errOut, "connection check")
					return
				}
				assert.Contains(t, out, "verdict: ")
				if receiver == "echoing" && name != "datadog site" {
					assert.Contains(t, out, "answered: 400 Bad Request refused /in?")
				}
			})
		}
	}
	assert.Zero(t, proxyConns.Load())
}
