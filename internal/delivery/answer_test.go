package delivery

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// A _bulk answer whose head says no errors is read off whole (the reader
// is at its end, so the connection can be reused) but only its head is
// kept, and the format reads that head as every event delivered; any
// other answer is kept whole, as before.
func TestReadAnswerBodyKeepsTheHeadOfASettledAnswer(t *testing.T) {
	elastic, _ := builtin.LookupBuiltin("elastic")
	encoder, err := elastic.New(&builtin.Settings{Endpoint: "https://es.example.com/_bulk", Sections: builtin.Sections{Elastic: builtin.ElasticConfig{Index: "x"}}})
	require.NoError(t, err)
	enc := encoder.Wire()
	item := `{"create":{"_index":"x","_id":"0123456789abcdef0123456789abcdef","status":201}},`
	items := strings.TrimSuffix(strings.Repeat(item, 1000), ",")
	req := &builtin.Request{Events: make([]int, 1000)}
	for i := range req.Events {
		req.Events[i] = i
	}
	for _, tt := range []struct {
		name   string
		status int
		answer string
		kept   int // bytes kept, -1 for all
	}{
		{"settled by its head", 200, `{"errors":false,"took":3,"items":[` + items + `]}`, builtin.AnswerHead},
		{"errors true", 200, `{"errors":true,"took":3,"items":[` + items + `]}`, -1},
		{"short", 200, `{"errors":false,"items":[]}`, -1},
	} {
		r := strings.NewReader(tt.answer)
		body, err := readAnswerBody(r, tt.status, 1<<20, enc.Settled)
		require.NoError(t, err, tt.name)
		assert.Zero(t, r.Len(), "%s: the answer is read to its end", tt.name)
		if tt.kept < 0 {
			assert.Equal(t, tt.answer, string(body), tt.name)
			continue
		}
		assert.Equal(t, tt.answer[:tt.kept], string(body), tt.name)
		assert.Nil(t, enc.ReadAnswer(req, tt.status, body), "%s: the head reads as all delivered", tt.name)
	}
	// An answer that is not 2xx is judged by its status (or a HEC code)
	// and quoted in part: its bound does not grow with the request.
	notOK := `{"errors":false,"took":3,"items":[` + items + `]}`
	body, err := readAnswerBody(strings.NewReader(notOK), 500, 1<<20, enc.Settled)
	require.NoError(t, err)
	assert.Equal(t, notOK[:builtin.AnswerBytes], string(body))
	// A format that settles nothing by the head gets the answer whole,
	// up to the limit.
	long := strings.Repeat("x", 2000)
	hec, _ := builtin.LookupBuiltin("splunk_hec")
	hecEncoder, err := hec.New(&builtin.Settings{})
	require.NoError(t, err)
	body, err = readAnswerBody(strings.NewReader(long), 200, 1500, hecEncoder.Wire().Settled)
	require.NoError(t, err)
	assert.Len(t, body, 1500)
	body, err = readAnswerBody(strings.NewReader(`{"errors":true,`+long), 200, 1500, enc.Settled)
	require.NoError(t, err)
	assert.Len(t, body, 1500, "the limit holds for an answer that is not settled by its head")
}
