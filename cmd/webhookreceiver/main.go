// Command webhookreceiver is a local stand-in for a SIEM or webhook
// endpoint: it answers every request and prints it (method, path, headers
// with secrets redacted, the body as indented JSON), and, given the shared
// secret, says whether the request's HMAC signature verifies. `make run`
// starts it next to the collector; run it alone with
//
//	go run ./cmd/webhookreceiver -listen 127.0.0.1:8088
//
// Flags can also be set in the environment (WEBHOOK_RECEIVER_LISTEN,
// WEBHOOK_SECRET, ...); prefer the environment for the secret, which would
// otherwise show in the process list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "webhookreceiver:", err)
		os.Exit(2)
	}
}

// options are the command's settings.
type options struct {
	listen string
	status int
	verify verifier
}

// parseOptions reads the flags; each flag's environment variable gives its
// default.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	var secret string
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("webhookreceiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", env("WEBHOOK_RECEIVER_LISTEN", "127.0.0.1:8088"), "address to listen on (env WEBHOOK_RECEIVER_LISTEN)")
	fs.IntVar(&o.status, "status", 200, "HTTP status to answer with, e.g. 503 to watch the exporter retry")
	fs.StringVar(&secret, "secret", "", "HMAC secret to verify signatures with (env WEBHOOK_SECRET; no check without one)")
	fs.StringVar(&o.verify.scheme, "scheme", env("WEBHOOK_SCHEME", schemeSortedJSON), "signature scheme of the webhookauth hmac settings: sorted_json, raw or standard_webhooks (env WEBHOOK_SCHEME)")
	fs.StringVar(&o.verify.header, "header", env("WEBHOOK_SIGNATURE_HEADER", "X-Signature"), "signature header for sorted_json and raw (env WEBHOOK_SIGNATURE_HEADER)")
	fs.StringVar(&o.verify.prefix, "prefix", env("WEBHOOK_SIGNATURE_PREFIX", ""), `signature prefix for raw, e.g. "sha256=" (env WEBHOOK_SIGNATURE_PREFIX)`)
	fs.StringVar(&o.verify.timestampHeader, "timestamp-header", env("WEBHOOK_TIMESTAMP_HEADER", ""), "timestamp header for raw, e.g. X-Timestamp (env WEBHOOK_TIMESTAMP_HEADER)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q; see -h", fs.Arg(0))
	}
	if secret == "" {
		secret = getenv("WEBHOOK_SECRET")
	}
	o.verify.secret = secret
	if err := o.verify.check(); err != nil {
		return o, err
	}
	if o.status < 100 || o.status > 599 {
		return o, fmt.Errorf("-status %d is not an HTTP status; write e.g. 200 or 503", o.status)
	}
	return o, nil
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another webhookreceiver running? choose another address with -listen)", o.listen, err)
	}
	srv := &http.Server{
		Handler:           newHandler(stdout, o),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(stderr, "webhookreceiver: listening on http://%s, answering %d; signatures: %s\n",
		ln.Addr(), o.status, o.verify.describe())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
