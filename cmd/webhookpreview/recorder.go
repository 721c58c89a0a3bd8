package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/redact"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// recorded is one request as the recorder received it.
type recorded struct {
	seq         int // the recorder's place: token requests come first
	method, url string
	header      http.Header
	body        []byte
	answer      string // with -send: the endpoint's status line and body
}

// recorder is a local server standing in for one configured URL: the
// exporter's own client, encoder, signer and authenticator run unchanged,
// and what reaches the recorder is what the real endpoint would receive.
type recorder struct {
	srv    *httptest.Server
	target *url.URL // the configured URL the requests are for
	answer func(r *http.Request, body []byte) (int, string)

	reqs *[]recorded
}

// forwarder sends a recorded request on to its configured URL (-send) and
// returns the answer for the exporter and as shown.
type forwarder func(r *http.Request, url string, body []byte) (status int, text, shown string)

func newRecorder(seq int, target *url.URL, reqs *[]recorded, mu *sync.Mutex, answer func(*http.Request, []byte) (int, string), forward forwarder) *recorder {
	rec := &recorder{target: target, answer: answer, reqs: reqs}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u := *target
		u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
		h := r.Header.Clone()
		h.Set("Host", target.Host)
		status, text := answer(r, body)
		var shown string
		if forward != nil {
			status, text, shown = forward(r, u.String(), body)
		}
		mu.Lock()
		*reqs = append(*reqs, recorded{seq: seq, method: r.Method, url: u.String(), header: h, body: body, answer: shown})
		mu.Unlock()
		if status < 0 {
			// Not sent: the exporter sees a broken connection, as it
			// would if it could not reach the endpoint itself.
			panic(http.ErrAbortHandler)
		}
		if text != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	return rec
}

// localURL is target with its scheme and host replaced by the recorder's.
func (rec *recorder) localURL() string {
	u := *rec.target
	local, _ := url.Parse(rec.srv.URL)
	u.Scheme, u.Host = local.Scheme, local.Host
	return u.String()
}

// successAnswer is what the service of format answers (the format
// table's) when it takes every event of a request, so the exporter reports
// the events delivered.
func successAnswer(format string) func(*http.Request, []byte) (int, string) {
	b, ok := builtin.LookupBuiltin(format)
	return func(r *http.Request, body []byte) (int, string) {
		if !ok {
			return http.StatusOK, ""
		}
		n := 1 // a body of another shape (a custom template's text) is one event
		if plain, err := testsink.Decompress(r.Header, body); err == nil {
			if count, err := testsink.Count(b.Service.Body, plain); err == nil {
				n = count
			}
		}
		a := b.Service.Accept(n)
		return a.Status, a.Body
	}
}

// tokenAnswer stands in for an OAuth2 token endpoint.
func tokenAnswer(*http.Request, []byte) (int, string) {
	return http.StatusOK, `{"access_token":"preview-access-token","token_type":"Bearer","expires_in":3600}`
}

// redactForm hides client_secret (and other secrets) in a token request.
func redactForm(body []byte) []byte {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return body
	}
	for k := range v {
		if strings.Contains(k, "secret") || k == "password" || k == "client_assertion" || k == "assertion" {
			v[k] = []string{"REDACTED"}
		}
	}
	return []byte(v.Encode())
}

// sendOn forwards the request as the exporter made it to the configured
// URL, with Go's default TLS settings, and passes the answer back.
func sendOn(client *http.Client) forwarder {
	return func(r *http.Request, target string, body []byte) (int, string, string) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target, bytes.NewReader(body))
		if err != nil {
			return -1, "", "not sent: " + err.Error()
		}
		req.Header = r.Header.Clone()
		req.Header.Del("Accept-Encoding")
		resp, err := client.Do(req)
		if urlErr, ok := errors.AsType[*url.Error](err); ok {
			urlErr.URL = redact.MaskedURL(target, redactedMark)
		}
		if err != nil {
			return -1, "", "not sent: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, string(b), resp.Status + " " + strings.TrimSpace(string(b))
	}
}

// statusOnly keeps the answer's body (a token) out of the preview.
func (f forwarder) statusOnly() forwarder {
	if f == nil {
		return nil
	}
	return func(r *http.Request, target string, body []byte) (int, string, string) {
		status, text, _ := f(r, target, body)
		return status, text, fmt.Sprintf("%d %s (body not shown: it holds the token)", status, http.StatusText(status))
	}
}
