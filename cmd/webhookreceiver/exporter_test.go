package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/auth"
)

// host offers the started extension to the exporter, as the collector does.
type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// exportTo sends the guide's example event, with a non-ASCII owner, through
// the webhook exporter signed by a webhookauth hmac extension configured by
// hmacConf.
func exportTo(t *testing.T, endpoint string, hmacConf map[string]any, compression configcompression.Type) {
	t.Helper()
	ctx := context.Background()
	id := component.MustNewIDWithName("webhookauth", "sign")
	af := auth.NewFactory()
	acfg := af.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"hmac": hmacConf}).Unmarshal(acfg))
	require.NoError(t, confmap.Validate(acfg))
	ext, err := af.Create(ctx, extensiontest.NewNopSettings(af.Type()), acfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(ctx, nil))
	defer func() { require.NoError(t, ext.Shutdown(ctx)) }()

	ef := webhookexporter.NewFactory()
	cfg := ef.CreateDefaultConfig().(*webhookexporter.Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.ClientConfig.Compression = compression
	cfg.ClientConfig.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	require.NoError(t, confmap.Validate(cfg))
	exp, err := ef.CreateLogs(ctx, exportertest.NewNopSettings(ef.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, host{id: ext}))
	defer func() { require.NoError(t, exp.Shutdown(ctx)) }()

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("file_shared_externally")
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)))
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(map[string]any{
		"file_id": "abc123", "file_name": "sensitive.pdf",
		"owner": "zoë@example.com", "shared_with": "external@partner.com",
	}))
	require.NoError(t, exp.ConsumeLogs(ctx, ld))
}

// TestVerifiesWhatTheExporterSigns: for each HMAC scheme of the webhookauth
// extension, the receiver started with the same settings says the request
// verified, and with another secret that it did not.
func TestVerifiesWhatTheExporterSigns(t *testing.T) {
	swSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	tests := []struct {
		name        string
		hmac        map[string]any
		compression configcompression.Type
		verify      verifier
		want        string
	}{
		{
			name:   "sorted_json",
			hmac:   map[string]any{"secret": secret},
			verify: verifier{scheme: schemeSortedJSON, header: "X-Signature"},
			want:   "verified (sorted_json, X-Signature)",
		},
		{
			name:        "seed, gzip",
			hmac:        map[string]any{"secret": secret},
			compression: configcompression.TypeGzip,
			verify:      verifier{scheme: schemeSortedJSON, header: "X-Signature"},
			want:        "verified (sorted_json, X-Signature)",
		},
		{
			name:   "raw, GitHub style",
			hmac:   map[string]any{"secret": secret, "scheme": "raw", "header": "X-Hub-Signature-256", "prefix": "sha256="},
			verify: verifier{scheme: schemeRaw, header: "X-Hub-Signature-256", prefix: "sha256="},
			want:   "verified (raw, X-Hub-Signature-256)",
		},
		{
			name:   "raw with timestamp",
			hmac:   map[string]any{"secret": secret, "scheme": "raw", "timestamp_header": "X-Timestamp"},
			verify: verifier{scheme: schemeRaw, header: "X-Signature", timestampHeader: "X-Timestamp"},
			want:   "verified (raw, X-Signature + X-Timestamp)",
		},
		{
			name:   "standard webhooks",
			hmac:   map[string]any{"secret": swSecret, "scheme": "standard_webhooks"},
			verify: verifier{secret: swSecret, scheme: schemeStandardWebhooks},
			want:   "verified (standard_webhooks)",
		},
	}
	for _, tt := range tests {
		for _, right := range []bool{true, false} {
			name := tt.name + ", same secret"
			v := tt.verify
			if v.secret == "" {
				v.secret = secret
			}
			if !right {
				name = tt.name + ", another secret"
				v.secret = strings.Replace(v.secret, "0123", "3210", 1) + "x"
				if tt.verify.scheme == schemeStandardWebhooks {
					v.secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of thirty-two bytes!"))
				}
			}
			t.Run(name, func(t *testing.T) {
				var out bytes.Buffer
				srv := httptest.NewServer(newHandler(&out, options{status: 200, verify: v}))
				exportTo(t, srv.URL+"/events", tt.hmac, tt.compression)
				srv.Close()

				printed := out.String()
				require.Contains(t, printed, "POST /events")
				if right {
					assert.Contains(t, printed, "  signature: "+tt.want+"\n")
				} else {
					assert.Contains(t, printed, "  signature: NOT verified")
				}
				assert.Contains(t, printed, `"owner": "zoë@example.com"`)
				assert.NotContains(t, printed, v.secret)
			})
		}
	}
}
