package webhookexporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// connectionTestType is the event type of the seed's test event.
const connectionTestType = "connection_test"

// hecCodeNoData is HEC's code 5, "No data": the token passed.
const hecCodeNoData = 5

// validate checks the connection check's own settings.
func (c *ConnectionCheckConfig) validate() error {
	if c.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("connection_check::endpoint: %q is not an http:// or https:// URL; write the full URL to check, "+
			"e.g. https://splunk.example.com:8088/services/collector/event, or leave it out to derive it from the endpoint", redact.URL(c.Endpoint))
	}
	return nil
}

// probe is the outcome of one connection check.
type probe struct {
	method string
	url    string // redacted, for log lines
	status int
	ok     bool
	detail string // on success: what the service said about itself
	reason string // on failure: what went wrong
	fix    string // on failure: what the user can do
}

// checkConnection is the seed's test_connection: it calls the service's
// cheapest authenticated endpoint through the exporter's own client (so TLS,
// headers and the auth extension apply), logs the outcome, and fails
// start-up only when connection_check::fail_on_error says so.
func (e *webhookExporter) checkConnection(ctx context.Context) error {
	p := e.probe(ctx)
	fields := []zap.Field{
		zap.String("format", e.cfg.Format),
		zap.String("method", p.method),
		zap.String("url", p.url),
	}
	if p.status != 0 {
		fields = append(fields, zap.Int("status", p.status))
	}
	if p.ok {
		if p.detail != "" {
			fields = append(fields, zap.String("detail", p.detail))
		}
		e.logger.Info("Connection check passed", fields...)
		return nil
	}
	fields = append(fields, zap.String("reason", p.reason), zap.String("fix", p.fix))
	if !e.cfg.ConnectionCheck.FailOnError {
		e.logger.Warn("Connection check failed; the exporter starts anyway (connection_check::fail_on_error is false)", fields...)
		return nil
	}
	e.logger.Error("Connection check failed", fields...)
	return fmt.Errorf("connection check %s %s failed: %s; %s (or set connection_check::fail_on_error: false to start anyway)",
		p.method, p.url, p.reason, p.fix)
}

func (e *webhookExporter) probe(ctx context.Context) probe {
	switch e.cfg.Format {
	case FormatSplunkHEC:
		return e.probeHTTP(ctx, http.MethodPost, e.checkURL(hecEventURL), readHECNoData)
	case FormatElastic:
		return e.probeHTTP(ctx, http.MethodGet, e.checkURL(elasticRootURL), readElasticRoot)
	case FormatDatadog:
		return e.probeHTTP(ctx, http.MethodGet, e.checkURL(e.datadogValidateURL), readDatadogValidate)
	}
	return e.probeTestEvent(ctx)
}

// checkURL is connection_check::endpoint when set, else what derive makes
// of the exporter's endpoint.
func (e *webhookExporter) checkURL(derive func(*url.URL) string) string {
	if e.cfg.ConnectionCheck.Endpoint != "" {
		return e.cfg.ConnectionCheck.Endpoint
	}
	u, err := url.Parse(e.cfg.ClientConfig.Endpoint)
	if err != nil {
		return e.cfg.ClientConfig.Endpoint
	}
	return derive(u)
}

// hecEventURL is the endpoint itself: the check posts no events where
// the events go. /services/collector/health would not do: it reads no
// token, so it passes with a wrong one.
func hecEventURL(u *url.URL) string {
	return u.String()
}

func elasticRootURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String()
}

// datadogValidateURL uses the site when one is set, because the endpoint
// may be a proxy; else the endpoint's host.
func (e *webhookExporter) datadogValidateURL(u *url.URL) string {
	if site := e.cfg.Datadog.Site; site != "" {
		return "https://api." + site + "/api/v1/validate"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/api/v1/validate"}).String()
}

// reader judges a service's answer to the check's request.
type reader func(p *probe, body []byte)

// probeHTTP sends one request with no body (a GET, or HEC's POST of no
// events) and lets read judge the answer.
func (e *webhookExporter) probeHTTP(ctx context.Context, method, rawURL string, read reader) probe {
	p := probe{method: method, url: redactedEndpoint(rawURL)}
	ctx, sent := e.traceSent(ctx)
	req, err := http.NewRequestWithContext(ctx, method, rawURL, http.NoBody)
	if err != nil {
		p.reason, p.fix = err.Error(), "check the endpoint"
		return p
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", e.encoder.ContentType())
	}
	e.setHeaders(req.Header)
	resp, err := e.client.Do(req)
	if err != nil {
		unreachable(&p, err)
		p.reason = sent.secrets().String(p.reason, 0)
		return p
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
	// What the readers quote of the answer must hold no credential.
	body = []byte(sent.secrets().String(string(body), 0))
	p.status = resp.StatusCode
	if probeRedirect(&p, resp.StatusCode, sent.secrets().String(redirectLocation(resp), 0)) {
		return p
	}
	read(&p, body)
	return p
}

func unreachable(p *probe, err error) {
	if urlErr, ok := errors.AsType[*url.Error](err); ok {
		// The URL may hold a secret in its user info or query.
		urlErr.URL = p.url
	}
	if reason, ok := untrustedCertificate(err); ok {
		p.reason, p.fix = "the request failed: "+reason, fixCertificate
		return
	}
	p.reason = "the request failed: " + err.Error()
	p.fix = "check the endpoint's host and port, DNS, proxies and tls settings, and that the service is up and reachable from the collector"
}

func snippet(body []byte) string {
	r := response{body: body}
	return strings.TrimSpace(r.snippet())
}

// readHECNoData reads HEC's answer to a POST of no events, which indexes
// nothing: HEC checks the token first, so a good token gets 400 code 5
// "No data" and a bad one codes 1-4 (403 disabled, 401 missing or not
// "Splunk <token>", 403 unknown). A 200 comes from a compatible receiver
// that takes an empty batch. Busy indexers are 503 (codes 9, 18-20).
func readHECNoData(p *probe, body []byte) {
	var r struct {
		Text string `json:"text"`
		Code *int   `json:"code"`
	}
	_ = json.Unmarshal(body, &r)
	switch {
	case r.Code != nil && *r.Code == hecCodeNoData:
		p.ok, p.detail = true, "token accepted (HEC answered \"No data\" to a request with no events)"
	case p.status == http.StatusOK:
		p.ok, p.detail = true, "the receiver accepted a request with no events"
	case r.Code != nil && *r.Code >= 1 && *r.Code <= 4, p.status == http.StatusUnauthorized, p.status == http.StatusForbidden:
		p.reason = fmt.Sprintf("Splunk HEC refused the token (%s)", snippet(body))
		p.fix = "set splunk_hec::token to a valid, enabled HEC token"
	case p.status == http.StatusServiceUnavailable:
		p.reason = fmt.Sprintf("Splunk HEC is not healthy (%s)", snippet(body))
		p.fix = "check the Splunk indexers' queues; events are retried until HEC takes them again"
	case p.status == http.StatusNotFound:
		p.reason = "no HEC event endpoint at this URL (404)"
		p.fix = "point endpoint at https://<splunk>:8088/services/collector/event, or set connection_check::endpoint"
	default:
		p.reason = fmt.Sprintf("unexpected answer %d %s (%s)", p.status, http.StatusText(p.status), snippet(body))
		p.fix = "check that the endpoint is a Splunk HTTP Event Collector"
	}
}

// readElasticRoot reads GET /: 200 with what the service says of itself.
func readElasticRoot(p *probe, body []byte) {
	switch p.status {
	case http.StatusOK:
		p.ok = true
		p.detail = elasticRootDetail(body)
	case http.StatusUnauthorized:
		p.reason = fmt.Sprintf("Elasticsearch refused the credentials (%s)", snippet(body))
		p.fix = "set elastic::api_key to the encoded value of a valid API key (or fix the auth extension)"
	case http.StatusForbidden:
		p.reason = fmt.Sprintf("the credentials may not read the cluster root (%s)", snippet(body))
		p.fix = "give the API key the cluster privilege monitor, or set connection_check::fail_on_error: false " +
			"(a write-only key can still index)"
	default:
		p.reason = fmt.Sprintf("unexpected answer %d %s (%s)", p.status, http.StatusText(p.status), snippet(body))
		p.fix = "check that the endpoint is an Elasticsearch cluster, or set connection_check::endpoint"
	}
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
	d := strings.Join(parts, ", ")
	if len(d) > logBodyBytes {
		d = strings.ToValidUTF8(d[:logBodyBytes], "") + "..."
	}
	return d
}

// readDatadogValidate reads GET /api/v1/validate: 200 {"valid":true}, or
// 403 {"errors":["Forbidden"]} for a key the site does not know.
func readDatadogValidate(p *probe, body []byte) {
	var r struct {
		Valid bool `json:"valid"`
	}
	_ = json.Unmarshal(body, &r)
	switch {
	case p.status == http.StatusOK && r.Valid:
		p.ok, p.detail = true, "API key valid"
	case p.status == http.StatusOK:
		p.reason = fmt.Sprintf("the answer does not say the key is valid (%s)", snippet(body))
		p.fix = "check that the endpoint is Datadog's API, or set datadog::site"
	case p.status == http.StatusUnauthorized || p.status == http.StatusForbidden:
		p.reason = fmt.Sprintf("Datadog refused the API key (%s)", snippet(body))
		p.fix = "set datadog::api_key to a valid API key of your Datadog site, and datadog::site to that site (e.g. datadoghq.eu)"
	default:
		p.reason = fmt.Sprintf("unexpected answer %d %s (%s)", p.status, http.StatusText(p.status), snippet(body))
		p.fix = "check datadog::site, or set connection_check::endpoint"
	}
}

// probeTestEvent posts the seed's test event (connection_test, info)
// through the configured format, as any event would go.
func (e *webhookExporter) probeTestEvent(ctx context.Context) probe {
	p := probe{method: http.MethodPost, url: e.endpoint}
	ev := connectionTestEvent(e.cfg.Source, time.Now())
	events := []formats.Event{ev}
	batch, err := e.encoder.Encode(events)
	if err == nil && len(batch.Rejected) > 0 {
		err = batch.Rejected[0].Err
	}
	if err == nil && len(batch.Requests) == 0 {
		err = errors.New("the format produced no request")
	}
	if err != nil {
		p.reason = "the test event could not be encoded: " + err.Error()
		p.fix = "check the format's settings (e.g. the custom template)"
		return p
	}
	req := &batch.Requests[0]
	lease := newBodyLease(batch.Release)
	defer lease.done()
	resp, err := e.post(ctx, ev.ID, req.Body, lease)
	if err != nil {
		unreachable(&p, err)
		return p
	}
	p.status = resp.status
	if probeRedirect(&p, resp.status, resp.location) {
		return p
	}
	switch {
	case resp.status >= 200 && resp.status <= 299:
		p.ok = true
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		p.reason = fmt.Sprintf("the receiver refused the credentials (%s)", resp.snippet())
		p.fix = "check the auth extension (auth::authenticator) or the headers the receiver expects"
	default:
		p.reason = fmt.Sprintf("the receiver answered %d %s (%s)", resp.status, http.StatusText(resp.status), resp.snippet())
		p.fix = "check the endpoint and that the receiver accepts this format"
	}
	return p
}

// connectionTestEvent is the seed's test event. Its id depends on the time
// so that a receiver that deduplicates still sees each start's test.
func connectionTestEvent(source string, now time.Time) formats.Event {
	const message = "Connection test from the OpenTelemetry Collector webhook exporter"
	body := pcommon.NewValueMap()
	body.Map().PutStr("event_type", connectionTestType)
	body.Map().PutStr("severity", formats.SeverityInfo)
	body.Map().PutStr("message", message)
	return formats.Event{
		ID:        eventID(fmt.Appendf(nil, "%s/%d", connectionTestType, now.UnixNano())),
		Type:      connectionTestType,
		Severity:  formats.SeverityInfo,
		Timestamp: now.UTC(),
		Source:    source,
		Data:      []formats.Field{{Key: "message", Value: pcommon.NewValueStr(message)}},
		Body:      body,
		Resource:  pcommon.NewMap(),
	}
}
