package builtin

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecOpsHost     = "https://chronicle.us.rep.googleapis.com"
	testSecOpsEndpoint = testSecOpsHost + testSecOpsPath
	testSecOpsUDM      = testSecOpsHost + "/v1/projects/my-project/locations/us/instances/00000000-0000-4000-8000-000000000000/events:import"
	testLegacyLogs     = "https://malachiteingestion-pa.googleapis.com/v2/unstructuredlogentries:batchCreate"
	testLegacyUDM      = "https://malachiteingestion-pa.googleapis.com/v2/udmevents:batchCreate"
	testCustomerID     = "c0ffee00-0000-4000-8000-000000000000"
)

func newTestSecOps(t *testing.T, endpoint string, cfg SecOpsConfig) *secopsEncoder {
	t.Helper()
	e, err := newSecOps(cfg, endpoint)
	require.NoError(t, err)
	return e
}

// secopsLog is a Log of logs:import as the API reference defines it.
type secopsLog struct {
	Data                 []byte                     `json:"data"`
	LogEntryTime         time.Time                  `json:"logEntryTime"`
	CollectionTime       time.Time                  `json:"collectionTime"`
	EnvironmentNamespace string                     `json:"environmentNamespace"`
	Labels               map[string]map[string]any  `json:"labels"`
	Extra                map[string]json.RawMessage `json:"-"`
}

func readSecOpsLogs(t *testing.T, body []byte) (logs []secopsLog, forwarder string) {
	t.Helper()
	var req struct {
		InlineSource struct {
			Logs      []secopsLog `json:"logs"`
			Forwarder string      `json:"forwarder"`
		} `json:"inlineSource"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&req), "%s", body)
	return req.InlineSource.Logs, req.InlineSource.Forwarder
}

// Each event is one Log: its data the event as the json format writes it,
// base64; logEntryTime its time; collectionTime when the collector took it;
// the namespace and labels of the settings and of its attributes.
func TestSecOpsLogOfAnEvent(t *testing.T) {
	e := newTestSecOps(t, testSecOpsEndpoint, SecOpsConfig{
		Namespace: "prod", Labels: map[string]string{"env": "prod", "team": "setting"},
		LabelAttributes: []string{"team"}, Forwarder: "projects/p/locations/us/instances/i/forwarders/f",
	})
	ev := serviceEvent(t, "file_id", "abc123", "team", "blue")
	ev.Observed = serviceSeedTime.Add(90 * time.Second)
	b, err := e.Encode([]formats.Event{ev})
	require.NoError(t, err)
	require.Empty(t, b.Rejected)
	require.Len(t, b.Requests, 1)
	assert.Empty(t, b.Requests[0].URL, "the endpoint's log type goes to the endpoint")
	logs, forwarder := readSecOpsLogs(t, b.Requests[0].Body)
	assert.Equal(t, "projects/p/locations/us/instances/i/forwarders/f", forwarder)
	require.Len(t, logs, 1)
	assert.Equal(t, string(newJSON(JSONConfig{}).AppendEvent(nil, &ev)), string(logs[0].Data))
	assert.True(t, logs[0].LogEntryTime.Equal(serviceSeedTime))
	assert.True(t, logs[0].CollectionTime.Equal(ev.Observed))
	assert.Equal(t, "prod", logs[0].EnvironmentNamespace)
	assert.Equal(t, map[string]map[string]any{"env": {"value": "prod"}, "team": {"value": "blue"}}, logs[0].Labels)

	// A namespace attribute wins; a record without an observed time was
	// collected when it happened, never before.
	ev = attributed(serviceEvent(t, "file_id", "abc123"), attrSecOpsNamespace, "staging")
	b, err = e.Encode([]formats.Event{ev})
	require.NoError(t, err)
	logs, _ = readSecOpsLogs(t, b.Requests[0].Body)
	assert.Equal(t, "staging", logs[0].EnvironmentNamespace)
	assert.True(t, logs[0].CollectionTime.Equal(serviceSeedTime))
}

// Requests hold one log type each, the one their path names, and at most
// the limit's bytes; an event whose log entry alone is over it is rejected
// with its size, and one whose log type attribute cannot be a log type
// with that.
func TestSecOpsRequestsOfOneLogTypeWithinTheLimit(t *testing.T) {
	const limit = 4096
	e := newTestSecOps(t, testSecOpsEndpoint, SecOpsConfig{MaxRequestBytes: limit})
	types := []string{"", "OKTA", "WINEVTLOG"}
	var events []formats.Event
	for i := range 300 {
		ev := serviceEvent(t, "n", i)
		if lt := types[i%3]; lt != "" {
			ev = attributed(ev, attrSecOpsLogType, lt)
		}
		events = append(events, ev)
	}
	events = append(events, serviceEvent(t, "big", strings.Repeat("x", limit)))
	events = append(events, attributed(serviceEvent(t, "n", -1), attrSecOpsLogType, "../../admin"))
	b, err := e.Encode(events)
	require.NoError(t, err)
	require.Len(t, b.Rejected, 2)
	assert.Equal(t, 300, b.Rejected[0].Index)
	assert.ErrorContains(t, b.Rejected[0].Err, "more than a request of 4096 bytes holds (secops::max_request_bytes)")
	assert.Equal(t, 301, b.Rejected[1].Index)
	assert.ErrorContains(t, b.Rejected[1].Err, "is not a log type")
	assert.True(t, b.Concurrent)

	seen := map[int]bool{}
	perType := map[string]int{}
	for _, r := range b.Requests {
		assert.LessOrEqual(t, len(r.Body), limit)
		want := "CUSTOM_SENTYR"
		if r.URL != "" {
			want = strings.TrimSuffix(strings.TrimPrefix(r.URL, testSecOpsHost+strings.Split(testSecOpsPath, "CUSTOM_SENTYR")[0]), "/logs:import")
		}
		logs, _ := readSecOpsLogs(t, r.Body)
		require.Len(t, logs, len(r.Events))
		for k, i := range r.Events {
			assert.False(t, seen[i], "event %d twice", i)
			seen[i] = true
			got := types[i%3]
			if got == "" {
				got = "CUSTOM_SENTYR"
			}
			assert.Equal(t, want, got, "event %d in a request of another log type", i)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(logs[k].Data, &doc))
			assert.EqualValues(t, i, doc["data"].(map[string]any)["n"])
		}
		perType[want]++
	}
	assert.Len(t, seen, 300)
	assert.Len(t, perType, 3)
	for lt, n := range perType {
		assert.Greater(t, n, 1, "%s: the limit splits each log type's events", lt)
	}
}

// The UDM field list of the API's reference (testdata/secops/udm_fields.txt).
func udmFieldList(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/secops/udm_fields.txt")
	require.NoError(t, err)
	defer f.Close()
	fields := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, typ, ok := strings.Cut(line, " ")
		require.True(t, ok, line)
		fields[name] = typ
	}
	require.NoError(t, sc.Err())
	return fields
}

// checkUDM checks every field of a UDM event against the field list.
func checkUDM(t *testing.T, fields map[string]string, prefix string, v map[string]any) {
	t.Helper()
	for k, val := range v {
		name := prefix + k
		typ, ok := fields[name]
		if !assert.True(t, ok, "%s is not a UDM field of the reference's list", name) {
			continue
		}
		repeated := strings.HasPrefix(typ, "[]")
		typ = strings.TrimPrefix(typ, "[]")
		items := []any{val}
		if repeated {
			list, ok := val.([]any)
			require.True(t, ok, "%s is repeated", name)
			items = list
		}
		for _, item := range items {
			switch {
			case typ == "struct":
				assert.IsType(t, map[string]any{}, item, name)
			case typ == "message":
				m, ok := item.(map[string]any)
				require.True(t, ok, "%s is a message", name)
				checkUDM(t, fields, name+".", m)
			case typ == "timestamp":
				s, _ := item.(string)
				_, err := time.Parse(time.RFC3339Nano, s)
				assert.NoError(t, err, name)
			case strings.HasPrefix(typ, "enum:"):
				assert.Contains(t, strings.Split(strings.TrimPrefix(typ, "enum:"), ","), item, name)
			default:
				assert.IsType(t, "", item, name)
			}
		}
	}
}

// The guide's example event maps to a UDM event whose every field is in
// the reference's UDM field list, as docs/secops.md documents it.
func TestSecOpsUDMEventOfTheGuidesExample(t *testing.T) {
	fields := udmFieldList(t)
	for _, endpoint := range []string{testSecOpsUDM, testLegacyUDM} {
		cfg := SecOpsConfig{}
		if endpoint == testLegacyUDM {
			cfg.CustomerID = testCustomerID
		}
		e := newTestSecOps(t, endpoint, cfg)
		assert.False(t, e.Wire().WithoutIDs, "UDM events carry the event id")
		ev := serviceEvent(t, "file_id", "abc123", "file_name", "sensitive.pdf", "owner", "user@example.com", "shared_with", "external@partner.com")
		b, err := e.Encode([]formats.Event{ev})
		require.NoError(t, err)
		require.Len(t, b.Requests, 1)
		var body map[string]any
		require.NoError(t, json.Unmarshal(b.Requests[0].Body, &body))
		var udm map[string]any
		if endpoint == testLegacyUDM {
			assert.Equal(t, testCustomerID, body["customer_id"])
			udm = body["events"].([]any)[0].(map[string]any)
		} else {
			assert.Len(t, body, 1)
			udm = body["inlineSource"].(map[string]any)["events"].([]any)[0].(map[string]any)["udm"].(map[string]any)
		}
		checkUDM(t, fields, "", udm)
		assert.Equal(t, map[string]any{
			"metadata": map[string]any{
				"event_timestamp": "2025-10-29T12:00:00Z", "event_type": "GENERIC_EVENT", "product_name": "sentyr",
				"product_event_type": "file_shared_externally", "product_log_id": "0123456789abcdef0123456789abcdef",
			},
			"security_result": []any{map[string]any{"severity": "MEDIUM"}},
			"additional":      map[string]any{"file_id": "abc123", "file_name": "sensitive.pdf", "owner": "user@example.com", "shared_with": "external@partner.com"},
		}, udm, endpoint)
	}
	// The record's secops.event_type attribute says more.
	e := newTestSecOps(t, testSecOpsUDM, SecOpsConfig{})
	b, err := e.Encode([]formats.Event{attributed(serviceEvent(t, "user", "u"), attrSecOpsEventType, "USER_LOGIN")})
	require.NoError(t, err)
	assert.Contains(t, string(b.Requests[0].Body), `"event_type":"USER_LOGIN"`)
	assert.NotContains(t, string(b.Requests[0].Body), `"secops.event_type"`, "the attribute is the type, not additional data")
}

// Every severity is one of UDM's.
func TestSecOpsUDMSeverities(t *testing.T) {
	enum := strings.Split(strings.TrimPrefix(udmFieldList(t)["security_result.severity"], "enum:"), ",")
	for _, s := range []string{formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical, "other"} {
		assert.Contains(t, enum, udmSeverity(s), s)
	}
}

// The legacy unstructured API: customer_id and log_type in the body, one
// log type (and namespace, labels) per request, entries of the event's
// JSON text, at most 1 MB a request.
func TestSecOpsLegacyUnstructured(t *testing.T) {
	e := newTestSecOps(t, testLegacyLogs, SecOpsConfig{CustomerID: testCustomerID, LogType: "CUSTOM_SENTYR", Namespace: "prod", Labels: map[string]string{"env": "prod"}})
	assert.Equal(t, secopsLegacyMaxRequestBytes, e.maxBytes)
	ev := serviceEvent(t, "file_id", "abc123")
	b, err := e.Encode([]formats.Event{ev, attributed(serviceEvent(t, "file_id", "x"), attrSecOpsLogType, "OKTA"), serviceEvent(t, "big", strings.Repeat("x", secopsLegacyMaxRequestBytes))})
	require.NoError(t, err)
	require.Len(t, b.Rejected, 1)
	assert.ErrorContains(t, b.Rejected[0].Err, "the legacy Ingestion API's limit")
	require.Len(t, b.Requests, 2)
	var body struct {
		CustomerID string `json:"customer_id"`
		LogType    string `json:"log_type"`
		Namespace  string `json:"namespace"`
		Labels     []struct{ Key, Value string }
		Entries    []struct {
			LogText   string `json:"log_text"`
			TsRFC3339 string `json:"ts_rfc3339"`
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(b.Requests[0].Body)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&body))
	assert.Equal(t, testCustomerID, body.CustomerID)
	assert.Equal(t, "CUSTOM_SENTYR", body.LogType)
	assert.Equal(t, "prod", body.Namespace)
	assert.Equal(t, "env", body.Labels[0].Key)
	require.Len(t, body.Entries, 1)
	assert.Equal(t, string(newJSON(JSONConfig{}).AppendEvent(nil, &ev)), body.Entries[0].LogText)
	assert.Equal(t, "2025-10-29T12:00:00Z", body.Entries[0].TsRFC3339)
	assert.Contains(t, string(b.Requests[1].Body), `"log_type":"OKTA"`)
	assert.Empty(t, b.Requests[1].URL, "the legacy API's path names no log type")
}

// Settings that cannot work fail at load, naming the field and the fix.
func TestSecOpsCheck(t *testing.T) {
	for _, c := range []struct {
		endpoint string
		cfg      SecOpsConfig
		want     string
	}{
		{"https://chronicle.us.rep.googleapis.com/v1/projects/p/locations/us/instances/i/logs:import", SecOpsConfig{}, "must name a SecOps ingestion method"},
		{testSecOpsHost + "/v1/projects/p/locations/us/instances/i/logTypes/A.B/logs:import", SecOpsConfig{}, "must name a SecOps ingestion method"},
		{testSecOpsEndpoint, SecOpsConfig{LogType: "OKTA"}, "secops::log_type: applies to the legacy"},
		{testSecOpsEndpoint, SecOpsConfig{CustomerID: testCustomerID}, "secops::customer_id: only the legacy"},
		{testSecOpsEndpoint, SecOpsConfig{MaxRequestBytes: secopsMaxRequestBytes + 1}, "secops::max_request_bytes"},
		{testSecOpsUDM, SecOpsConfig{Namespace: "prod"}, "UDM events carry neither"},
		{testSecOpsUDM, SecOpsConfig{Forwarder: "f"}, "secops::forwarder"},
		{testLegacyLogs, SecOpsConfig{LogType: "OKTA"}, "secops::customer_id: required"},
		{testLegacyLogs, SecOpsConfig{CustomerID: testCustomerID}, "secops::log_type"},
		{testLegacyUDM, SecOpsConfig{CustomerID: testCustomerID, MaxRequestBytes: secopsLegacyMaxRequestBytes + 1}, "secops::max_request_bytes"},
	} {
		err := c.cfg.check(c.endpoint)
		assert.ErrorContains(t, err, c.want, "%s %+v", c.endpoint, c.cfg)
	}
	for _, ok := range []string{testSecOpsEndpoint, testSecOpsUDM} {
		assert.NoError(t, (&SecOpsConfig{}).check(ok))
	}
}

// Google's error answers are read: a 400 drops the request with the API's
// status and message, a 403 names the permission to grant; others are the
// status's (429 and 5xx retried by the exporter).
func TestSecOpsAnswers(t *testing.T) {
	e := newTestSecOps(t, testSecOpsEndpoint, SecOpsConfig{})
	req := &Request{Events: []int{0, 1}}
	answer := func(code int, status, msg string) []byte {
		return fmt.Appendf(nil, `{"error":{"code":%d,"message":%q,"status":%q}}`, code, msg, status)
	}
	r := e.ReadResponse(req, 400, answer(400, "INVALID_ARGUMENT", "Invalid JSON payload received."))
	require.Len(t, r, 2)
	assert.Equal(t, Drop, r[0].Outcome)
	assert.True(t, r[0].WholeRequest)
	assert.Contains(t, r[0].Reason, "INVALID_ARGUMENT: Invalid JSON payload received.")
	r = e.ReadResponse(req, 403, answer(403, "PERMISSION_DENIED", "Permission 'chronicle.logs.import' denied"))
	assert.Contains(t, r[0].Reason, "grant the service account chronicle.logs.import")
	assert.Nil(t, e.ReadResponse(req, 429, answer(429, "RESOURCE_EXHAUSTED", "Quota exceeded")))
	assert.Nil(t, e.ReadResponse(req, 503, answer(503, "UNAVAILABLE", "")))
	assert.Nil(t, e.ReadResponse(req, 400, []byte("not google's")))
	assert.Contains(t, newTestSecOps(t, testSecOpsUDM, SecOpsConfig{}).ReadResponse(req, 403, answer(403, "PERMISSION_DENIED", "x"))[0].Reason, "chronicle.events.import")
}

// The data is base64 of valid UTF-8 whatever the event's bytes.
func TestSecOpsDataIsValidUTF8(t *testing.T) {
	e := newTestSecOps(t, testSecOpsEndpoint, SecOpsConfig{})
	b, err := e.Encode([]formats.Event{serviceEvent(t, "bad\xff", "v\xfe\xfd")})
	require.NoError(t, err)
	logs, _ := readSecOpsLogs(t, b.Requests[0].Body)
	assert.True(t, json.Valid(logs[0].Data))
	assert.NotContains(t, string(logs[0].Data), "\xff")
	_, err = base64.StdEncoding.DecodeString(strings.Split(strings.Split(string(b.Requests[0].Body), `"data":"`)[1], `"`)[0])
	assert.NoError(t, err)
}

// attributed is ev with the record attribute key set to value.
func attributed(ev formats.Event, key, value string) formats.Event {
	withAttribute(&ev, key, value)
	return ev
}

// A SecOps log carries the OCSF finding as its data; a UDM event cannot,
// and the endpoint that takes UDM events refuses the document at load.
func TestSecOpsCarriesOCSFAsLogsOnly(t *testing.T) {
	b, _ := LookupBuiltin("secops")
	s := &Settings{Endpoint: testSecOpsUDM, Sections: Sections{Document: DocumentOCSF}}
	err := b.Check(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "document: ocsf cannot be a UDM event")
	s.Endpoint = testSecOpsEndpoint
	require.NoError(t, b.Check(s))
	enc, err := b.New(s)
	require.NoError(t, err)
	assert.False(t, enc.Wire().WithoutIDs, "the finding's uid is the event id")
}
