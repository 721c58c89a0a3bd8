package builtin

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Service describes the receiver of a format on the wire: what a request
// to it looks like and how it answers. Stand-ins built from it (see
// internal/testsink) refuse what it would refuse, so that a format added to
// the table is tested against its service the day it exists.
type Service struct {
	// Path is the path (and query) of the endpoint the receiver serves.
	Path string
	// Serves says whether the receiver serves another path too (SecOps
	// serves every log type's); nil: Path alone.
	Serves func(path string) bool
	// Settings are the least exporter settings, besides endpoint and
	// format, that the format's Check accepts and its receiver takes, as
	// collector YAML gives them: TestSecret among them where the service
	// wants a credential.
	Settings map[string]any
	// TestSecret is the credential Settings configure, "" for none;
	// requests carry it as CredentialValue in the header Credential.Header.
	TestSecret      string
	CredentialValue string
	// Body is the shape of a request's body.
	Body BodyShape
	// MaxBodyBytes is the largest body the service takes, 0 for no limit.
	MaxBodyBytes int
	// Accept is the answer to a request of n events, all taken.
	Accept func(n int) Answer
	// Refuse is the answer refusing a whole request for good (a bad credential).
	Refuse Answer
	// AnswerEach, when the service answers for every event of a request,
	// is its answer giving each event the status given (2xx: taken), in
	// the request's order; nil when the service answers for a request as
	// a whole.
	AnswerEach func(statuses []int) Answer
	// Judge, for a service that reads what a request says beyond its
	// shape (a routing key in the body, a summary's length), is its
	// answer refusing body, nil when it takes it.
	Judge func(body []byte) *Answer
	// Sample is the body of a request of one event that the service
	// takes; "" when any object of its shape will do.
	Sample string
	// Dedup is the key under which the service merges the events of a
	// request into one alert (PagerDuty's dedup_key); nil when every
	// request is its own.
	Dedup func(body []byte) string
	// MinInterval is the least time the service allows between two
	// requests to one endpoint (Slack's message a second); 0 when it
	// sets none short of its 429s.
	MinInterval time.Duration
}

// BodyShape is the shape of a request body a receiver takes.
type BodyShape string

// The shapes of request bodies.
const (
	// BodyObject is one JSON object per request.
	BodyObject BodyShape = "object"
	// BodyArray is a JSON array of objects.
	BodyArray BodyShape = "array"
	// BodyObjectOrArray is one JSON object, or a JSON array of them.
	BodyObjectOrArray BodyShape = "object_or_array"
	// BodyObjects is JSON objects one after another (HEC, NDJSON).
	BodyObjects BodyShape = "objects"
	// BodyBulk is Elasticsearch _bulk: action and source lines, each ending in a newline.
	BodyBulk BodyShape = "bulk"
	// BodySecOpsLogs is the Chronicle API's logs:import: Logs in
	// inlineSource.logs, each event the base64 data of one.
	BodySecOpsLogs BodyShape = "secops_logs"
)

// Answer is one answer of a receiver.
type Answer struct {
	Status      int
	ContentType string
	Body        string
	// RetryAfter is the answer's Retry-After header, "" for none.
	RetryAfter string
}

// answerOK is an answer without per-event content.
func answerOK(status int, contentType, body string) func(int) Answer {
	return func(int) Answer { return Answer{Status: status, ContentType: contentType, Body: body} }
}

// bulkAccepted is a _bulk answer creating n documents.
func bulkAccepted(n int) Answer {
	statuses := make([]int, n)
	for i := range statuses {
		statuses[i] = 201
	}
	return bulkAnswerOf(statuses)
}

// bulkAnswerOf is a _bulk answer with an item of each status, as
// Elasticsearch writes created, refused and rejected documents.
func bulkAnswerOf(statuses []int) Answer {
	var b strings.Builder
	errors := slices.ContainsFunc(statuses, func(s int) bool { return s/100 != 2 })
	fmt.Fprintf(&b, `{"took":1,"errors":%t,"items":[`, errors)
	for i, status := range statuses {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case status/100 == 2:
			fmt.Fprintf(&b, `{"create":{"_index":"security-events","_id":"%d","status":%d,"result":"created"}}`, i, status)
		case status == 429 || status >= 500:
			fmt.Fprintf(&b, `{"create":{"_index":"security-events","_id":"%d","status":%d,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}}`, i, status)
		default:
			fmt.Fprintf(&b, `{"create":{"_index":"security-events","_id":"%d","status":%d,"error":{"type":"document_parsing_exception","reason":"failed to parse"}}}`, i, status)
		}
	}
	b.WriteString("]}")
	return Answer{Status: 200, ContentType: "application/json", Body: b.String()}
}

// Test credentials of the services: fixed, of each service's shape, secret
// only in that tests check that they leak nowhere.
const (
	testHECToken      = "11111111-2222-3333-4444-555555555555"
	testDatadogKey    = "0123456789abcdef0123456789abcdef"
	testElasticKey    = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
	testSentinelToken = "sentinel-test-token-0123456789abcdef"
	testSecOpsToken   = "ya29.secops-test-token-0123456789abcdef"
	testSecOpsPath    = "/v1/projects/my-project/locations/us/instances/00000000-0000-4000-8000-000000000000/logTypes/CUSTOM_SENTYR/logs:import"
	testRoutingTag    = "team"
)

var (
	jsonRefused    = Answer{Status: 401, ContentType: "application/json", Body: `{"error":"invalid credentials"}`}
	datadogRefused = Answer{Status: 403, ContentType: "application/json", Body: `{"errors":["Forbidden"]}`}
)
