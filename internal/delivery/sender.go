package delivery

import (
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/collector/config/configretry"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/hecack"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// Sender talks to the receiver through the exporter's HTTP client, for
// deliveries and the connection check alike: it sets what every request
// carries and keeps what the answer needs to have its request's
// credentials taken out.
type Sender struct {
	Client   *http.Client // nil until start
	url      string       // the configured endpoint, credentials and all
	endpoint string       // for log lines: no user info, no query
	timeout  time.Duration
	// What every request carries: the User-Agent, the body's type and the
	// service's own headers (Splunk's token, Datadog's key).
	userAgent   string
	contentType string
	wire        builtin.Wire  // what the format needs besides its bodies
	maxWait     time.Duration // the longest Retry-After taken, see retryAfterCap
	secrets     []string      // of the config, for redacting what receivers echo
	// shown takes secrets out of the URLs the exporter shows: a format's
	// endpoint may hold one in its path (builtin.Builtin.EndpointSecrets).
	shown   *redact.Secrets
	tracing bool // the client's spans record, see redactingTracerProvider
}

// NewSender posts enc's payloads to endpoint (the configured URL,
// credentials and all), each request bounded by timeout. retry is
// retry_on_failure, which bounds a Retry-After; secrets are the config's
// credentials, redacted from what receivers echo.
func NewSender(endpoint string, timeout time.Duration, retry configretry.BackOffConfig, secrets []string, enc builtin.Encoder, build component.BuildInfo) *Sender {
	shown := redact.New(secrets...)
	return &Sender{
		url:         endpoint,
		endpoint:    shown.URL(endpoint),
		shown:       shown,
		timeout:     timeout,
		userAgent:   fmt.Sprintf("%s/%s (%s/%s)", build.Description, build.Version, runtime.GOOS, runtime.GOARCH),
		contentType: enc.ContentType(),
		maxWait:     retryAfterCap(retry),
		secrets:     secrets,
		wire:        enc.Wire(),
	}
}

// Endpoint is the endpoint for log lines: no user info, no query.
func (s *Sender) Endpoint() string { return s.endpoint }

// Connect builds the HTTP client, at start because only then are the auth
// extensions known. Its spans are redacted like log lines.
func (s *Sender) Connect(ctx context.Context, cfg confighttp.ClientConfig, host component.Host, set component.TelemetrySettings) error {
	if _, noop := set.TracerProvider.(nooptrace.TracerProvider); set.TracerProvider != nil && !noop {
		set.TracerProvider = redactingTracerProvider{TracerProvider: set.TracerProvider, static: s.secrets, shown: s.shown}
		s.tracing = true
	}
	client, err := cfg.ToClient(ctx, host.GetExtensions(), set)
	if err != nil {
		return err
	}
	client.CheckRedirect = noRedirects
	s.Client = client
	return nil
}

func (s *Sender) Close() {
	if s.Client != nil {
		s.Client.CloseIdleConnections()
	}
}

// newRequest is a request to rawURL with what every request carries, and
// where the credential values it writes will be kept.
func (s *Sender) newRequest(ctx context.Context, method, rawURL, contentType string) (*http.Request, *sentHeaders, error) {
	ctx, sent := traceSent(ctx, s.secrets, s.tracing)
	req, err := http.NewRequestWithContext(ctx, method, rawURL, http.NoBody)
	if err != nil {
		return nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", s.userAgent)
	if s.wire.Headers != nil {
		s.wire.Headers(req.Header)
	}
	return req, sent, nil
}

// post sends one body, held by lease, to the endpoint and reads the answer.
func (s *Sender) post(ctx context.Context, key string, body []byte, lease *bodyLease) (*response, error) {
	resp, _, err := s.postRequest(ctx, key, &builtin.Request{Body: body}, lease, nil)
	return resp, err
}

// answerBytes is the most of the answer to req that is read.
func (s *Sender) answerBytes(req *builtin.Request) int64 {
	if s.wire.AnswerBytes != nil {
		return s.wire.AnswerBytes(req)
	}
	return builtin.AnswerBytes
}

// postRequest is post for a request of the format, whose answer may grow
// with its events (see builtin.Wire.AnswerBytes). resent is how many times
// Go's transport wrote the request again on its own: it does when a reused
// connection broke before the answer and the request is replayable, which
// the Idempotency-Key header makes it. The header must stay (receivers and
// the auth extension's signature read it), so a resend counts as an
// attempt instead.
// t, the request's acknowledgement ticket, sets its channel; nil without.
func (s *Sender) postRequest(ctx context.Context, key string, r *builtin.Request, lease *bodyLease, t *hecack.Ticket) (resp *response, resent int, err error) {
	body := r.Body
	if s.Client == nil {
		return nil, 0, errNoClient
	}
	target := s.url
	if r.URL != "" {
		target = r.URL
	} else if s.wire.RequestURL != nil {
		if u := s.wire.RequestURL(key); u != "" {
			target = u
		}
	}
	req, sent, err := s.newRequest(ctx, http.MethodPost, target, s.contentType)
	if err != nil {
		return nil, 0, err
	}
	if len(body) > 0 {
		req.ContentLength = int64(len(body))
		req.Body = lease.reader(body)
		req.GetBody = func() (io.ReadCloser, error) { return lease.reader(body), nil }
	}
	req.Header.Set(HeaderIdempotencyKey, key)
	if s.wire.RequestHeaders != nil {
		s.wire.RequestHeaders(req.Header, key)
	}
	t.SetHeader(req.Header)
	httpResp, err := s.Client.Do(req)
	resent = max(int(sent.writes.Load())-1, 0)
	if err != nil {
		return nil, resent, sent.secrets().Error(s.requestError(req.Context(), err))
	}
	out, err := readFormatAnswer(httpResp, sent, answerBounds{body: s.answerBytes(r), wait: s.maxWait}, s.wire.Settled)
	if err != nil && out.status >= 200 && out.status <= 299 {
		return nil, resent, fmt.Errorf("reading the answer of %s: %w", s.endpoint, err)
	}
	return out, resent, nil
}

// requestError says why a request got no answer.
func (s *Sender) requestError(ctx context.Context, err error) error {
	if urlErr, ok := errors.AsType[*url.Error](err); ok {
		// The configured URL may hold a secret in its user info or query.
		urlErr.URL = s.endpoint
	}
	if reason, ok := untrustedCertificate(err); ok {
		return fmt.Errorf("request to %s failed: %s; %s", s.endpoint, reason, fixCertificate)
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("request to %s timed out after %s (the exporter's timeout setting): %w", s.endpoint, s.timeout, err)
	}
	return fmt.Errorf("request to %s failed: %w", s.endpoint, err)
}

var errNoClient = errors.New("the exporter has not started")
