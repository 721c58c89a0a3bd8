package webhookexporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
)

type webhookExporter struct {
	cfg      *Config
	settings component.TelemetrySettings
	logger   *zap.Logger
	encoder  formats.Encoder
	// reader is the encoder's per-event answer reading, nil when the HTTP
	// status alone decides.
	reader    formats.ResponseReader
	mapper    mapper
	arrays    eventPool
	endpoint  string   // for log lines: no user info, no query
	secrets   []string // of the config, for redacting what receivers echo
	tracing   bool     // the client's spans record, see redactingTracerProvider
	userAgent string
	client    *http.Client
}

func newExporter(cfg *Config, set exporter.Settings) (*webhookExporter, error) {
	enc, err := newEncoder(cfg)
	if err != nil {
		return nil, err
	}
	reader, _ := enc.(formats.ResponseReader)
	ids, readsIDs := enc.(formats.IDReader)
	return &webhookExporter{
		cfg:      cfg,
		settings: set.TelemetrySettings,
		logger:   set.Logger,
		encoder:  enc,
		reader:   reader,
		mapper: mapper{
			source:             cfg.Source,
			resourceAttributes: cfg.ResourceAttributes,
			now:                time.Now,
			lazyIDs:            readsIDs && !ids.ReadsIDs(),
		},
		endpoint:  redactedEndpoint(cfg.ClientConfig.Endpoint),
		secrets:   configSecrets(cfg),
		userAgent: fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH),
	}, nil
}

// newEncoder builds the encoder that the configured format names.
func newEncoder(cfg *Config) (formats.Encoder, error) {
	switch cfg.Format {
	case FormatJSON:
		return formats.NewJSON(cfg.JSON), nil
	case FormatSplunkHEC:
		return formats.NewSplunkHEC(cfg.SplunkHEC), nil
	case FormatDatadog:
		return formats.NewDatadog(cfg.Datadog), nil
	case FormatElastic:
		return formats.NewElastic(cfg.Elastic, cfg.ClientConfig.Endpoint)
	case FormatCustom:
		return formats.NewCustom(cfg.Custom)
	case FormatBody:
		return formats.NewBody(cfg.Body), nil
	}
	if enc, ok := formats.Lookup(cfg.Format); ok {
		return enc, nil
	}
	return nil, fmt.Errorf("format %q is not available in this build", cfg.Format)
}

// redactedEndpoint keeps what identifies the receiver and drops what may
// hold a secret (user info, query).
func redactedEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "(invalid endpoint)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

// setHeaders sets what every request of the exporter carries: the
// User-Agent and the service's own headers (Splunk's token, Datadog's key).
func (e *webhookExporter) setHeaders(h http.Header) {
	h.Set("User-Agent", e.userAgent)
	if hs, ok := e.encoder.(formats.HeaderSetter); ok {
		hs.SetHeaders(h)
	}
}

// start builds the HTTP client here because only now are the auth
// extensions known.
func (e *webhookExporter) start(ctx context.Context, host component.Host) error {
	set := e.settings
	if _, noop := set.TracerProvider.(nooptrace.TracerProvider); set.TracerProvider != nil && !noop {
		set.TracerProvider = redactingTracerProvider{TracerProvider: set.TracerProvider, static: e.secrets}
		e.tracing = true
	}
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), set)
	if err != nil {
		return err
	}
	client.CheckRedirect = noRedirects
	e.client = client
	e.warnSettings()
	if e.cfg.ConnectionCheck.Enabled {
		return e.checkConnection(ctx)
	}
	return nil
}

func (e *webhookExporter) shutdown(context.Context) error {
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	return nil
}

// pushLogs delivers one batch. Events that failed in a retryable way go back
// to the retry sender alone; events the receiver refused for good are
// logged and dropped.
func (e *webhookExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if ld.LogRecordCount() == 0 {
		return nil
	}
	arrays := e.arrays.get()
	defer e.arrays.put(arrays)
	batch, err := mapAndEncode(&e.mapper, e.encoder, ld, arrays)
	if err != nil {
		return consumererror.NewPermanent(fmt.Errorf("encoding %d events as %s: %w", len(arrays.events), e.cfg.Format, err))
	}
	arrays.results = append(arrays.results[:0], make([]formats.Result, len(arrays.events))...)
	d := newDelivery(e, arrays)
	d.reject(batch.Rejected, nil)
	d.sendAll(ctx, &batch)
	return d.result(ld)
}

// mapAndEncode maps ld's events into arrays and encodes them: a chunk at a
// time for an encoder that takes a batch in parts, else all at once.
func mapAndEncode(m *mapper, enc formats.Encoder, ld plog.Logs, arrays *eventArrays) (formats.Batch, error) {
	if s, ok := enc.(formats.StreamEncoder); ok {
		stream := s.Stream(ld.LogRecordCount())
		m.mapInto(ld, arrays, stream.Add)
		return stream.Finish(), nil
	}
	m.mapInto(ld, arrays, nil)
	return enc.Encode(arrays.events)
}

// resultError turns the outcome of a batch into what exporterhelper expects.
func resultError(ld plog.Logs, outcomes []formats.Result, retryErr error, throttle time.Duration, dropped int) error {
	retry := 0
	for _, o := range outcomes {
		if o.Outcome == formats.Retry {
			retry++
		}
	}
	switch {
	case retry > 0:
		var err error = consumererror.NewLogs(retryErr, subsetLogs(ld, outcomes, formats.Retry))
		if throttle > 0 {
			err = exporterhelper.NewThrottleRetry(err, throttle)
		}
		return err
	case dropped > 0:
		return consumererror.NewPermanent(fmt.Errorf("%d of %d events were refused by the receiver and dropped", dropped, len(outcomes)))
	}
	return nil
}

// subsetLogs copies the records whose outcome is want, keeping their
// resource and scope.
func subsetLogs(ld plog.Logs, outcomes []formats.Result, want formats.Outcome) plog.Logs {
	out := plog.NewLogs()
	idx := 0
	for _, rl := range ld.ResourceLogs().All() {
		var outRL plog.ResourceLogs
		hasRL := false
		for _, sl := range rl.ScopeLogs().All() {
			var outSL plog.ScopeLogs
			hasSL := false
			for _, lr := range sl.LogRecords().All() {
				if outcomes[idx].Outcome == want {
					if !hasRL {
						outRL, hasRL = out.ResourceLogs().AppendEmpty(), true
						rl.Resource().CopyTo(outRL.Resource())
						outRL.SetSchemaUrl(rl.SchemaUrl())
					}
					if !hasSL {
						outSL, hasSL = outRL.ScopeLogs().AppendEmpty(), true
						sl.Scope().CopyTo(outSL.Scope())
						outSL.SetSchemaUrl(sl.SchemaUrl())
					}
					lr.CopyTo(outSL.LogRecords().AppendEmpty())
				}
				idx++
			}
		}
	}
	return out
}

var errNoClient = errors.New("the exporter has not started")
