package main

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const secret = "s3cr3t-shared-key"

func hexMAC(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// serve sends one request through the handler and returns what it printed.
func serve(t *testing.T, o options, body string, hdr map[string]string) (string, *httptest.ResponseRecorder) {
	t.Helper()
	var out bytes.Buffer
	h := newHandler(&out, o)
	h.now = func() time.Time { return time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC) }
	req := httptest.NewRequest(http.MethodPost, "/events?x=1", strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return out.String(), rec
}

func defaults() options {
	return options{status: 200, verify: verifier{scheme: schemeSortedJSON, header: "X-Signature"}}
}

func TestHandlerPrintsRequest(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		hdr      map[string]string
		want     []string
		wantNone []string
	}{
		{
			name: "one JSON event, indented, key order kept",
			body: `{"timestamp":"2025-10-29T12:00:00Z","source":"sentyr","data":{"file_id":"abc123"}}`,
			hdr:  map[string]string{"Content-Type": "application/json"},
			want: []string{
				"POST /events?x=1  (from 192.0.2.1:1234 at 2025-10-29T12:00:00Z)\n",
				"  Content-Type: application/json\n",
				"  {\n    \"timestamp\": \"2025-10-29T12:00:00Z\",\n    \"source\": \"sentyr\",\n    \"data\": {\n      \"file_id\": \"abc123\"\n    }\n  }\n",
			},
		},
		{
			name: "NDJSON batch, each line indented",
			body: "{\"a\":1}\n{\"b\":2}\n",
			want: []string{"  {\n    \"a\": 1\n  }\n  {\n    \"b\": 2\n  }\n"},
		},
		{
			name: "gzip body decoded",
			body: gzipped(t, `{"a":1}`),
			hdr:  map[string]string{"Content-Encoding": "gzip"},
			want: []string{"  {\n    \"a\": 1\n  }\n"},
		},
		{
			name: "encoding not decoded here is said so",
			body: "\x28\xb5\x2f\xfd",
			hdr:  map[string]string{"Content-Encoding": "zstd"},
			want: []string{"(Content-Encoding zstd is not decoded here; body shown as received, 4 bytes)", `"(\xb5/\xfd"`},
		},
		{
			name: "text body as it is",
			body: "CEF:0|Sentyr|x",
			want: []string{"\nCEF:0|Sentyr|x\n"},
		},
		{
			name: "secrets redacted, other headers kept",
			body: `{}`,
			hdr: map[string]string{
				"Authorization":       "Bearer tok-AUTH-1",
				"X-API-Key":           "key-XAPI-2",
				"DD-API-KEY":          "key-DD-3",
				"X-Signature":         "sig-4",
				"X-Hub-Signature-256": "sha256=sig-5",
				"Webhook-Signature":   "v1,sig-6",
				"Cookie":              "session=sess-7",
				"X-Custom-Token":      "tok-8",
				"Idempotency-Key":     "b6a0c1d2",
				"User-Agent":          "otelcol-webhook/0.1.0",
			},
			want: []string{
				"  Authorization: Bearer [REDACTED]\n",
				"  X-Api-Key: [REDACTED]\n",
				"  Dd-Api-Key: [REDACTED]\n",
				"  X-Signature: [REDACTED]\n",
				"  X-Hub-Signature-256: [REDACTED]\n",
				"  Webhook-Signature: [REDACTED]\n",
				"  Cookie: [REDACTED]\n",
				"  X-Custom-Token: [REDACTED]\n",
				"  Idempotency-Key: b6a0c1d2\n",
				"  User-Agent: otelcol-webhook/0.1.0\n",
			},
			wantNone: []string{"tok-AUTH-1", "key-XAPI-2", "key-DD-3", "sig-4", "sig-5", "sig-6", "sess-7", "tok-8", "signature:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rec := serve(t, defaults(), tt.body, tt.hdr)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(out, w) {
					t.Errorf("output contains %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestHandlerAnswersConfiguredStatus(t *testing.T) {
	o := defaults()
	o.status = http.StatusServiceUnavailable
	out, rec := serve(t, o, `{}`, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	if !strings.HasPrefix(out, "POST /events") {
		t.Fatalf("request not printed:\n%s", out)
	}
}

func TestHandlerVerifiesSignatures(t *testing.T) {
	// The guide scheme signs Python's json.dumps(payload, sort_keys=True),
	// not the bytes on the wire: keys sorted, ", " and ": " separators.
	const body = `{"b":"x","a":1}`
	const canonical = `{"a": 1, "b": "x"}`
	now := strconv.FormatInt(time.Now().Unix(), 10)
	swKey := []byte("0123456789abcdef0123456789abcdef")
	swSecret := "whsec_" + base64.StdEncoding.EncodeToString(swKey)
	swSig := func(key []byte, id, ts, body string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "." + body))
		return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}

	tests := []struct {
		name   string
		verify verifier
		body   string
		hdr    map[string]string
		want   string
	}{
		{
			name:   "no secret, no check",
			verify: verifier{scheme: schemeSortedJSON, header: "X-Signature"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, canonical)},
			want:   "",
		},
		{
			name:   "seed verified",
			verify: verifier{secret: secret, scheme: schemeSortedJSON, header: "X-Signature"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, canonical)},
			want:   "verified (sorted_json, X-Signature)",
		},
		{
			name:   "seed verified on a gzip body",
			verify: verifier{secret: secret, scheme: schemeSortedJSON, header: "X-Signature"},
			body:   gzipped(t, body),
			hdr:    map[string]string{"X-Signature": hexMAC(secret, canonical), "Content-Encoding": "gzip"},
			want:   "verified (sorted_json, X-Signature)",
		},
		{
			name:   "seed over the raw bytes is not the guide scheme",
			verify: verifier{secret: secret, scheme: schemeSortedJSON, header: "X-Signature"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, body)},
			want:   "NOT verified (sorted_json, X-Signature: no signature matches)",
		},
		{
			name:   "seed with another secret",
			verify: verifier{secret: "other", scheme: schemeSortedJSON, header: "X-Signature"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, canonical)},
			want:   "NOT verified (sorted_json, X-Signature: no signature matches)",
		},
		{
			name:   "seed without the header",
			verify: verifier{secret: secret, scheme: schemeSortedJSON, header: "X-Signature"},
			body:   body,
			want:   "NOT verified (no X-Signature header)",
		},
		{
			name:   "raw with prefix",
			verify: verifier{secret: secret, scheme: schemeRaw, header: "X-Hub-Signature-256", prefix: "sha256="},
			body:   body,
			hdr:    map[string]string{"X-Hub-Signature-256": "sha256=" + hexMAC(secret, body)},
			want:   "verified (raw, X-Hub-Signature-256)",
		},
		{
			name:   "raw signs the bytes on the wire",
			verify: verifier{secret: secret, scheme: schemeRaw, header: "X-Signature"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, canonical)},
			want:   "NOT verified (raw, X-Signature: no signature matches)",
		},
		{
			name:   "raw with timestamp",
			verify: verifier{secret: secret, scheme: schemeRaw, header: "X-Signature", timestampHeader: "X-Timestamp"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, now+"."+body), "X-Timestamp": now},
			want:   "verified (raw, X-Signature + X-Timestamp)",
		},
		{
			name:   "raw with a stale timestamp",
			verify: verifier{secret: secret, scheme: schemeRaw, header: "X-Signature", timestampHeader: "X-Timestamp"},
			body:   body,
			hdr:    map[string]string{"X-Signature": hexMAC(secret, "1000000000."+body), "X-Timestamp": "1000000000"},
			want:   "NOT verified (raw, X-Signature + X-Timestamp: timestamp too old)",
		},
		{
			name:   "standard webhooks",
			verify: verifier{secret: swSecret, scheme: schemeStandardWebhooks},
			body:   body,
			hdr: map[string]string{
				"Webhook-Id": "msg_1", "Webhook-Timestamp": now,
				"Webhook-Signature": swSig(swKey, "msg_1", now, body),
			},
			want: "verified (standard_webhooks)",
		},
		{
			name:   "standard webhooks, id changed",
			verify: verifier{secret: swSecret, scheme: schemeStandardWebhooks},
			body:   body,
			hdr: map[string]string{
				"Webhook-Id": "msg_2", "Webhook-Timestamp": now,
				"Webhook-Signature": swSig(swKey, "msg_1", now, body),
			},
			want: "NOT verified (standard_webhooks: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaults()
			o.verify = tt.verify
			out, _ := serve(t, o, tt.body, tt.hdr)
			line := ""
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "  signature: ") {
					line = strings.TrimPrefix(l, "  signature: ")
				}
			}
			if tt.want == "" {
				if line != "" {
					t.Fatalf("signature line %q printed without a secret", line)
				}
				return
			}
			if !strings.HasPrefix(line, tt.want) {
				t.Fatalf("signature line %q, want %q\n%s", line, tt.want, out)
			}
			if strings.Contains(out, tt.verify.secret) {
				t.Fatalf("output contains the secret:\n%s", out)
			}
		})
	}
}
