package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

// connectionTestType is the event type of the guide's test event.
const connectionTestType = "connection_test"

// probe is the outcome of one connection check.
type probe struct {
	method string
	url    string // redacted, for log lines
	status int
	builtin.CheckResult
}

// CheckSettings are what the connection check takes of the config.
type CheckSettings struct {
	Format      string
	Source      string // the test event's
	FailOnError bool   // connection_check::fail_on_error
	// Endpoint is connection_check::endpoint, "" to derive it.
	Endpoint string
	// Check is the format's own check, nil when it has none (custom, body,
	// registered formatters); URL is where it goes.
	Check *builtin.ConnectionCheck
	URL   string
}

// CheckConnection is the test_connection of Sentyr's webhook guide: it calls the service's
// cheapest authenticated endpoint through the sender (so TLS, headers and
// the auth extension apply), logs the outcome, and fails start-up only when
// connection_check::fail_on_error says so.
func CheckConnection(ctx context.Context, s *Sender, enc builtin.Encoder, cfg CheckSettings, logger *zap.Logger) error {
	p := probeConnection(ctx, s, enc, cfg)
	fields := []zap.Field{
		zap.String("format", cfg.Format),
		zap.String("method", p.method),
		zap.String("url", p.url),
	}
	if p.status != 0 {
		fields = append(fields, zap.Int("status", p.status))
	}
	if p.OK {
		if p.Detail != "" {
			fields = append(fields, zap.String("detail", p.Detail))
		}
		logger.Info("Connection check passed", fields...)
		return nil
	}
	fields = append(fields, zap.String("reason", p.Reason), zap.String("fix", p.Fix))
	if !cfg.FailOnError {
		logger.Warn("Connection check failed; the exporter starts anyway (connection_check::fail_on_error is false)", fields...)
		return nil
	}
	logger.Error("Connection check failed", fields...)
	return fmt.Errorf("connection check %s %s failed: %s; %s (or set connection_check::fail_on_error: false to start anyway)",
		p.method, p.url, p.Reason, p.Fix)
}

// probeConnection runs the format's own check when it has one, else posts
// the test event; either goes to connection_check::endpoint when it is set.
func probeConnection(ctx context.Context, s *Sender, enc builtin.Encoder, cfg CheckSettings) probe {
	if cfg.Check == nil {
		return probeTestEvent(ctx, checkSender(s, cfg.Endpoint), enc, cfg.Source)
	}
	return probeService(ctx, s, cfg.Check, cfg.URL)
}

// checkSender is s posting to endpoint instead of the exporter's
// endpoint, with all else the same; s itself when endpoint is empty.
func checkSender(s *Sender, endpoint string) *Sender {
	if endpoint == "" {
		return s
	}
	c := *s
	c.url, c.endpoint = endpoint, s.shown.URL(endpoint)
	return &c
}

// probeService sends the check's request, which has no body (a GET, or
// HEC's POST of no events), and lets the check judge the answer.
func probeService(ctx context.Context, s *Sender, check *builtin.ConnectionCheck, rawURL string) probe {
	p := probe{method: check.Method, url: s.shown.URL(rawURL)}
	contentType := ""
	if check.Method == http.MethodPost {
		contentType = s.contentType
	}
	req, sent, err := s.newRequest(ctx, check.Method, rawURL, contentType)
	if err != nil {
		p.Reason, p.Fix = err.Error(), "check the endpoint"
		return p
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		unreachable(&p, err)
		p.Reason = sent.secrets().String(p.Reason, 0)
		return p
	}
	answer, _ := readAnswer(resp, sent, builtin.AnswerBytes)
	p.status = answer.status
	if probeRedirect(&p, answer.status, answer.location) {
		return p
	}
	// What the check quotes of the answer must hold no credential.
	p.CheckResult = check.Judge(answer.status, []byte(answer.redact(string(answer.body))))
	return p
}

func unreachable(p *probe, err error) {
	if urlErr, ok := errors.AsType[*url.Error](err); ok {
		// The URL may hold a secret in its user info or query.
		urlErr.URL = p.url
	}
	if reason, ok := untrustedCertificate(err); ok {
		p.Reason, p.Fix = "the request failed: "+reason, fixCertificate
		return
	}
	p.Reason = "the request failed: " + err.Error()
	p.Fix = "check the endpoint's host and port, DNS, proxies and tls settings, and that the service is up and reachable from the collector"
}

// probeTestEvent posts the guide's test event (connection_test, info)
// through the configured format, as any event would go.
func probeTestEvent(ctx context.Context, s *Sender, enc builtin.Encoder, source string) probe {
	p := probe{method: http.MethodPost, url: s.endpoint}
	ev := connectionTestEvent(source, time.Now())
	events := []formats.Event{ev}
	batch, err := enc.Encode(events)
	if err == nil && len(batch.Rejected) > 0 {
		err = batch.Rejected[0].Err
	}
	if err == nil && len(batch.Requests) == 0 {
		err = errors.New("the format produced no request")
	}
	if err != nil {
		p.Reason = "the test event could not be encoded: " + err.Error()
		p.Fix = "check the format's settings (e.g. the custom template)"
		return p
	}
	req := &batch.Requests[0]
	lease := newBodyLease(batch.Release)
	defer lease.done()
	resp, err := s.post(ctx, ev.ID, req.Body, lease)
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
		p.OK = true
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		p.Reason = fmt.Sprintf("the receiver refused the credentials (%s)", resp.snippet())
		p.Fix = "check the auth extension (auth::authenticator) or the headers the receiver expects"
	default:
		p.Reason = fmt.Sprintf("the receiver answered %d %s (%s)", resp.status, http.StatusText(resp.status), resp.snippet())
		p.Fix = "check the endpoint and that the receiver accepts this format"
	}
	return p
}

// connectionTestEvent is the guide's test event. Its id depends on the time
// so that a receiver that deduplicates still sees each start's test.
func connectionTestEvent(source string, now time.Time) formats.Event {
	const message = "Connection test from the OpenTelemetry Collector webhook exporter"
	body := pcommon.NewValueMap()
	body.Map().PutStr("event_type", connectionTestType)
	body.Map().PutStr("severity", formats.SeverityInfo)
	body.Map().PutStr("message", message)
	return formats.Event{
		ID:        mapping.InputID(fmt.Appendf(nil, "%s/%d", connectionTestType, now.UnixNano())),
		Type:      connectionTestType,
		Severity:  formats.SeverityInfo,
		Timestamp: now.UTC(),
		Source:    source,
		Data:      []formats.Field{{Key: "message", Value: pcommon.NewValueStr(message)}},
		Body:      body,
		Resource:  pcommon.NewMap(),
	}
}

// probeRedirect fails a connection check that was answered with a 3xx.
func probeRedirect(p *probe, status int, location string) bool {
	if !isRedirect(status) {
		return false
	}
	p.Reason = fmt.Sprintf("the receiver answered %d %s with Location %s, which the exporter does not follow", status, http.StatusText(status), location)
	p.Fix = "if the receiver has moved, set endpoint (or connection_check::endpoint) to that location"
	return true
}
