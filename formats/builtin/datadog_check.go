package builtin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// datadogCheck validates the API key with GET /api/v1/validate.
var datadogCheck = &ConnectionCheck{
	Method: http.MethodGet,
	URL:    datadogValidateURL,
	Judge:  judgeDatadogValidate,
}

// datadogValidateURL uses the site when one is set, because the endpoint
// may be a proxy; else the endpoint's host.
func datadogValidateURL(s *Settings) string {
	if site := s.Datadog.Site; site != "" {
		return "https://api." + site + "/api/v1/validate"
	}
	return derivedURL(s.Endpoint, func(u *url.URL) string {
		return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/api/v1/validate"}).String()
	})
}

// judgeDatadogValidate reads GET /api/v1/validate: 200 {"valid":true}, or
// 403 {"errors":["Forbidden"]} for a key the site does not know.
func judgeDatadogValidate(status int, body []byte) CheckResult {
	var r struct {
		Valid bool `json:"valid"`
	}
	_ = json.Unmarshal(body, &r)
	switch {
	case status == http.StatusOK && r.Valid:
		return CheckResult{OK: true, Detail: "API key valid"}
	case status == http.StatusOK:
		return CheckResult{Reason: fmt.Sprintf("the answer does not say the key is valid (%s)", answerSnippet(body)),
			Fix: "check that the endpoint is Datadog's API, or set datadog::site"}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return CheckResult{Reason: fmt.Sprintf("Datadog refused the API key (%s)", answerSnippet(body)),
			Fix: "set datadog::api_key to a valid API key of your Datadog site, and datadog::site to that site (e.g. datadoghq.eu)"}
	}
	return unexpected(status, body, "check datadog::site, or set connection_check::endpoint")
}
