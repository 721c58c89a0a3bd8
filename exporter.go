package webhookexporter

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/delivery"
	"github.com/sentyr/webhookexporter/internal/mapping"
)

// webhookExporter is the component: it builds the push path from the
// config (internal/delivery, which maps with internal/mapping and gives up
// through internal/deadletter) and starts and stops it.
type webhookExporter struct {
	cfg      *Config
	settings component.TelemetrySettings
	logger   *zap.Logger
	encoder  builtin.Encoder
	sender   *delivery.Sender
	pusher   *delivery.Pusher
	// keeper gives up on events: dead letters, counters, drop log.
	keeper *deadletter.Keeper

	settingsID   component.ID
	queueStorage *component.ID // the persistent queue's storage, if any
}

func newExporter(cfg *Config, set exporter.Settings) (*webhookExporter, error) {
	enc, err := newEncoder(cfg)
	if err != nil {
		return nil, err
	}
	tel, err := deadletter.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, err
	}
	var dl *deadletter.Writer
	file := ""
	if c := cfg.DeadLetter; c.Enabled {
		dl = deadletter.NewWriter(c.Directory, c.MaxSizeMiB, c.Sync, set.ID)
		file = dl.Path()
	}
	snd := delivery.NewSender(cfg.ClientConfig.Endpoint, cfg.ClientConfig.Timeout, cfg.RetryConfig, configSecrets(cfg), enc, set.BuildInfo)
	id := set.ID.String()
	keeper := &deadletter.Keeper{
		Writer: dl, Telemetry: tel, Drops: deadletter.NewDropLog(set.Logger, id, file),
		Exporter: id, Endpoint: snd.Endpoint(), Format: cfg.Format,
	}
	var queueStorage *component.ID
	if cfg.QueueConfig.HasValue() {
		queueStorage = cfg.QueueConfig.Get().StorageID
	}
	mapper := mapping.Mapper{
		Source:             cfg.Source,
		ResourceAttributes: cfg.ResourceAttributes,
		Now:                time.Now,
		LazyIDs:            enc.Wire().WithoutIDs,
	}
	pusher := delivery.NewPusher(delivery.Settings{
		Format:        cfg.Format,
		MaxConcurrent: cfg.MaxConcurrentRequests,
		Retry:         cfg.RetryConfig,
		Timeout:       cfg.ClientConfig.Timeout,
		KeepOnRestart: queueStorage != nil,
		Threshold:     cfg.Threshold,
		Digest:        cfg.Digest,
	}, mapper, enc, snd, keeper, set.Logger)
	return &webhookExporter{
		cfg:          cfg,
		settings:     set.TelemetrySettings,
		logger:       set.Logger,
		encoder:      enc,
		sender:       snd,
		pusher:       pusher,
		keeper:       keeper,
		settingsID:   set.ID,
		queueStorage: queueStorage,
	}, nil
}

// newEncoder builds the encoder that the configured format names.
func newEncoder(cfg *Config) (builtin.Encoder, error) {
	if b, ok := builtin.LookupBuiltin(cfg.Format); ok {
		return b.New(cfg.formatSettings())
	}
	if enc, ok := builtin.Lookup(cfg.Format); ok {
		return enc, nil
	}
	return nil, fmt.Errorf("format %q is not available in this build", cfg.Format)
}

// start connects the sender here because only now are the auth extensions
// known.
func (e *webhookExporter) start(ctx context.Context, host component.Host) error {
	if e.keeper.Writer != nil {
		if err := e.keeper.Writer.Check(); err != nil {
			return err
		}
	}
	if err := e.sender.Connect(ctx, e.cfg.ClientConfig, host, e.settings); err != nil {
		return err
	}
	if ack := e.cfg.SplunkHEC.Ack; e.cfg.Format == "splunk_hec" && ack.Enabled {
		if err := e.pusher.StartAck(ack); err != nil {
			return err
		}
	}
	if e.queueStorage != nil {
		if err := e.pusher.OpenSettled(ctx, host, *e.queueStorage, e.settingsID); err != nil {
			return err
		}
	}
	warnSettings(e.cfg, e.sender.Endpoint(), e.logger)
	if cc := e.cfg.ConnectionCheck; cc.Enabled {
		check := connectionCheckOf(e.cfg.Format)
		settings := delivery.CheckSettings{
			Format: e.cfg.Format, Source: e.cfg.Source, FailOnError: cc.FailOnError, Endpoint: cc.Endpoint, Check: check,
		}
		if check != nil {
			settings.URL = e.cfg.checkURL(check)
		}
		if err := delivery.CheckConnection(ctx, e.sender, e.encoder, settings, e.logger); err != nil {
			return err
		}
	}
	e.keeper.Drops.StartTicker()
	e.pusher.StartDigests()
	return nil
}

// pushLogs is the push path's: see delivery.Pusher.Push.
func (e *webhookExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	return e.pusher.Push(ctx, ld)
}

// beginShutdown stops the retries and starts the shutdown's drain: see
// delivery.Pusher.BeginShutdown.
func (e *webhookExporter) beginShutdown() {
	e.pusher.BeginShutdown()
}

// shutdown runs after the queue has drained: the drop totals logged now
// include what the shutdown gave up on.
func (e *webhookExporter) shutdown(ctx context.Context) error {
	e.pusher.StopDigests(ctx)
	e.pusher.EndDrain()
	e.keeper.Drops.Stop()
	e.sender.Close()
	return e.pusher.Close(ctx)
}
