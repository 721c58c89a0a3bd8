package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configmiddleware"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	webhookexporter "github.com/sentyr/webhookexporter"
	"github.com/sentyr/webhookexporter/auth"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// distribution is the collector that builder-config.yaml's dist builds, as
// ocb tells its components: the exporter's User-Agent is
// <description>/<version> (TestUserAgentIsTheDistributions keeps it so).
var distribution = component.BuildInfo{Command: "otelcol-webhook", Description: "otelcol-webhook", Version: "0.1.0-dev"}

// host offers the started extension to the exporter, as the collector does.
type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

type previewer struct {
	id      string
	format  string
	redact  map[string]bool // header names whose values are credentials
	secrets []string        // of the configuration
	notes   []string        // what the configuration asks for that the preview does not do
	exp     exporter.Logs
	ext     extension.Extension
	logs    *observer.ObservedLogs
	forward forwarder // with -send

	recMu     sync.Mutex
	recs      []*recorder
	addrs     map[string]bool // the recorders' listeners
	transport *http.Transport

	mu   sync.Mutex
	reqs []recorded
}

// build loads, validates and starts the exporter id (or the only one) and
// the webhookauth extension it names, its client sealed to the recorders.
func build(ctx context.Context, conf *confmap.Conf, id string, forward forwarder) (*previewer, error) {
	id, expConf, err := pickExporter(conf, id)
	if err != nil {
		return nil, configError{err}
	}
	cid := component.ID{}
	if err := cid.UnmarshalText([]byte(id)); err != nil {
		return nil, configError{err}
	}
	ef := webhookexporter.NewFactory()
	cfg := ef.CreateDefaultConfig().(*webhookexporter.Config)
	if err := expConf.Unmarshal(cfg); err != nil {
		return nil, configError{fmt.Errorf("exporters::%s: %w", id, err)}
	}
	if cfg.DeadLetter.Enabled && strings.TrimSpace(cfg.DeadLetter.Directory) != "" {
		// The preview writes no dead letter: the directory is checked where
		// the collector runs, by its validate and at its start.
		cfg.DeadLetter.Directory = os.TempDir()
	}
	if err := confmap.Validate(cfg); err != nil {
		return nil, configError{fmt.Errorf("exporters::%s: %w", id, err)}
	}
	p := &previewer{id: id, format: cfg.Format, forward: forward, redact: map[string]bool{}, addrs: map[string]bool{}}
	p.transport = p.sealedTransport()
	for _, pair := range cfg.ClientConfig.Headers {
		p.redact[textprotoKey(pair.Name)] = true
	}
	p.secrets = opaqueValues(cfg)
	for _, raw := range []string{cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint, cfg.ClientConfig.ProxyURL} {
		p.secrets = append(p.secrets, redact.URLSecrets(raw)...)
	}
	// A format's endpoint may hold its credential in the path (Slack's token).
	p.secrets = append(p.secrets, builtin.EndpointSecretsOf(cfg.Format, cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint)...)
	p.seal(cfg)
	h := host{sealedID: sealed{p: p}}
	if a := cfg.ClientConfig.Auth; a.HasValue() {
		aid := a.Get().AuthenticatorID
		ext, err := p.startExtension(ctx, conf, aid)
		if err != nil {
			return nil, p.fail(ctx, err)
		}
		h[aid] = ext
	}
	// The preview is one synchronous export: no queue, no retries, and no
	// dead-letter file written by a preview.
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	cfg.DeadLetter.Enabled = false

	core, logs := observer.New(zapcore.WarnLevel)
	p.logs = logs
	set := exportertest.NewNopSettings(ef.Type())
	set.ID = cid
	set.BuildInfo = distribution
	set.Logger = zap.New(core)
	exp, err := ef.CreateLogs(ctx, set, cfg)
	if err != nil {
		return nil, p.fail(ctx, configError{fmt.Errorf("exporters::%s: %w", id, err)})
	}
	if err := exp.Start(ctx, h); err != nil {
		return nil, p.fail(ctx, fmt.Errorf("exporters::%s: start: %w", id, err))
	}
	p.exp = exp
	return p, nil
}

// seal gives the exporter's client the preview's transport in place of
// the configured one, and notes what of the configuration is not done.
func (p *previewer) seal(cfg *webhookexporter.Config) {
	cc := &cfg.ClientConfig
	if cc.ProxyURL != "" {
		p.notes = append(p.notes, fmt.Sprintf("proxy_url %s: not used (-send sends straight to the URLs)", redact.MaskedURL(cc.ProxyURL, redactedMark)))
		cc.ProxyURL = ""
	}
	if len(cc.Middlewares) > 0 || cc.DialerMiddleware.HasValue() {
		p.notes = append(p.notes, "middlewares, dialer_middleware: not used")
	}
	cc.Middlewares = []configmiddleware.Config{{ID: sealedID}}
	cc.DialerMiddleware = configoptional.None[configmiddleware.Config]()
	if cfg.ConnectionCheck.Enabled && p.forward == nil {
		p.notes = append(p.notes, "connection_check: its request is shown, not sent; the collector sends it at start")
		// The recorder's answer is made up: it decides nothing.
		cfg.ConnectionCheck.FailOnError = false
	}
}

// fail closes what build started and returns err without the secrets.
func (p *previewer) fail(ctx context.Context, err error) error {
	p.close(ctx)
	if hidden := p.hidden().Error(err); hidden != err {
		return hidden
	}
	return err
}

func (p *previewer) startExtension(ctx context.Context, conf *confmap.Conf, aid component.ID) (extension.Extension, error) {
	key := "extensions" + confmap.KeyDelimiter + aid.String()
	if aid.Type() != auth.NewFactory().Type() || !conf.IsSet(key) {
		return nil, configError{fmt.Errorf("exporters::%s: auth: authenticator %q is not a webhookauth extension of the configuration", p.id, aid)}
	}
	extConf, err := conf.Sub(key)
	if err != nil {
		return nil, configError{err}
	}
	af := auth.NewFactory()
	acfg := af.CreateDefaultConfig().(*auth.Config)
	if err := extConf.Unmarshal(acfg); err != nil {
		return nil, configError{fmt.Errorf("%s: %w", key, err)}
	}
	// A Google service account's token request goes to a recorder too:
	// the key's token_uri says where, so a made-up key is used, whose
	// token_uri is the recorder. Its assertion is shown redacted.
	if acfg.GoogleServiceAccount.HasValue() && p.forward == nil {
		target, _ := url.Parse(googleTokenURL)
		rec := p.addRecorder(target, tokenAnswer, nil)
		key, err := madeUpGoogleKey(fixedWidthPort(rec.localURL()))
		if err != nil {
			return nil, err
		}
		g := acfg.GoogleServiceAccount.Get()
		g.CredentialsFile, g.CredentialsJSON = "", configopaque.String(key)
		p.notes = append(p.notes, "google_service_account: the token request is shown, not sent, signed by a made-up key; the token is made up")
	}
	if err := confmap.Validate(acfg); err != nil {
		return nil, configError{fmt.Errorf("%s: %w", key, err)}
	}
	p.secrets = append(p.secrets, opaqueValues(acfg)...)
	if acfg.APIKey.HasValue() {
		p.redact[textprotoKey(acfg.APIKey.Get().Header)] = true
	}
	// The token request goes to a recorder that answers with a made-up
	// token: it is shown, not made.
	if acfg.OAuth2.HasValue() {
		o := acfg.OAuth2.Get()
		p.secrets = append(p.secrets, redact.URLSecrets(o.TokenURL)...)
		target, err := url.Parse(o.TokenURL)
		if err != nil {
			return nil, configError{err}
		}
		rec := p.addRecorder(target, tokenAnswer, p.forward.statusOnly())
		o.TokenURL = rec.localURL()
		if p.forward == nil {
			p.notes = append(p.notes, "oauth2: the token request is shown, not sent; the token is made up")
		}
	}
	ext, err := af.Create(ctx, extensiontest.NewNopSettings(af.Type()), acfg)
	if err != nil {
		return nil, configError{fmt.Errorf("%s: %w", key, err)}
	}
	if err := ext.Start(ctx, host{}); err != nil {
		return nil, fmt.Errorf("%s: start: %w", key, err)
	}
	p.ext = ext
	return ext, nil
}

func (p *previewer) export(ctx context.Context, ld plog.Logs) error {
	return p.exp.ConsumeLogs(ctx, ld)
}

func (p *previewer) close(ctx context.Context) {
	if p.exp != nil {
		_ = p.exp.Shutdown(ctx)
	}
	if p.ext != nil {
		_ = p.ext.Shutdown(ctx)
	}
	p.recMu.Lock()
	defer p.recMu.Unlock()
	for _, r := range p.recs {
		r.srv.Close()
	}
	p.transport.CloseIdleConnections()
}

// print writes each recorded request, each event the exporter dropped and
// what the preview did not do.
func (p *previewer) print(out io.Writer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reqs) == 0 {
		fmt.Fprintln(out, "no request would be sent")
	}
	// Requests may go out concurrently; the preview shows them in a stable
	// order: token requests first, then by body.
	sort.SliceStable(p.reqs, func(i, j int) bool {
		a, b := p.reqs[i], p.reqs[j]
		if a.seq != b.seq {
			return a.seq < b.seq
		}
		return bytes.Compare(a.body, b.body) < 0
	})
	for i, r := range p.reqs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "%s %s\n", r.method, redact.MaskedURL(r.url, redactedMark))
		names := make([]string, 0, len(r.header))
		for k := range r.header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range r.header[k] {
				fmt.Fprintf(out, "%s: %s\n", k, p.headerValue(k, v))
			}
		}
		fmt.Fprintln(out)
		body := r.body
		if enc := r.header.Get("Content-Encoding"); enc != "" {
			if plain, err := decompress(enc, body); err == nil {
				fmt.Fprintf(out, "(%d bytes sent %s-compressed; decompressed:)\n", len(body), enc)
				body = plain
			}
		}
		if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body = redactForm(body)
		}
		fmt.Fprintln(out, string(body))
		if pb := pretty(body); pb != string(body) {
			fmt.Fprintln(out, "\nindented:")
			fmt.Fprintln(out, strings.TrimRight(pb, "\n"))
		}
		if r.answer != "" {
			fmt.Fprintf(out, "\nanswered: %s\n", r.answer)
		}
	}
	for _, e := range p.logs.All() {
		// exporterhelper's line about the missing queue is about the
		// preview's own settings (it exports without a queue), not the
		// configuration's.
		if e.Level < zapcore.ErrorLevel || strings.HasPrefix(e.Message, "Exporting failed") {
			continue
		}
		fmt.Fprintf(out, "\ndropped: %s", p.configured(e.Message))
		enc := zapcore.NewMapObjectEncoder()
		for _, f := range e.Context {
			f.AddTo(enc)
		}
		keys := make([]string, 0, len(enc.Fields))
		for k := range enc.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(out, " %s=%s", k, p.configured(fmt.Sprint(enc.Fields[k])))
		}
		fmt.Fprintln(out)
	}
	for _, n := range p.notes {
		fmt.Fprintf(out, "\nnot done: %s", n)
	}
	if len(p.notes) > 0 {
		fmt.Fprintln(out)
	}
}

// redactedMark is what the preview prints in place of a secret.
var redactedMark = configopaque.String("x").String()

// configured replaces the recorders' local URLs in s with the configured
// ones, so a message reads as it would in the collector.
func (p *previewer) configured(s string) string {
	p.recMu.Lock()
	defer p.recMu.Unlock()
	for _, r := range p.recs {
		s = strings.ReplaceAll(s, r.srv.URL, redact.MaskedURL(r.target.Scheme+"://"+r.target.Host, redactedMark))
	}
	return s
}

func (p *previewer) headerValue(name, v string) string {
	if !p.redacted(name) {
		return v
	}
	if scheme, cred, ok := strings.Cut(v, " "); ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Basic") || strings.EqualFold(scheme, "Splunk")) {
		return scheme + " " + configopaque.String(cred).String()
	}
	return configopaque.String(v).String()
}

// pretty indents a JSON or NDJSON body; any other body is shown as sent.
func pretty(body []byte) string {
	if json.Valid(body) {
		var b bytes.Buffer
		if json.Indent(&b, body, "", "  ") == nil {
			return b.String()
		}
	}
	lines := bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n"))
	if len(lines) > 1 {
		var b bytes.Buffer
		for _, l := range lines {
			if !json.Valid(l) {
				return string(body)
			}
			_ = json.Indent(&b, l, "", "  ")
			b.WriteByte('\n')
		}
		return b.String()
	}
	return string(body)
}

// decompress undoes gzip or zlib for display; other encodings are shown
// as sent.
func decompress(enc string, body []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch enc {
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(body))
	case "deflate", "zlib":
		r, err = zlib.NewReader(bytes.NewReader(body))
	default:
		return nil, fmt.Errorf("%s: not shown decompressed", enc)
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func textprotoKey(s string) string {
	return http.CanonicalHeaderKey(s)
}

// googleTokenURL is where a Google service account's tokens come from,
// shown as the token request's destination.
const googleTokenURL = "https://oauth2.googleapis.com/token"

// fixedWidthPort writes u's port with five digits (leading zeros, which
// dialing ignores). The key's token_uri is the assertion's audience, so
// the token request's Content-Length would otherwise change with the
// number of digits of the port the recorder got, and the preview's
// output from run to run.
func fixedWidthPort(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	port, err := strconv.Atoi(parsed.Port())
	if err != nil {
		return u
	}
	parsed.Host = net.JoinHostPort(parsed.Hostname(), fmt.Sprintf("%05d", port))
	return parsed.String()
}

// madeUpGoogleKey is a service account key of a key made now, whose
// token_uri is tokenURI.
func madeUpGoogleKey(tokenURI string) ([]byte, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]string{
		"type": "service_account", "client_email": "preview@preview.iam.gserviceaccount.com", "private_key_id": "preview",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "token_uri": tokenURI,
	})
}
