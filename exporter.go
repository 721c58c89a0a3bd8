package webhookexporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
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

	id          string // the component id
	telemetry   *exporterTelemetry
	deadLetters *deadLetterWriter // nil when dead_letter is off
	drops       *dropLog
	// stopping is closed when the collector begins to shut the exporter
	// down, before the queue drains (see stampingLogs.Shutdown).
	stopping      chan struct{}
	stopOnce      sync.Once
	keepOnRestart bool // a persistent queue keeps what shutdown interrupts
}

func newExporter(cfg *Config, set exporter.Settings) (*webhookExporter, error) {
	enc, err := newEncoder(cfg)
	if err != nil {
		return nil, err
	}
	reader, _ := enc.(formats.ResponseReader)
	ids, readsIDs := enc.(formats.IDReader)
	tel, err := newExporterTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	var dl *deadLetterWriter
	file := ""
	if cfg.DeadLetter.Enabled {
		dl = newDeadLetterWriter(cfg.DeadLetter, set.ID)
		file = dl.path
	}
	e := &webhookExporter{
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
	}
	e.id = set.ID.String()
	e.telemetry = tel
	e.deadLetters = dl
	e.drops = newDropLog(set.Logger, e.id, file)
	e.stopping = make(chan struct{})
	e.keepOnRestart = cfg.QueueConfig.HasValue() && cfg.QueueConfig.Get().StorageID != nil
	return e, nil
}

// newEncoder builds the encoder that the configured format names.
func newEncoder(cfg *Config) (formats.Encoder, error) {
	if b, ok := formats.LookupBuiltin(cfg.Format); ok {
		return b.New(cfg.formatSettings())
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
	if e.deadLetters != nil {
		if err := e.deadLetters.check(); err != nil {
			return err
		}
	}
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
		if err := e.checkConnection(ctx); err != nil {
			return err
		}
	}
	e.drops.startTicker()
	return nil
}

// beginShutdown tells pushes that wait for a retry to give up.
func (e *webhookExporter) beginShutdown() {
	e.stopOnce.Do(func() { close(e.stopping) })
}

// shutdown runs after the queue has drained: the drop totals logged now
// include what the shutdown gave up on.
func (e *webhookExporter) shutdown(context.Context) error {
	e.beginShutdown()
	e.drops.stop()
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	return nil
}

// attempt sends ld once. Events that failed in a retryable way come back
// in the result, alone; events dropped for good are dead-lettered,
// counted and logged.
func (e *webhookExporter) attempt(ctx context.Context, ld plog.Logs) attemptResult {
	arrays := e.arrays.get()
	defer e.arrays.put(arrays)
	batch, err := mapAndEncode(&e.mapper, e.encoder, ld, arrays)
	if err != nil {
		err = fmt.Errorf("encoding %d events as %s: %w", len(arrays.events), e.cfg.Format, err)
		e.giveUp(ld, allDropped(dropped{reason: reasonEncodingFailed, detail: err.Error()}))
		return attemptResult{dropped: len(arrays.events), dropErr: err}
	}
	arrays.results = append(arrays.results[:0], make([]formats.Result, len(arrays.events))...)
	d := newDelivery(e, arrays)
	d.reject(batch.Rejected, nil)
	d.sendAll(ctx, &batch)
	if d.dropped > 0 {
		e.giveUp(ld, d.droppedAt)
	}
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

// attemptResult is what became of one attempt at a batch.
type attemptResult struct {
	// retry holds the events to try again when retryErr is set.
	retry    plog.Logs
	retryErr error
	throttle time.Duration // the receiver's Retry-After
	dropped  int
	dropErr  error // why the whole batch was dropped, if it was
	// firstDrop is the reason of the first event dropped, for the error.
	firstDrop string
}

// resultOf sums up an attempt from the outcome of each event.
func resultOf(ld plog.Logs, outcomes []formats.Result, retryErr error, throttle time.Duration, dropped int) attemptResult {
	r := attemptResult{dropped: dropped}
	retrying := false
	for _, o := range outcomes {
		if o.Outcome == formats.Drop && r.firstDrop == "" {
			r.firstDrop = o.Reason
		}
		if o.Outcome == formats.Retry && !retrying {
			retrying = true
			r.retry = subsetLogs(ld, outcomes, formats.Retry)
			r.retryErr, r.throttle = retryErr, throttle
		}
	}
	return r
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
