package essink

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestElasticServerIsStrict(t *testing.T) {
	s := New(t)
	for _, tt := range []struct {
		name, ct, body string
		status         int
		want           string
	}{
		{"valid", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"1\"}}\n{\"a\":1}\n", 200, `"errors":false`},
		{"no final newline", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"2\"}}\n{\"a\":1}", 400, "terminated by a newline"},
		{"action without source", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"3\"}}\n", 400, "terminated by a newline"},
		{"source without action", "application/x-ndjson", "{\"a\":1}\n", 400, "Malformed action/metadata line [1]"},
		{"source not an object", "application/x-ndjson", "{\"create\":{\"_index\":\"x\",\"_id\":\"4\"}}\n[1]\n", 400, "Malformed source line [2]"},
		{"no index", "application/x-ndjson", "{\"create\":{\"_id\":\"5\"}}\n{\"a\":1}\n", 400, "index is missing"},
		{"wrong content type", "text/plain", "{\"create\":{\"_index\":\"x\",\"_id\":\"6\"}}\n{\"a\":1}\n", 406, "not supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := testsink.Post(t, s.URL+"/_bulk", http.Header{"Content-Type": {tt.ct}, "Authorization": {"ApiKey " + Key}}, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, body, tt.want)
		})
	}
}
