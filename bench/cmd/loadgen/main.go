// Command loadgen is `make load`: it starts the otelcol-webhook
// distribution with an OTLP/HTTP receiver and the webhook exporter pointed
// at a sink of its own, sends a fixed number of events over OTLP/HTTP,
// waits until the sink has them all, and prints events/s and the
// collector's CPU seconds per million events (from /proc/<pid>/stat).
// Everything listens on 127.0.0.1, and the run ends by itself: after
// -events events or -timeout, whichever comes first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

type options struct {
	collector string
	events    int
	batch     int
	senders   int
	timeout   time.Duration
	format    string
	consumers int
	keepDir   bool
	baseline  bool
	rounds    int
	// shared: the debug exporter is in the webhook exporter's pipeline too,
	// as when events go to a SIEM and to an archive.
	shared bool
}

func main() {
	var o options
	flag.StringVar(&o.collector, "collector", "./_build/otelcol-webhook", "the collector binary to run")
	flag.IntVar(&o.events, "events", 200_000, "events to send in all")
	flag.IntVar(&o.batch, "batch", 1000, "events per OTLP request")
	flag.IntVar(&o.senders, "senders", 2, "concurrent OTLP senders")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "the longest the run may take, start-up included")
	flag.StringVar(&o.format, "format", "json", "the exporter's format: json or splunk_hec")
	flag.IntVar(&o.consumers, "num-consumers", 2, "the exporter's sending_queue::num_consumers")
	flag.BoolVar(&o.keepDir, "keep", false, "keep the run's directory (config, collector log)")
	flag.BoolVar(&o.baseline, "baseline", true, "also run the same load with the debug exporter, for the receiver's share")
	flag.BoolVar(&o.shared, "shared", false, "the webhook exporter shares its pipeline with the debug exporter (the baseline's), as with a second destination")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the load (each with its baseline right after); medians are printed")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	// Rounds alternate the two loads, so that the machine's drift falls
	// on both: the exporter's share is a difference of two loads, and
	// runs of one load alone vary by more than that share.
	var loads, bases []*result
	for range o.rounds {
		res, err := run(ctx, o, false)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		loads = append(loads, res)
		if o.baseline {
			base, err := run(ctx, o, true)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadgen: baseline:", err)
				os.Exit(1)
			}
			bases = append(bases, base)
		}
	}
	printRounds(os.Stdout, o, loads, bases)
}

func (o *options) check() error {
	switch {
	case o.events < 1 || o.events > 50_000_000:
		return errors.New("-events: write a number from 1 to 50000000")
	case o.batch < 1 || o.batch > 100_000:
		return errors.New("-batch: write a number from 1 to 100000")
	case o.senders < 1 || o.senders > 64:
		return errors.New("-senders: write a number from 1 to 64")
	case o.timeout <= 0 || o.timeout > 30*time.Minute:
		return errors.New("-timeout: write a duration up to 30m")
	case o.format != "json" && o.format != "splunk_hec":
		return errors.New(`-format: write "json" or "splunk_hec"`)
	case o.consumers < 1:
		return errors.New("-num-consumers: write 1 or more")
	case o.rounds < 1 || o.rounds > 20:
		return errors.New("-rounds: write a number from 1 to 20")
	}
	if _, err := os.Stat(o.collector); err != nil {
		return fmt.Errorf("-collector: %v; build the distribution first (make dist)", err)
	}
	return nil
}
