package auth

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/redact"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// keptMax is the most a token error or a log field may take: the
// exporter's own words around the server's texts, each cut to
// redact.TextBytes.
const keptMax = 3*(redact.TextBytes+len(redact.CutMarker)+len("18446744073709551615 bytes)")) + 512

// A token server's error_description (or body) of any size reaches the
// error and the log line cut, and what is read of its answer is bounded
// (tokenAnswerBytes): a refusal costs no more with a long text than with
// a short one, beyond the part of it that is read.
func TestTokenServerTextIsCut(t *testing.T) {
	for _, size := range []int{50_000, 900_000} {
		for _, shape := range []string{"oauth2 error", "plain"} {
			t.Run(fmt.Sprintf("%s/%d", shape, size), func(t *testing.T) {
				description := strings.Repeat("no such client ", size/15)
				answer := []byte(description)
				if shape == "oauth2 error" {
					answer, _ = json.Marshal(map[string]string{"error": "invalid_client", "error_description": description})
				}
				s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = w.Write(answer)
				}))
				t.Cleanup(s.Close)
				rec := testsink.NewRecorder(t, nil)
				ext, logs := startExtension(t, oauthCfg(s.URL+"/oauth/token", "s3cr3t-value"))
				client := clientWith(t, ext, rec.URL, "")
				// What the process allocates is counted, other goroutines
				// included: the least of a few tries leaves their noise out.
				var err error
				alloc := uint64(math.MaxUint64)
				for range 3 {
					req, rerr := http.NewRequest(http.MethodPost, rec.URL, strings.NewReader(`{}`))
					require.NoError(t, rerr)
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					_, err = client.Do(req)
					runtime.ReadMemStats(&after)
					alloc = min(alloc, after.TotalAlloc-before.TotalAlloc)
				}

				require.Error(t, err)
				assert.LessOrEqual(t, len(err.Error()), keptMax)
				if size < tokenAnswerBytes {
					assert.Contains(t, err.Error(), "no such client no such client")
					assert.Contains(t, err.Error(), redact.CutMarker)
				} else {
					assert.Contains(t, err.Error(), "longer than")
				}
				require.Positive(t, logs.Len())
				for _, e := range logs.All() {
					for k, v := range e.ContextMap() {
						assert.LessOrEqual(t, len(fmt.Sprint(v)), keptMax, "%s: field %s", e.Message, k)
					}
				}
				t.Logf("a %d-byte answer: %d bytes allocated", len(answer), alloc)
				assert.Less(t, alloc, uint64(16*tokenAnswerBytes), "what is read of the answer is bounded")
				assert.Empty(t, rec.Requests())
			})
		}
	}
}
