package webhookexporter

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"

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

// publicHeaders are the headers whose values are not credentials: framing,
// the exporter's own ids and trace context. Every other header value is
// treated as a credential: a list of credential headers would miss the
// one a custom authenticator or middleware adds.
var publicHeaders = map[string]bool{
	"Host": true, "Content-Type": true, "Content-Length": true, "Content-Encoding": true,
	"Transfer-Encoding": true, "Connection": true, "Accept": true, "Accept-Encoding": true,
	"User-Agent": true, headerIdempotencyKey: true, "Webhook-Id": true, "Webhook-Timestamp": true,
	"Traceparent": true, "Tracestate": true,
}

func isPublicHeader(name string) bool {
	// HTTP/2 names its pseudo-headers (:path, :authority) with a colon and
	// its headers in lower case; the URL's secrets come from the config.
	return strings.HasPrefix(name, ":") || publicHeaders[http.CanonicalHeaderKey(name)]
}

// configSecrets lists the credentials of cfg: the values of headers, the
// formats' tokens and keys, and the user info and query values of the URLs.
func configSecrets(cfg *Config) []string {
	var out []string
	for name, v := range cfg.ClientConfig.Headers.Iter {
		if !isPublicHeader(name) {
			out = append(out, string(v))
		}
	}
	out = append(out, string(cfg.SplunkHEC.Token), string(cfg.Datadog.APIKey), string(cfg.Elastic.APIKey))
	for _, raw := range []string{cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint} {
		out = append(out, urlSecrets(raw)...)
	}
	return out
}

func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		pass, _ := u.User.Password()
		out = append(out, u.User.String(), u.User.Username()+":"+pass, pass)
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
		for _, vs := range u.Query() {
			out = append(out, vs...)
		}
	}
	return out
}

// sentHeaders keeps the credential header values a request wrote. The
// transport may write from its own goroutine, hence the lock.
type sentHeaders struct {
	static []string

	mu     sync.Mutex
	values []string
}

// traceSent returns ctx set to record the header values its request
// writes, and where they are kept.
func (e *webhookExporter) traceSent(ctx context.Context) (context.Context, *sentHeaders) {
	sent := &sentHeaders{static: e.secrets}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaderField: func(name string, values []string) {
			if isPublicHeader(name) {
				return
			}
			sent.mu.Lock()
			sent.values = append(sent.values, values...)
			sent.mu.Unlock()
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
