package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// The preview sends nothing by construction: the exporter's client gets,
// as the only middleware of its configuration, a RoundTripper that hands
// every request to the recorder of its URL's origin (created on first
// use) over a transport that dials the recorders and nothing else. So
// whatever the exporter calls, the endpoint, connection_check's URL or
// Datadog's api.<site>, it reaches a local recorder: no proxy, no DNS, no
// connection out. With -send, the recorders forward what they got.

// sealedID names the preview's middleware in the exporter's client.
var sealedID = component.MustNewIDWithName("webhookpreview", "recorders")

// sealed is the middleware extension holding the preview's RoundTripper.
type sealed struct {
	component.StartFunc
	component.ShutdownFunc
	p *previewer
}

var _ extensionmiddleware.HTTPClient = sealed{}

// GetHTTPRoundTripper drops the transport confighttp built (with the
// configured proxy, dialer and TLS) and puts the preview's in its place.
func (s sealed) GetHTTPRoundTripper(context.Context) (extensionmiddleware.WrapHTTPRoundTripperFunc, error) {
	return func(context.Context, http.RoundTripper) (http.RoundTripper, error) { return s.p, nil }, nil
}

// RoundTrip sends req to the recorder of its origin instead.
func (p *previewer) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := p.recorderFor(req.URL)
	local := req.Clone(req.Context())
	local.URL.Scheme, local.URL.Host, local.URL.User = "http", rec.srv.Listener.Addr().String(), nil
	local.Host = ""
	return p.transport.RoundTrip(local)
}

// recorderFor returns the recorder standing in for u's scheme and host.
func (p *previewer) recorderFor(u *url.URL) *recorder {
	p.recMu.Lock()
	defer p.recMu.Unlock()
	for _, r := range p.recs {
		if strings.EqualFold(r.target.Scheme, u.Scheme) && strings.EqualFold(r.target.Host, u.Host) {
			return r
		}
	}
	target := &url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host}
	return p.addRecorder(target, successAnswer(p.format), p.forward)
}

// addRecorder starts a recorder for target; p.recMu is held or not needed.
func (p *previewer) addRecorder(target *url.URL, answer func(*http.Request, []byte) (int, string), forward forwarder) *recorder {
	rec := newRecorder(len(p.recs), target, &p.reqs, &p.mu, answer, forward)
	p.recs = append(p.recs, rec)
	p.addrs[rec.srv.Listener.Addr().String()] = true
	return rec
}

// sealedTransport is Go's transport without proxy, dialing only the
// recorders: a request the routing above missed fails instead of leaving.
func (p *previewer) sealedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	var d net.Dialer
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		p.recMu.Lock()
		ok := p.addrs[addr]
		p.recMu.Unlock()
		if !ok {
			return nil, fmt.Errorf("the preview reaches its recorders only, not %s", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}

var opaqueType = reflect.TypeFor[configopaque.String]()

// opaqueValues returns every configopaque.String held in v, however deep:
// the secrets of a format or an authenticator added later are found
// without a list of them.
func opaqueValues(v any) []string {
	var out []string
	seen := map[uintptr]bool{}
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key())
				walk(it.Value())
			}
		case reflect.String:
			if v.Type() == opaqueType && v.Len() > 0 {
				out = append(out, v.String())
			}
		}
	}
	walk(reflect.ValueOf(v))
	return out
}

// credentialName says whether a header of that name carries a credential
// by its name alone (Authorization, X-Api-Key, DD-API-KEY, Cookie, ...).
func credentialName(name string) bool {
	n := strings.ToLower(name)
	if n == "idempotency-key" {
		return false
	}
	for _, w := range []string{"auth", "key", "token", "secret", "pass", "cookie", "session", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// hidden is the preview's redaction of what it prints: the config's
// secrets and the credential header values the requests carried.
func (p *previewer) hidden() *redact.Secrets {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := redact.New(p.secrets...)
	for _, r := range p.reqs {
		for name, vs := range r.header {
			if p.redacted(name) {
				s.Add(vs...)
			}
		}
	}
	return s
}

func (p *previewer) redacted(name string) bool {
	return p.redact[http.CanonicalHeaderKey(name)] || credentialName(name)
}
