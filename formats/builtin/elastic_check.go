package builtin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// elasticCheck reads the cluster's root, GET /, which any key that may
// monitor the cluster reads.
var elasticCheck = &ConnectionCheck{
	Method: http.MethodGet,
	URL: func(s *Settings) string {
		return derivedURL(s.Endpoint, func(u *url.URL) string {
			return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String()
		})
	},
	Judge: judgeElasticRoot,
}

// judgeElasticRoot reads GET /: 200 with what the service says of itself.
func judgeElasticRoot(status int, body []byte) CheckResult {
	switch status {
	case http.StatusOK:
		return CheckResult{OK: true, Detail: elasticRootDetail(body)}
	case http.StatusUnauthorized:
		return CheckResult{Reason: fmt.Sprintf("Elasticsearch refused the credentials (%s)", answerSnippet(body)),
			Fix: "set elastic::api_key to the encoded value of a valid API key (or fix the auth extension)"}
	case http.StatusForbidden:
		return CheckResult{Reason: fmt.Sprintf("the credentials may not read the cluster root (%s)", answerSnippet(body)),
			Fix: "give the API key the cluster privilege monitor, or set connection_check::fail_on_error: false " +
				"(a write-only key can still index)"}
	}
	return unexpected(status, body, "check that the endpoint is an Elasticsearch cluster, or set connection_check::endpoint")
}

// elasticRootDetail names what the root answer has of cluster_name,
// version.number (with version.distribution, as OpenSearch writes it) and
// tagline: compatible services (OpenSearch, Fluent Bit) leave some out.
func elasticRootDetail(body []byte) string {
	var r struct {
		ClusterName string `json:"cluster_name"`
		Version     struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
		} `json:"version"`
		Tagline string `json:"tagline"`
	}
	_ = json.Unmarshal(body, &r)
	var parts []string
	if r.ClusterName != "" {
		parts = append(parts, "cluster "+r.ClusterName)
	}
	if v := strings.TrimSpace(r.Version.Distribution + " " + r.Version.Number); v != "" {
		parts = append(parts, "version "+v)
	}
	if r.Tagline != "" {
		parts = append(parts, fmt.Sprintf("tagline %q", r.Tagline))
	}
	// The answer is the receiver's to choose: bound it as a body snippet.
	return redact.Cut(strings.Join(parts, ", "))
}
