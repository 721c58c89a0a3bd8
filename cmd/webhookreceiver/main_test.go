package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    options
		wantErr string
	}{
		{
			name: "defaults",
			want: options{listen: "127.0.0.1:8088", status: 200, verify: verifier{scheme: "sorted_json", header: "X-Signature"}},
		},
		{
			name: "environment",
			env: map[string]string{
				"WEBHOOK_RECEIVER_LISTEN": "127.0.0.1:9999", "WEBHOOK_SECRET": "from-env",
				"WEBHOOK_SCHEME": "raw", "WEBHOOK_SIGNATURE_HEADER": "X-Hub-Signature-256", "WEBHOOK_SIGNATURE_PREFIX": "sha256=",
			},
			want: options{listen: "127.0.0.1:9999", status: 200, verify: verifier{
				secret: "from-env", scheme: "raw", header: "X-Hub-Signature-256", prefix: "sha256=",
			}},
		},
		{
			name: "flags win over the environment",
			args: []string{"-listen", ":1", "-secret", "flag", "-status", "503", "-scheme", "standard_webhooks"},
			env:  map[string]string{"WEBHOOK_RECEIVER_LISTEN": ":2", "WEBHOOK_SECRET": "env", "WEBHOOK_SCHEME": "raw"},
			want: options{listen: ":1", status: 503, verify: verifier{secret: "flag", scheme: "standard_webhooks", header: "X-Signature"}},
		},
		{name: "unknown scheme", args: []string{"-scheme", "md5"}, wantErr: `-scheme "md5" is not known`},
		{name: "bad status", args: []string{"-status", "42"}, wantErr: "-status 42 is not an HTTP status"},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parseOptions(tt.args, func(k string) string { return tt.env[k] }, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}
