package testsink

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// validBody is a body of shape holding one event.
func validBody(shape builtin.BodyShape) string {
	switch shape {
	case builtin.BodyArray:
		return `[{"a":1}]`
	case builtin.BodyBulk:
		return "{\"create\":{}}\n{\"a\":1}\n"
	case builtin.BodySecOpsLogs:
		// data is {"a":1} in base64.
		return `{"inlineSource":{"logs":[{"data":"eyJhIjoxfQ==","logEntryTime":"2025-10-29T12:00:00Z","collectionTime":"2025-10-29T12:00:01Z"}]}}`
	}
	return `{"a":1}`
}

// The stand-in of every built-in format takes a request as its service
// takes it, and refuses one to another path, without its credential or
// with another, or with a body of another shape.
func TestStandInRefusesWhatItsServiceRefuses(t *testing.T) {
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			s := New(t, b)
			post := func(path, credential, body string) int {
				req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
				require.NoError(t, err)
				if credential != "" {
					req.Header.Set(b.Credential.Header, credential)
				}
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				return resp.StatusCode
			}
			credential := b.Service.CredentialValue
			good := validBody(b.Service.Body)
			if b.Service.Sample != "" {
				good = b.Service.Sample
			}
			assert.Equal(t, b.Service.Accept(1).Status, post(b.Service.Path, credential, good), "the service's request")
			assert.Equal(t, http.StatusNotFound, post("/elsewhere", credential, good), "another path")
			assert.Equal(t, http.StatusBadRequest, post(b.Service.Path, credential, "not json"), "a body of another shape")
			if b.Credential != nil && credential != "" {
				assert.Equal(t, b.Service.Refuse.Status, post(b.Service.Path, "", good), "no credential")
				assert.Equal(t, b.Service.Refuse.Status, post(b.Service.Path, credential+"x", good), "another credential")
			}
			taken := s.Taken()
			require.Len(t, taken, 1)
			assert.Equal(t, 1, taken[0].Events)
		})
	}
}

// Count tells the shapes apart.
func TestCountRefusesOtherShapes(t *testing.T) {
	for _, tt := range []struct {
		shape builtin.BodyShape
		body  string
		n     int
	}{
		{builtin.BodyObject, `{"a":1}`, 1},
		{builtin.BodyObject, `[{"a":1}]`, 0},
		{builtin.BodyArray, `[{"a":1},{"b":2}]`, 2},
		{builtin.BodyArray, `[]`, 0},
		{builtin.BodyArray, `[1]`, 0},
		{builtin.BodyObjectOrArray, `[{"a":1},{"b":2}]`, 2},
		{builtin.BodyObjects, `{"a":1}{"b":2}` + "\n" + `{"c":3}`, 3},
		{builtin.BodyObjects, `{"a":1} 2`, 0},
		{builtin.BodyBulk, "{\"create\":{}}\n{\"a\":1}\n{\"index\":{}}\n{\"b\":2}\n", 2},
		{builtin.BodyBulk, "{\"create\":{}}\n{\"a\":1}", 0},
		{builtin.BodyBulk, "{\"delete\":{}}\n{\"a\":1}\n", 0},
		{builtin.BodyBulk, "{\"create\":{}}\n", 0},
	} {
		n, err := Count(tt.shape, []byte(tt.body))
		if tt.n == 0 {
			assert.Error(t, err, "%s %q", tt.shape, tt.body)
			continue
		}
		assert.NoError(t, err, "%s %q", tt.shape, tt.body)
		assert.Equal(t, tt.n, n, "%s %q", tt.shape, tt.body)
	}
}

// A ledger throttles the requests its test scripts, and keeps the others
// taken and the refusals, in order.
func TestLedgerThrottlesWhatItsTestScripts(t *testing.T) {
	var l Ledger[int]
	l.Throttle(1, "7")
	for i := range 3 {
		after, throttled := l.Take(i)
		assert.Equal(t, i == 1, throttled, "request %d", i)
		if throttled {
			assert.Equal(t, "7", after)
		}
	}
	l.Refuse("401 no token")
	assert.Equal(t, []int{0, 2}, l.Accepted())
	assert.Equal(t, []int{1}, l.Throttled())
	assert.Equal(t, []string{"401 no token"}, l.Refused())
}

// The SecOps stand-in refuses what the Chronicle API refuses: data that is
// not base64 or not UTF-8, a log without its times or collected before it
// happened, an unknown member, a body over the limit, another instance's
// path or a log type that cannot be one.
func TestSecOpsStandInIsStrict(t *testing.T) {
	s := NewFormat(t, "secops")
	b, _ := builtin.LookupBuiltin("secops")
	post := func(path, body string) int {
		req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", b.Service.CredentialValue)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	logs := func(log string) string { return `{"inlineSource":{"logs":[` + log + `]}}` }
	const times = `"logEntryTime":"2025-10-29T12:00:00Z","collectionTime":"2025-10-29T12:00:01Z"`
	other := strings.Replace(b.Service.Path, "CUSTOM_SENTYR", "OKTA", 1)
	assert.Equal(t, 200, post(other, validBody(b.Service.Body)), "another log type of the instance")
	for name, c := range map[string]struct {
		path, body string
		status     int
	}{
		"bad base64":         {b.Service.Path, logs(`{"data":"not base64!",` + times + `}`), 400},
		"invalid UTF-8":      {b.Service.Path, logs(`{"data":"/w==",` + times + `}`), 400},
		"no times":           {b.Service.Path, logs(`{"data":"eyJhIjoxfQ=="}`), 400},
		"collected before":   {b.Service.Path, logs(`{"data":"eyJhIjoxfQ==","logEntryTime":"2025-10-29T12:00:01Z","collectionTime":"2025-10-29T12:00:00Z"}`), 400},
		"unknown member":     {b.Service.Path, logs(`{"data":"eyJhIjoxfQ==","logType":"OKTA",` + times + `}`), 400},
		"no logs":            {b.Service.Path, logs(``), 400},
		"over the limit":     {b.Service.Path, logs(`{"data":"` + strings.Repeat("A", b.Service.MaxBodyBytes) + `",` + times + `}`), 413},
		"another instance":   {strings.Replace(b.Service.Path, "instances/0", "instances/1", 1), validBody(b.Service.Body), 404},
		"a log type path":    {strings.Replace(b.Service.Path, "CUSTOM_SENTYR", "..", 1), validBody(b.Service.Body), 404},
		"a log type slashed": {strings.Replace(b.Service.Path, "CUSTOM_SENTYR", "A/B", 1), validBody(b.Service.Body), 404},
	} {
		assert.Equal(t, c.status, post(c.path, c.body), name)
	}
	assert.Len(t, s.Taken(), 1)
}
