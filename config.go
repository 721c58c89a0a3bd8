package webhookexporter

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/configcheck"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// The config's defaults (see createDefaultConfig).
const (
	defaultSource                = "sentyr"
	defaultTimeout               = 30 * time.Second
	defaultMaxConcurrentRequests = 8
	// As many as keepalive::max_idle_conns: the exporter talks to one host.
	defaultMaxIdleConnsPerHost  = 100
	defaultDeadLetterMaxSizeMiB = 1024
)

// builtinFormats names the built-in formats, for the error of an unknown one.
var builtinFormats = func() []string {
	var names []string
	for _, b := range builtin.Builtins() {
		names = append(names, b.Name)
	}
	return names
}()

// Config is the webhook exporter's configuration.
type Config struct {
	ClientConfig confighttp.ClientConfig                                  `mapstructure:",squash"`
	QueueConfig  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Format is the payload: one of the built-in formats or the name of a
	// formatter registered with formats.Register in a custom build.
	Format string `mapstructure:"format"`
	// Source names the sender in every event.
	Source string `mapstructure:"source"`
	// ResourceAttributes lists resource attributes copied into each event's data.
	ResourceAttributes []string `mapstructure:"resource_attributes"`
	// MaxConcurrentRequests bounds the requests in flight for one batch when
	// a format sends one event per request (Datadog, Elasticsearch _doc).
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`

	// The formats' own sections (json, splunk_hec, ...), declared with
	// their formats.
	builtin.Sections `mapstructure:",squash"`
	// Threshold is min_severity, for every format: events below it are
	// counted, not sent.
	builtin.Threshold `mapstructure:",squash"`
	// Digest folds more than digest::after events of one type within
	// digest::window into one event that says how many.
	Digest          builtin.DigestConfig  `mapstructure:"digest"`
	ConnectionCheck ConnectionCheckConfig `mapstructure:"connection_check"`
	DeadLetter      DeadLetterConfig      `mapstructure:"dead_letter"`

	_ struct{}
}

// DeadLetterConfig keeps every event the exporter gives up on in a file,
// one line each, with the reason (see internal/deadletter).
type DeadLetterConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Directory holds one file per exporter, named after its component id,
	// so that several exporters can share it.
	Directory string `mapstructure:"directory"`
	// MaxSizeMiB caps the file. A full file takes no more dead letters:
	// they are refused and counted, nothing in the file is overwritten.
	// At most maxDeadLetterMaxSizeMiB, so that the cap in bytes does not
	// overflow into nothing or a negative size.
	MaxSizeMiB int64 `mapstructure:"max_size_mib"`
	// Sync makes each write reach the disk before the push returns.
	Sync bool `mapstructure:"sync"`
	_    struct{}
}

// ConnectionCheckConfig is the guide's test_connection, run at start.
type ConnectionCheckConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// FailOnError makes a failed check fail the collector's start-up.
	FailOnError bool `mapstructure:"fail_on_error"`
	// Endpoint overrides the URL that the check calls (see internal/delivery/connection.go).
	Endpoint string `mapstructure:"endpoint"`
	_        struct{}
}

// maxDeadLetterMaxSizeMiB is the largest max_size_mib whose bytes fit in
// a file size (an int64).
const maxDeadLetterMaxSizeMiB = math.MaxInt64 >> 20

var _ component.Config = (*Config)(nil)

// Validate checks what the collector cannot: the endpoint's form and the
// settings the chosen format needs.
func (cfg *Config) Validate() error {
	var errs []error
	if err := cfg.validateEndpoint(); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(cfg.Source) == "" {
		errs = append(errs, errors.New(`source: must not be empty; leave it out for the default "sentyr" or name your sender`))
	}
	if cfg.ClientConfig.Timeout <= 0 {
		// confighttp reads 0 as no limit: a receiver that never answers
		// would then hold a batch, and a shutdown, forever.
		errs = append(errs, fmt.Errorf("timeout: %s is not allowed: each request needs a limit, and a shutdown waits at most one timeout; write a duration such as 30s (the default)", cfg.ClientConfig.Timeout))
	}
	if cfg.MaxConcurrentRequests < 1 {
		errs = append(errs, fmt.Errorf("max_concurrent_requests: %d is not allowed; write a number of 1 or more (default 8)", cfg.MaxConcurrentRequests))
	}
	if err := cfg.Digest.Check(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.Threshold.Check(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.validateFormat(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.validateHeaders(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.ConnectionCheck.validate(cfg.shownURL); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.DeadLetter.validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateRetryNumbers(cfg.RetryConfig)...)
	return errors.Join(errs...)
}

// validateRetryNumbers refuses the NaN that YAML's .nan gives and
// configretry lets through: a NaN multiplier makes every wait negative,
// that is no wait at all.
func validateRetryNumbers(rc configretry.BackOffConfig) []error {
	var errs []error
	if math.IsNaN(rc.Multiplier) {
		errs = append(errs, errors.New("retry_on_failure::multiplier: NaN is not a number; write a number such as 2 (the default)"))
	}
	if math.IsNaN(rc.RandomizationFactor) {
		errs = append(errs, errors.New("retry_on_failure::randomization_factor: NaN is not a number; write a number from 0 to 1, such as 0.5"))
	}
	return errs
}

func (c *DeadLetterConfig) validate() error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if strings.TrimSpace(c.Directory) == "" {
		errs = append(errs, errors.New("dead_letter::directory: required when dead_letter::enabled is true; write a directory the collector may write to, e.g. /var/lib/otelcol/deadletter"))
	} else if err := deadletter.CheckDirectory(c.Directory); err != nil {
		errs = append(errs, err)
	}
	if c.MaxSizeMiB < 1 || c.MaxSizeMiB > maxDeadLetterMaxSizeMiB {
		errs = append(errs, fmt.Errorf("dead_letter::max_size_mib: %d is not allowed; write a size from 1 to %d, the most whose bytes a file size can hold (default %d)", c.MaxSizeMiB, maxDeadLetterMaxSizeMiB, defaultDeadLetterMaxSizeMiB))
	}
	return errors.Join(errs...)
}

func (cfg *Config) validateEndpoint() error {
	endpoint := cfg.ClientConfig.Endpoint
	if endpoint == "" {
		return errors.New("endpoint: required; write the receiver's URL, e.g. endpoint: https://siem.example.com/webhook")
	}
	// The endpoint is quoted without user info and query, which may hold secrets.
	if !strings.Contains(endpoint, "://") {
		// Checked before parsing: host:port/path parses as scheme "host".
		bare := cfg.shownURL(endpoint)
		return fmt.Errorf("endpoint: missing scheme in %q; write https://%s", bare, bare)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		fix := "write e.g. https://siem.example.com/webhook"
		if strings.Contains(endpoint, "@") {
			fix += "; in user info write / ? # @ as %2F %3F %23 %40"
		}
		return fmt.Errorf("endpoint: %q is not a valid URL (%v); %s", cfg.shownURL(endpoint), redact.ParseError(endpoint, err), fix)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("endpoint: scheme %q is not supported; write an http:// or https:// URL", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("endpoint: %q has no host; write e.g. https://siem.example.com/webhook", cfg.shownURL(endpoint))
	}
	return nil
}

// validateFormat checks that the format is known and that the settings it
// requires are there.
func (cfg *Config) validateFormat() error {
	if b, ok := builtin.LookupBuiltin(cfg.Format); ok {
		return b.Check(cfg.formatSettings())
	}
	if _, ok := builtin.Lookup(cfg.Format); ok {
		return builtin.CheckRegistered(cfg.Format, cfg.formatSettings())
	}
	msg := fmt.Sprintf("format: %q is not a known format; write one of %s, or the name of a formatter registered in your build",
		cfg.Format, strings.Join(builtinFormats, ", "))
	if registered := builtin.Registered(); len(registered) > 0 {
		msg += fmt.Sprintf(" (registered: %s)", strings.Join(registered, ", "))
	}
	return errors.New(msg)
}

// formatSettings hands the built-in formats their sections of the config.
func (cfg *Config) formatSettings() *builtin.Settings {
	return &builtin.Settings{Endpoint: cfg.ClientConfig.Endpoint, Source: cfg.Source, Sections: cfg.Sections, Threshold: cfg.Threshold}
}

// validate checks the connection check's own settings; shown is how an
// error shows a URL.
func (c *ConnectionCheckConfig) validate(shown func(string) string) error {
	if c.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("connection_check::endpoint: %q is not an http:// or https:// URL; write the full URL to check, "+
			"e.g. https://splunk.example.com:8088/services/collector/event, or leave it out to derive it from the endpoint", shown(c.Endpoint))
	}
	return nil
}

// checkURL is connection_check::endpoint when set, else what the format's
// check derives from the endpoint.
func (cfg *Config) checkURL(check *builtin.ConnectionCheck) string {
	if cfg.ConnectionCheck.Endpoint != "" {
		return cfg.ConnectionCheck.Endpoint
	}
	return check.URL(cfg.formatSettings())
}

// connectionCheckOf is the format's own connection check, nil when it has
// none (custom, body, registered formatters).
func connectionCheckOf(format string) *builtin.ConnectionCheck {
	b, _ := builtin.LookupBuiltin(format)
	return b.ConnectionCheck
}

// validateHeaders refuses, at load, what Go's client would refuse only at
// send time (and the exporter retry until max_elapsed_time): a header name
// that is not an HTTP token, a header or credential value with a line break
// or another control character. Values are never quoted.
func (cfg *Config) validateHeaders() error {
	var errs []error
	for _, h := range cfg.ClientConfig.Headers {
		field := fmt.Sprintf("headers::%s", h.Name)
		if err := configcheck.HeaderName("headers", h.Name); err != nil {
			errs = append(errs, err)
			field = "headers"
		}
		if err := configcheck.Value(field, string(h.Value)); err != nil {
			errs = append(errs, err)
		}
	}
	for c, value := range cfg.formatSecrets() {
		if err := configcheck.Value(c.Field, value); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// credentials names (never shows) what secret the exporter's requests
// carry: the format's own credential, configured headers whose name says
// they hold one, and the auth extension.
func (cfg *Config) credentials() []string {
	var got []string
	if c := credentialOf(cfg.Format); c != nil && c.Value != nil && c.Value(cfg.formatSettings()) != "" {
		got = append(got, c.Field)
	}
	for _, h := range cfg.ClientConfig.Headers {
		if secretHeader(h.Name) {
			got = append(got, "headers::"+h.Name)
		}
	}
	if cfg.ClientConfig.Auth.HasValue() {
		got = append(got, "auth::authenticator "+cfg.ClientConfig.Auth.Get().AuthenticatorID.String())
	}
	return got
}

// formatSecrets yields every built-in format's own secret setting with its
// value, set or not, whichever format is chosen: a value is checked and
// redacted even where it is not sent.
func (cfg *Config) formatSecrets() iter.Seq2[*builtin.Credential, string] {
	return func(yield func(*builtin.Credential, string) bool) {
		s := cfg.formatSettings()
		for _, b := range builtin.Builtins() {
			if c := b.Credential; c != nil && c.Value != nil && !yield(c, string(c.Value(s))) {
				return
			}
		}
	}
}

// credentialOf is what the format's service authenticates requests with,
// nil when nothing is known of it.
func credentialOf(format string) *builtin.Credential {
	b, _ := builtin.LookupBuiltin(format)
	return b.Credential
}

// missingCredential says what to set when the format's service wants a
// credential and the requests carry none, else "".
func (cfg *Config) missingCredential() string {
	c := credentialOf(cfg.Format)
	if c == nil || c.Missing == "" || cfg.ClientConfig.Auth.HasValue() || cfg.hasHeader(c.Header) {
		return ""
	}
	if c.Value != nil && c.Value(cfg.formatSettings()) != "" {
		return ""
	}
	return c.Missing
}

// secretHeader guesses from its name whether a header carries a
// credential: Authorization, X-API-Key, DD-API-KEY, X-Auth-Token, Cookie...
func secretHeader(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"auth", "key", "token", "secret", "password", "signature", "cookie", "session"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// hasHeader reports whether the configured headers set name.
func (cfg *Config) hasHeader(name string) bool {
	for _, h := range cfg.ClientConfig.Headers {
		if http.CanonicalHeaderKey(h.Name) == http.CanonicalHeaderKey(name) {
			return true
		}
	}
	return false
}

// configSecrets lists the credentials of cfg: the values of headers, the
// formats' tokens and keys, and the user info and query values of the URLs.
func configSecrets(cfg *Config) []string {
	var out []string
	for name, v := range cfg.ClientConfig.Headers.Iter {
		if !delivery.IsPublicHeader(name) {
			out = append(out, string(v))
		}
	}
	for _, value := range cfg.formatSecrets() {
		out = append(out, value)
	}
	for _, raw := range []string{cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint} {
		out = append(out, redact.URLSecrets(raw)...)
	}
	return append(out, cfg.endpointSecrets()...)
}

// endpointSecrets are the credentials the format finds in the paths of
// the endpoint and the connection check's URL (a Slack webhook's token).
func (cfg *Config) endpointSecrets() []string {
	return builtin.EndpointSecretsOf(cfg.Format, cfg.ClientConfig.Endpoint, cfg.ConnectionCheck.Endpoint)
}

// shownURL is raw as messages show it: no user info, no query, no
// credential in its path.
func (cfg *Config) shownURL(raw string) string {
	return redact.New(cfg.endpointSecrets()...).URL(raw)
}
