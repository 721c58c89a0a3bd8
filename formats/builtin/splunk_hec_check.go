package builtin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// hecCheck posts no events to the endpoint itself, which indexes nothing.
// /services/collector/health would not do: it reads no token, so it passes
// with a wrong one.
var hecCheck = &ConnectionCheck{
	Method: http.MethodPost,
	URL:    func(s *Settings) string { return derivedURL(s.Endpoint, (*url.URL).String) },
	Judge:  judgeHECNoData,
}

// judgeHECNoData reads HEC's answer to a POST of no events: HEC checks the
// token first, so a good token gets 400 code 5 "No data" and a bad one
// codes 1-4 (403 disabled, 401 missing or not "Splunk <token>", 403
// unknown). A 200 comes from a compatible receiver that takes an empty
// batch. Busy indexers are 503 (codes 9, 18-20).
func judgeHECNoData(status int, body []byte) CheckResult {
	var r struct {
		Text string `json:"text"`
		Code *int   `json:"code"`
	}
	_ = json.Unmarshal(body, &r)
	switch {
	case r.Code != nil && *r.Code == hecCodeNoData:
		return CheckResult{OK: true, Detail: "token accepted (HEC answered \"No data\" to a request with no events)"}
	case r.Code != nil && *r.Code == hecCodeChannelMissing:
		// HEC reads the token before it asks for the channel, and the
		// check sends none; a push with ack off says so in its own line.
		return CheckResult{OK: true, Detail: "token accepted; indexer acknowledgement is on for it (HEC asked for a channel): splunk_hec::ack::enabled must be true"}
	case status == http.StatusOK:
		return CheckResult{OK: true, Detail: "the receiver accepted a request with no events"}
	case r.Code != nil && *r.Code >= hecCodeTokenDisabled && *r.Code <= hecCodeInvalidToken,
		status == http.StatusUnauthorized, status == http.StatusForbidden:
		return CheckResult{Reason: fmt.Sprintf("Splunk HEC refused the token (%s)", answerSnippet(body)),
			Fix: "set splunk_hec::token to a valid, enabled HEC token"}
	case status == http.StatusServiceUnavailable:
		return CheckResult{Reason: fmt.Sprintf("Splunk HEC is not healthy (%s)", answerSnippet(body)),
			Fix: "check the Splunk indexers' queues; events are retried until HEC takes them again"}
	case status == http.StatusNotFound:
		return CheckResult{Reason: "no HEC event endpoint at this URL (404)",
			Fix: "point endpoint at https://<splunk>:8088/services/collector/event, or set connection_check::endpoint"}
	}
	return unexpected(status, body, "check that the endpoint is a Splunk HTTP Event Collector")
}
