package delivery

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// Receivers echo requests in their error pages ("invalid API key ..."),
// and what they answer goes into log lines and errors. So every text made
// of an answer (the body snippet, a format's per-event reason, a
// transport error) has the credentials of the request that got it taken
// out first: whatever header values the request carried on the wire,
// which includes what the auth extension's RoundTripper added, plus the
// secrets of the config.
//
// The values on the wire are read with httptrace's WroteHeaderField: the
// extension's RoundTripper runs inside the client's transport and works
// on a copy of the request, so neither the request the exporter builds
// nor a wrapper around the client's transport sees them.

const (
	// HeaderIdempotencyKey carries the stable id of a request's events, for
	// receivers that deduplicate.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// publicHeaders are the headers whose values are not credentials: framing,
// the exporter's own ids and trace context. Every other header value is
// treated as a credential: a list of credential headers would miss the
// one a custom authenticator or middleware adds.
var publicHeaders = map[string]bool{
	"Host": true, "Content-Type": true, "Content-Length": true, "Content-Encoding": true,
	"Transfer-Encoding": true, "Connection": true, "Accept": true, "Accept-Encoding": true,
	"User-Agent": true, HeaderIdempotencyKey: true, "Webhook-Id": true, "Webhook-Timestamp": true,
	"Traceparent": true, "Tracestate": true,
}

// IsPublicHeader says whether a header's value is not a credential.
func IsPublicHeader(name string) bool {
	// HTTP/2 names its pseudo-headers (:path, :authority) with a colon and
	// its headers in lower case; the URL's secrets come from the config.
	return strings.HasPrefix(name, ":") || publicHeaders[http.CanonicalHeaderKey(name)]
}

// sentHeaders keeps the credential header values a request wrote. The
// transport may write from its own goroutine, hence the lock.
type sentHeaders struct {
	static []string

	mu     sync.Mutex
	values []string
	buf    [4]string // values' first array: one allocation less

	// writes counts the times the transport wrote the request whole (see
	// sender.postRequest).
	writes atomic.Int32
}

// traceSent returns ctx set to record the header values its request
// writes, and where they are kept.
func traceSent(ctx context.Context, secrets []string, tracing bool) (context.Context, *sentHeaders) {
	sent := &sentHeaders{static: secrets}
	sent.values = sent.buf[:0]
	if tracing {
		ctx = context.WithValue(ctx, sentKey{}, sent)
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaderField: func(name string, values []string) {
			if IsPublicHeader(name) {
				return
			}
			sent.mu.Lock()
			sent.values = append(sent.values, values...)
			sent.mu.Unlock()
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				sent.writes.Add(1)
			}
		},
	}), sent
}

// secrets is what the request carried, built when there is text to redact.
func (s *sentHeaders) secrets() *redact.Secrets {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return redact.New(append(s.values, s.static...)...)
}

// sentKey carries a request's sentHeaders to the spans of its transport.
type sentKey struct{}

// Spans: confighttp wraps the client in otelhttp, whose span keeps the
// URL with its query (url.full) and the transport's error text, which a
// receiver can fill (a malformed answer is quoted). The exporter's client
// is built with a tracer provider that redacts them like log lines.
type redactingTracerProvider struct {
	trace.TracerProvider
	static []string
	shown  *redact.Secrets // the Sender's, for url.full
}

func (p redactingTracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return redactingTracer{Tracer: p.TracerProvider.Tracer(name, opts...), static: p.static, shown: p.shown}
}

type redactingTracer struct {
	trace.Tracer
	static []string
	shown  *redact.Secrets
}

func (t redactingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	attrs := cfg.Attributes()
	for i, kv := range attrs {
		if kv.Key == "url.full" {
			attrs[i] = attribute.String(string(kv.Key), t.shown.URL(kv.Value.AsString()))
		}
	}
	opts = []trace.SpanStartOption{trace.WithAttributes(attrs...), trace.WithSpanKind(cfg.SpanKind()), trace.WithLinks(cfg.Links()...)}
	if !cfg.Timestamp().IsZero() {
		opts = append(opts, trace.WithTimestamp(cfg.Timestamp()))
	}
	if cfg.NewRoot() {
		opts = append(opts, trace.WithNewRoot())
	}
	ctx, span := t.Tracer.Start(ctx, name, opts...)
	sent, _ := ctx.Value(sentKey{}).(*sentHeaders)
	if sent == nil {
		sent = &sentHeaders{static: t.static}
	}
	rs := &redactingSpan{Span: span, sent: sent}
	return trace.ContextWithSpan(ctx, rs), rs
}

// redactingSpan redacts what is set on it after the request went out, when
// its credentials are known. A span that records nothing costs nothing.
type redactingSpan struct {
	trace.Span
	sent    *sentHeaders
	secrets *redact.Secrets
}

func (s *redactingSpan) redactor() *redact.Secrets {
	if s.secrets == nil {
		s.secrets = s.sent.secrets()
	}
	return s.secrets
}

func (s *redactingSpan) attrs(kvs []attribute.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, len(kvs))
	for i, kv := range kvs {
		switch kv.Value.Type() {
		case attribute.STRING:
			v := kv.Value.AsString()
			if kv.Key == "url.full" {
				v = redact.URL(v)
			}
			kv = attribute.String(string(kv.Key), s.redactor().String(v, 0))
		case attribute.STRINGSLICE:
			vs := kv.Value.AsStringSlice()
			for j := range vs {
				vs[j] = s.redactor().String(vs[j], 0)
			}
			kv = attribute.StringSlice(string(kv.Key), vs)
		}
		out[i] = kv
	}
	return out
}

func (s *redactingSpan) SetAttributes(kvs ...attribute.KeyValue) {
	if s.IsRecording() {
		s.Span.SetAttributes(s.attrs(kvs)...)
	}
}

func (s *redactingSpan) SetStatus(code codes.Code, description string) {
	if s.IsRecording() {
		s.Span.SetStatus(code, s.redactor().String(description, 0))
	}
}

func (s *redactingSpan) RecordError(err error, opts ...trace.EventOption) {
	if s.IsRecording() {
		s.Span.RecordError(s.redactor().Error(err), s.eventOpts(opts)...)
	}
}

func (s *redactingSpan) AddEvent(name string, opts ...trace.EventOption) {
	if s.IsRecording() {
		s.Span.AddEvent(name, s.eventOpts(opts)...)
	}
}

func (s *redactingSpan) eventOpts(opts []trace.EventOption) []trace.EventOption {
	cfg := trace.NewEventConfig(opts...)
	out := []trace.EventOption{trace.WithAttributes(s.attrs(cfg.Attributes())...), trace.WithStackTrace(cfg.StackTrace())}
	if !cfg.Timestamp().IsZero() {
		out = append(out, trace.WithTimestamp(cfg.Timestamp()))
	}
	return out
}
