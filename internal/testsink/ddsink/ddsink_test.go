package ddsink

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestDatadogServerIsStrict(t *testing.T) {
	s := NewEvents(t)
	for _, tt := range []struct {
		name   string
		key    string
		body   string
		status int
	}{
		{"valid", Key, `{"title":"t","text":"x","date_happened":1761739200}`, 202},
		{"no key", "", `{"title":"t","text":"x"}`, 403},
		{"no title", Key, `{"text":"x"}`, 400},
		{"no text", Key, `{"title":"t"}`, 400},
		{"text too long", Key, fmt.Sprintf(`{"title":"t","text":%q}`, strings.Repeat("é", 4001)), 400},
		{"fractional date", Key, `{"title":"t","text":"x","date_happened":1761739200.5}`, 400},
		{"not JSON", Key, `title=t`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.URL+EventsPath, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			if tt.key != "" {
				req.Header.Set("DD-API-KEY", tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
}

func TestDatadogLogsServerIsStrict(t *testing.T) {
	s := NewLogs(t)
	key := http.Header{"DD-API-KEY": {Key}, "Content-Type": {"application/json"}}
	entry := `{"message":"m","ddsource":"sentyr"}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("[" + strings.Repeat(`{"p":"`+strings.Repeat("x", 5000)+`"},`, 1000) + entry + "]"))
	require.NoError(t, zw.Close())
	for _, tt := range []struct {
		name   string
		header http.Header
		body   string
		want   int
	}{
		{"accepted", key, "[" + entry + "]", http.StatusAccepted},
		{"missing API key", http.Header{}, "[" + entry + "]", http.StatusUnauthorized},
		{"wrong API key", http.Header{"DD-API-KEY": {"nope"}}, "[" + entry + "]", http.StatusForbidden},
		{"over 1,000 entries", key, "[" + strings.Repeat(entry+",", 1000) + entry + "]", http.StatusBadRequest},
		{"over 5 MB", key, "[" + strings.Repeat(`{"p":"`+strings.Repeat("x", 10_000)+`"},`, 500) + entry + "]", http.StatusRequestEntityTooLarge},
		{"over 5 MB once gunzipped", http.Header{"DD-API-KEY": {Key}, "Content-Encoding": {"gzip"}}, gz.String(), http.StatusRequestEntityTooLarge},
		{"not an array", key, entry, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := testsink.Post(t, s.URL+LogsPath, tt.header.Clone(), tt.body)
			assert.Equal(t, tt.want, status, body)
		})
	}
}
