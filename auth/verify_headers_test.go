package auth

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyHeaderMethods: what each header method sends through a real
// confighttp client verifies with its Verify function, and a wrong or
// missing value does not.
func TestVerifyHeaderMethods(t *testing.T) {
	for _, tt := range []struct {
		name         string
		cfg          *Config
		verify       func(http.Header) bool
		verifyWrong  func(http.Header) bool
		wrongRequest http.Header
	}{
		{
			name:         "api key",
			cfg:          apiKeyCfg(APIKeyConfig{Value: "k-123"}),
			verify:       func(h http.Header) bool { return VerifyAPIKey(h, "X-API-Key", "k-123") },
			verifyWrong:  func(h http.Header) bool { return VerifyAPIKey(h, "X-API-Key", "k-1234") },
			wrongRequest: http.Header{"X-Api-Key": {"k-12"}},
		},
		{
			name:         "bearer",
			cfg:          bearerCfg("tok-789"),
			verify:       func(h http.Header) bool { return VerifyBearer(h, "tok-789") },
			verifyWrong:  func(h http.Header) bool { return VerifyBearer(h, "tok-78") },
			wrongRequest: http.Header{"Authorization": {"tok-789"}},
		},
		{
			name:         "basic",
			cfg:          basicCfg(BasicConfig{Username: "svc", Password: "p@ss:word"}),
			verify:       func(h http.Header) bool { return VerifyBasic(h, "svc", "p@ss:word") },
			verifyWrong:  func(h http.Header) bool { return VerifyBasic(h, "svc2", "p@ss:word") },
			wrongRequest: http.Header{"Authorization": {"Bearer p@ss:word"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, nil)
			ext, _ := startExtension(t, tt.cfg)
			client := clientWith(t, ext, rec.URL, "")
			req, err := http.NewRequest(http.MethodPost, rec.URL, http.NoBody)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			got := rec.requests()
			require.Len(t, got, 1)

			assert.True(t, tt.verify(got[0].header), "the method's own request verifies")
			assert.False(t, tt.verifyWrong(got[0].header), "another secret does not verify")
			assert.False(t, tt.verify(http.Header{}), "no header does not verify")
			assert.False(t, tt.verify(tt.wrongRequest), "a wrong header does not verify")
		})
	}
}
