// Command loadgen is `make load`: it starts the otelcol-webhook
// distribution once per pipeline, each format's webhook exporter pointed at
// a sink that answers as the format's service does and counts every event,
// and the nop exporter for the baseline; it sends a fixed number of events
// over OTLP/HTTP or as a JSONL file read by filelog, and prints a table of
// the collector's CPU seconds per million events (from /proc/<pid>/stat),
// each exporter's share (minus the nop baseline of the same round),
// events/s and peak RSS. Everything listens on 127.0.0.1, and the run ends
// by itself: after its rounds or -timeout, whichever comes first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type options struct {
	collector string
	events    int
	batch     int
	senders   int
	timeout   time.Duration
	formats   []string
	modes     []string
	consumers int
	window    int // OTLP events accepted but not yet delivered, at most; 0: no bound
	keepDir   bool
	rounds    int
	// shared: the nop exporter is in the webhook exporter's pipeline too,
	// as when events go to a SIEM and to an archive.
	shared bool
	// variants: measure the filelog receiver's settings instead.
	variants bool
	// profileDir: write a CPU profile of each pipeline's first round there.
	profileDir     string
	profileSeconds int
}

func main() {
	var o options
	var formatList, modeList string
	flag.StringVar(&o.collector, "collector", "./_build/otelcol-webhook", "the collector binary to run")
	flag.IntVar(&o.events, "events", 300_000, "events per pipeline and round")
	flag.IntVar(&o.batch, "batch", 1000, "events per OTLP request")
	flag.IntVar(&o.senders, "senders", 2, "concurrent OTLP senders")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "the longest the whole run may take")
	flag.StringVar(&formatList, "formats", strings.Join(formatNames, ","), "the exporter's formats, comma-separated ("+strings.Join(formatNames, ", ")+"); with -variants the first is the exporter of the rows with one")
	flag.StringVar(&modeList, "modes", "otlp,file", "the inputs, comma-separated: otlp (OTLP/HTTP protobuf requests), file (a JSONL file read by filelog)")
	flag.IntVar(&o.consumers, "num-consumers", 2, "the exporter's sending_queue::num_consumers")
	flag.IntVar(&o.window, "window", 20_000, "OTLP events sent but not yet at the sink, at most (0: send as fast as the collector accepts, and its queue holds the rest)")
	flag.BoolVar(&o.keepDir, "keep", false, "keep each run's directory (config, collector log)")
	flag.BoolVar(&o.shared, "shared", false, "the webhook exporter shares its pipeline with the nop exporter, as with a second destination")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every pipeline once, with its baseline; medians are printed")
	flag.BoolVar(&o.variants, "variants", false, "measure filelog's settings (file mode, nop exporter) and the exporter after them, instead of the formats' table")
	flag.StringVar(&o.profileDir, "profile", "", "write a CPU profile of each pipeline's collector in the first round to this directory (through the pprof extension)")
	flag.IntVar(&o.profileSeconds, "profile-seconds", 4, "how long each -profile profile runs")
	flag.Parse()
	o.formats = splitList(formatList)
	o.modes = splitList(modeList)
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if err := loadgen(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func loadgen(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "webhook-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.variants {
		o.modes = []string{"file"}
	}
	in, err := prepareInputs(o, dir)
	if err != nil {
		return err
	}
	jobs := tableJobs(o)
	if o.variants {
		jobs = variantJobs(o)
	}
	start := time.Now()
	results := map[string][]*result{}
	failed := map[string]error{}
	for r := range o.rounds {
		for _, j := range roundOrder(jobs, r) {
			if failed[j.String()] != nil {
				continue
			}
			profile := ""
			if o.profileDir != "" && r == 0 {
				profile = filepath.Join(o.profileDir, fileName(j.String())+".pprof")
			}
			res, err := run(ctx, o, j, in, profile)
			if err != nil {
				// A variant that does not work is a finding; a format
				// that loses events fails the run.
				if !o.variants || ctx.Err() != nil {
					return err
				}
				failed[j.String()] = err
				fmt.Fprintln(os.Stderr, "loadgen:", err)
				continue
			}
			results[j.String()] = append(results[j.String()], res)
		}
	}
	if o.variants {
		printVariants(os.Stdout, o, jobs, results, failed)
	} else {
		printTable(os.Stdout, o, jobs, results)
	}
	fmt.Printf("\n%d events per pipeline and round, %d rounds, wall time %s\n", o.events, o.rounds, time.Since(start).Round(time.Second))
	return nil
}

// tableJobs are the formats' table: for each mode its nop baseline and
// every format.
func tableJobs(o options) []job {
	var jobs []job
	for _, m := range o.modes {
		// OTLP requests come with 1,000 events already: no batching.
		var v receiverVariant
		if m == "file" {
			v = defaultVariant
		}
		jobs = append(jobs, job{mode: m, exporter: nop, variant: v})
		for _, f := range o.formats {
			jobs = append(jobs, job{mode: m, exporter: f, variant: v})
		}
	}
	return jobs
}

// variantJobs are every receiver variant with the nop exporter, then the
// reference receiver with the first format, with and without the
// exporter's batching.
func variantJobs(o options) []job {
	var jobs []job
	for _, v := range fileVariants {
		jobs = append(jobs, job{mode: "file", exporter: nop, variant: v})
	}
	unbatched := defaultVariant
	unbatched.name += ", without sending_queue::batch"
	unbatched.exporterBatch = 0
	return append(jobs,
		job{mode: "file", exporter: o.formats[0], variant: defaultVariant},
		job{mode: "file", exporter: o.formats[0], variant: unbatched})
}

// roundOrder rotates the jobs by the round, so that the machine's drift
// over a round falls on a different pipeline each time.
func roundOrder(jobs []job, round int) []job {
	k := round % len(jobs)
	return append(slices.Clone(jobs[k:]), jobs[:k]...)
}

func (o *options) check() error {
	switch {
	case o.events < 1 || o.events > 50_000_000:
		return errors.New("-events: write a number from 1 to 50000000")
	case o.batch < 1 || o.batch > 100_000:
		return errors.New("-batch: write a number from 1 to 100000")
	case o.senders < 1 || o.senders > 64:
		return errors.New("-senders: write a number from 1 to 64")
	case o.timeout <= 0 || o.timeout > 2*time.Hour:
		return errors.New("-timeout: write a duration up to 2h")
	case o.consumers < 1:
		return errors.New("-num-consumers: write 1 or more")
	case o.window < 0:
		return errors.New("-window: write 0 (no bound) or more")
	case o.rounds < 1 || o.rounds > 20:
		return errors.New("-rounds: write a number from 1 to 20")
	case len(o.formats) == 0:
		return errors.New("-formats: name at least one of " + strings.Join(formatNames, ", "))
	case len(o.modes) == 0:
		return errors.New("-modes: write otlp, file or otlp,file")
	case o.profileSeconds < 1 || o.profileSeconds > 60:
		return errors.New("-profile-seconds: write a number from 1 to 60")
	}
	for _, f := range o.formats {
		if _, ok := destinations[f]; !ok {
			return fmt.Errorf("-formats: %q is not one of %s", f, strings.Join(formatNames, ", "))
		}
	}
	for _, m := range o.modes {
		if m != "otlp" && m != "file" {
			return fmt.Errorf("-modes: %q is neither otlp nor file", m)
		}
	}
	if _, err := os.Stat(o.collector); err != nil {
		return fmt.Errorf("-collector: %v; build the distribution first (make dist)", err)
	}
	return nil
}
