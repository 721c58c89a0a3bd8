package builtin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// bulkItems is n created items as Elasticsearch writes them.
func bulkItems(n int) string {
	item := `{"create":{"_index":"sentyr","_id":"0123456789abcdef0123456789abcdef","_version":1,"result":"created",` +
		`"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":7,"_primary_term":1,"status":201}}`
	return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
}

func TestBulkHeadSaysNoErrors(t *testing.T) {
	items := bulkItems(3)
	for _, tt := range []struct {
		name string
		body string
		want bool
	}{
		{"Elasticsearch 8.16 on: errors first", `{"errors":false,"took":3,"items":[` + items + `]}`, true},
		{"Elasticsearch up to 8.15: took first", `{"took":3,"errors":false,"items":[` + items + `]}`, true},
		{"with ingest_took", `{"took":3,"ingest_took":1,"errors":false,"items":[` + items + `]}`, true},
		{"pretty", "{\n  \"took\" : 3,\n  \"errors\" : false,\n  \"items\" : [ ]\n}\n", true},
		{"string member first", `{"note":"a, b } c","errors":false,"items":[]}`, true},
		{"errors true", `{"took":3,"errors":true,"items":[` + items + `]}`, false},
		{"items before errors", `{"items":[` + items + `],"errors":false}`, false},
		{"errors not a literal", `{"errors":"false","items":[]}`, false},
		{"errors falsely", `{"errors":falsey,"items":[]}`, false},
		{"errors in another case", `{"Errors":true,"errors":false,"items":[]}`, false},
		{"escaped key", `{"err\u006frs":true,"errors":false,"items":[]}`, false},
		// What follows the head is not read: an answer cut short fails as
		// a read error before it gets here, and the head is all readAnswer
		// keeps of a settled answer.
		{"the head alone", `{"took":3,"errors":false,"items":[` + items[:40], true},
		{"cut in the head", `{"took":3,"errors":fal`, false},
		{"no errors member", `{"took":3}`, false},
		{"not an object", `[{"errors":false}]`, false},
		{"empty", ``, false},
		{"html", `<html>errors</html>`, false},
	} {
		assert.Equal(t, tt.want, bulkHeadSaysNoErrors([]byte(tt.body)), tt.name)
	}
}

// Where the head decides, reading the whole answer decides the same: the
// old reading (encoding/json of every item) finds no error, for every
// valid answer whose object has one errors member. Fuzzed from the table's
// answers.
func FuzzBulkHeadAgreesWithTheWholeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"errors":false,"took":3,"items":[` + bulkItems(2) + `]}`,
		`{"took":3,"errors":true,"items":[` + bulkItems(2) + `]}`,
		"{\n \"took\" : 3,\n \"errors\" : false,\n \"items\" : [ ]\n}",
		`{"note":"x","errors":false}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !bulkHeadSaysNoErrors(body) || !json.Valid(body) || errorsMembers(body) != 1 {
			return
		}
		var r bulkResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return // the shape of the items; the head does not read them
		}
		if r.Errors {
			t.Fatalf("the head says no errors, the whole answer says errors: %q", body)
		}
	})
}

// errorsMembers counts the members of body's top-level object that
// encoding/json would read as errors.
func errorsMembers(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		if key, _ := tok.(string); strings.EqualFold(key, "errors") {
			n++
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return 0
		}
	}
	return n
}

// A realistic answer to 1000 documents, all created, gives no results
// (all delivered) whether the head or the whole answer decides, and one
// with a failed item among them is read item by item as before.
func TestElasticReadsALargeAnswerByItsHead(t *testing.T) {
	enc := elasticFor(t, ElasticConfig{Index: "sentyr"}, "https://es.example.com/_bulk")
	req := &Request{Events: make([]int, 1000)}
	for i := range req.Events {
		req.Events[i] = i
	}
	ok := []byte(`{"errors":false,"took":30,"items":[` + bulkItems(1000) + `]}`)
	assert.Nil(t, enc.ReadResponse(req, 200, ok))

	failed := strings.Replace(`{"errors":true,"took":30,"items":[`+bulkItems(1000)+`]}`,
		`"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":7,"_primary_term":1,"status":201`,
		`"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}`, 1)
	got := enc.ReadResponse(req, 200, []byte(failed))
	if assert.Len(t, got, 1000) {
		assert.Equal(t, Retry, got[0].Outcome)
		assert.Contains(t, got[0].Reason, "es_rejected_execution_exception")
		for i := 1; i < len(got); i++ {
			assert.Equal(t, Delivered, got[i].Outcome, "item %d", i)
		}
	}
}
