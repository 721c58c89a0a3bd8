// Command webhookpreview shows exactly what a webhook exporter
// configuration sends, without sending it: it builds the real exporter and
// webhookauth extension from the configuration, points them at a local
// recorder, exports sample events and prints each request (credentials
// redacted, signatures as computed) and what the exporter would drop.
// Without -send nothing leaves the machine: the exporter's client reaches
// local recorders only (see sealed.go), and the token request of OAuth2
// goes to one too.
//
//	go run ./cmd/webhookpreview -config examples/quickstart.yaml
//	go run ./cmd/webhookpreview -config examples/hmac.yaml -events examples/events.jsonl
//
// It is the counterpart of cmd/webhookreceiver, which shows what was
// received. With -send it also sends the requests to the configured URLs
// and prints the answers and the verdict (delivered, retried, dropped).
// It exits with 1 when the configuration does not validate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, time.Now))
}

type options struct {
	config, exporter, events, otlp string
	send                           bool
	now                            time.Time // when events without a time are observed
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) int {
	o := options{now: now()}
	fs := flag.NewFlagSet("webhookpreview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "collector configuration file (required)")
	fs.StringVar(&o.exporter, "exporter", "", "id of the webhook exporter to preview, e.g. webhook/siem (default: the only one)")
	fs.StringVar(&o.events, "events", "", "JSONL file of events shaped like examples/events.jsonl")
	fs.StringVar(&o.otlp, "otlp", "", "OTLP/JSON logs file")
	fs.BoolVar(&o.send, "send", false, "send the requests for real to the configured URLs (with Go's default TLS settings) and print the answers and the exporter's verdict")
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

// verdict is what the exporter made of the answers: the preview exports
// without retries, so a retryable failure is one the collector would retry.
func verdict(err error) string {
	switch {
	case err == nil:
		return "delivered"
	case strings.Contains(err.Error(), "(retries_exhausted)"):
		// The preview made one attempt; the configured exporter retries
		// this answer as retry_on_failure says, then drops the events.
		return "retried (then dropped if the retries run out): " + err.Error()
	case consumererror.IsPermanent(err):
		return "dropped: " + err.Error()
	default:
		return "retried: " + err.Error()
	}
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
	ld, err := loadEvents(o.events, o.otlp, o.now)
	if err != nil {
		return err
	}
	var fwd forwarder
	if o.send {
		fwd = sendOn(&http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }})
	}
	p, err := build(ctx, conf, o.exporter, fwd)
	if err != nil {
		return err
	}
	defer p.close(ctx)
	exportErr := p.export(ctx, ld)
	// Everything is printed through one redaction: the config's secrets
	// and the credentials the requests carried, in any line.
	var b strings.Builder
	if exportErr != nil {
		fmt.Fprintf(&b, "export error: %s\n\n", p.configured(exportErr.Error()))
	}
	p.print(&b)
	if o.send {
		fmt.Fprintf(&b, "\nverdict: %s\n", p.configured(verdict(exportErr)))
	}
	_, err = io.WriteString(out, p.hidden().String(b.String(), 0))
	return err
}
