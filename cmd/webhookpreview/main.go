// Command webhookpreview shows exactly what a webhook exporter
// configuration sends, without sending it: it builds the real exporter and
// webhookauth extension from the configuration, points them at a local
// recorder, exports sample events and prints each request (credentials
// redacted, signatures as computed) and what the exporter would drop.
//
//	go run ./cmd/webhookpreview -config examples/quickstart.yaml
//	go run ./cmd/webhookpreview -config examples/hmac.yaml -events examples/events.jsonl
//
// It is the counterpart of cmd/webhookreceiver, which shows what was
// received. It exits with 1 when the configuration does not validate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	config, exporter, events, otlp string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("webhookpreview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "collector configuration file (required)")
	fs.StringVar(&o.exporter, "exporter", "", "id of the webhook exporter to preview, e.g. webhook/siem (default: the only one)")
	fs.StringVar(&o.events, "events", "", "JSONL file of events shaped like examples/events.jsonl")
	fs.StringVar(&o.otlp, "otlp", "", "OTLP/JSON logs file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.config == "" {
		fmt.Fprintln(stderr, "webhookpreview: name the configuration with -config")
		return 2
	}
	if err := preview(ctx, o, stdout); err != nil {
		fmt.Fprintln(stderr, "webhookpreview:", err)
		var ce configError
		if errors.As(err, &ce) {
			return 1
		}
		return 2
	}
	return 0
}

// configError is a configuration that does not load or validate.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

func preview(ctx context.Context, o options, out io.Writer) error {
	conf, err := loadConfig(ctx, o.config)
	if err != nil {
		return configError{err}
	}
	ld, err := loadEvents(o.events, o.otlp)
	if err != nil {
		return err
	}
	p, err := build(ctx, conf, o.exporter)
	if err != nil {
		return err
	}
	defer p.close(ctx)
	if err := p.export(ctx, ld); err != nil {
		fmt.Fprintf(out, "export error: %v\n\n", err)
	}
	p.print(out)
	return nil
}
