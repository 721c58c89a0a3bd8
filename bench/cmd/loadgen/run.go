package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/sentyr/webhookexporter/internal/bench"
)

type result struct {
	events    int64
	requests  int64
	bytes     int64
	refused   int64 // OTLP requests the collector refused (queue full) and were sent again
	elapsed   time.Duration
	cpu       time.Duration // the collector's CPU time during the load
	maxRSSKiB int64
}

// run loads one collector. With baseline set the collector has the debug
// exporter instead of webhook: what the receiver and pipeline cost alone.
func run(ctx context.Context, o options, baseline bool) (*result, error) {
	dir, err := os.MkdirTemp("", "webhook-load-")
	if err != nil {
		return nil, err
	}
	if o.keepDir {
		fmt.Fprintln(os.Stderr, "loadgen: run directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	s, err := startSink(o.format)
	if err != nil {
		return nil, err
	}
	defer s.close()

	otlpAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(collectorConfig(o, otlpAddr, s.url, baseline)), 0o600); err != nil {
		return nil, err
	}
	col, err := startCollector(o.collector, cfgPath, filepath.Join(dir, "collector.log"))
	if err != nil {
		return nil, err
	}
	defer col.stop()

	otlpURL := "http://" + otlpAddr + "/v1/logs"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.senders}}
	defer client.CloseIdleConnections()
	if err := waitReady(ctx, client, otlpURL, col); err != nil {
		return nil, err
	}

	body, err := plogotlp.NewExportRequestFromLogs(bench.Logs(o.batch)).MarshalProto()
	if err != nil {
		return nil, err
	}
	cpuBefore, err := procCPU(col.pid())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	refused, err := send(ctx, client, otlpURL, body, o)
	if err != nil {
		return nil, err
	}
	if !baseline {
		if err := s.waitFor(ctx, int64(o.events)); err != nil {
			return nil, fmt.Errorf("%w (the sink has %d of %d events; collector log: %s)", err, s.events.Load(), o.events, col.logTail())
		}
	}
	elapsed := time.Since(start)
	cpuAfter, err := procCPU(col.pid())
	if err != nil {
		return nil, err
	}
	events := s.events.Load()
	if baseline {
		// The debug exporter consumes synchronously: accepted is done.
		events = int64(o.events)
	}
	return &result{
		events:    events,
		requests:  s.requests.Load(),
		bytes:     s.bytes.Load(),
		refused:   refused,
		elapsed:   elapsed,
		cpu:       cpuAfter - cpuBefore,
		maxRSSKiB: procMaxRSSKiB(col.pid()),
	}, nil
}

// printRounds prints the round whose load had the median CPU per event,
// the median baseline, and the exporter's share as the median of each
// round's difference.
func printRounds(w io.Writer, o options, loads, bases []*result) {
	if len(bases) == 0 {
		medianRun(loads).print(w, o, nil)
		return
	}
	medianRun(loads).print(w, o, medianRun(bases))
	shares := make([]float64, len(loads))
	for i := range loads {
		shares[i] = loads[i].cpuPerMillion() - bases[i].cpuPerMillion()
	}
	fmt.Fprintf(w, "webhook exporter's share:  %.2f CPU s per million events (median of %d rounds' differences: %s)\n",
		median(shares), len(shares), formatAll(shares))
}

// medianRun is the run with the median CPU per event.
func medianRun(rs []*result) *result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b *result) int { return cmp.Compare(a.cpuPerMillion(), b.cpuPerMillion()) })
	return sorted[len(sorted)/2]
}

func median(xs []float64) float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	if n := len(sorted); n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[len(sorted)/2]
}

func formatAll(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

func (r *result) print(w io.Writer, o options, base *result) {
	also := ""
	if o.shared {
		also = ", pipeline shared with the debug exporter"
	}
	fmt.Fprintf(w, "load: %d events in %d OTLP/HTTP requests of %d, %d senders -> otelcol-webhook (format %s, num_consumers %d%s) -> loopback sink\n",
		r.events, (o.events+o.batch-1)/o.batch, o.batch, o.senders, o.format, o.consumers, also)
	fmt.Fprintf(w, "  wall time:               %.2f s\n", r.elapsed.Seconds())
	fmt.Fprintf(w, "  throughput:              %.0f events/s\n", float64(r.events)/r.elapsed.Seconds())
	fmt.Fprintf(w, "  collector CPU:           %.2f s (%.0f%% of one core)\n", r.cpu.Seconds(), 100*r.cpu.Seconds()/r.elapsed.Seconds())
	fmt.Fprintf(w, "  CPU per million events:  %.2f s\n", r.cpuPerMillion())
	fmt.Fprintf(w, "  webhook requests:        %d (%.0f bytes/event on the wire)\n", r.requests, float64(r.bytes)/float64(r.events))
	fmt.Fprintf(w, "  OTLP requests refused:   %d (queue full, sent again)\n", r.refused)
	if r.maxRSSKiB > 0 {
		fmt.Fprintf(w, "  collector peak RSS:      %.0f MiB\n", float64(r.maxRSSKiB)/1024)
	}
	if base != nil {
		fmt.Fprintf(w, "baseline: the same load into the same collector with the debug exporter (receiver and pipeline only)\n")
		fmt.Fprintf(w, "  throughput:              %.0f events/s\n", float64(base.events)/base.elapsed.Seconds())
		fmt.Fprintf(w, "  CPU per million events:  %.2f s\n", base.cpuPerMillion())
	}
}

func (r *result) cpuPerMillion() float64 {
	return r.cpu.Seconds() / float64(r.events) * 1e6
}

// send posts the OTLP body until o.events events are accepted. A refusal
// (the exporter's queue is full: 429/503) is sent again after a pause.
func send(ctx context.Context, client *http.Client, url string, body []byte, o options) (int64, error) {
	requests := int64((o.events + o.batch - 1) / o.batch)
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.senders)
	for range o.senders {
		wg.Go(func() {
			for next.Add(1) <= requests {
				for {
					status, err := post(ctx, client, url, body)
					if err != nil {
						errs <- err
						return
					}
					if status == http.StatusOK {
						break
					}
					if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
						errs <- fmt.Errorf("the collector answered %d to an OTLP request", status)
						return
					}
					refused.Add(1)
					select {
					case <-ctx.Done():
						errs <- ctx.Err()
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return refused.Load(), <-errs
}

func post(ctx context.Context, client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// waitReady polls the OTLP receiver with an empty request until it answers.
func waitReady(ctx context.Context, client *http.Client, url string, col *collector) error {
	empty, _ := plogotlp.NewExportRequest().MarshalProto()
	for {
		if status, err := post(ctx, client, url, empty); err == nil && status == http.StatusOK {
			return nil
		}
		if col.exited() {
			return fmt.Errorf("the collector exited at start-up: %s", col.logTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the collector did not start: %w; log: %s", ctx.Err(), col.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// collectorConfig is the run's collector config: OTLP/HTTP in, webhook
// out (and debug, when shared), the collector's own telemetry off so that
// it measures the pipeline.
func collectorConfig(o options, otlpAddr, sinkURL string, baseline bool) string {
	exporter := "webhook"
	settings := fmt.Sprintf("    endpoint: %s\n    format: %s\n", sinkURL, o.format)
	if o.format == "splunk_hec" {
		settings += "    splunk_hec:\n      token: 00000000-0000-0000-0000-000000000000\n"
	}
	settings += fmt.Sprintf("    sending_queue:\n      num_consumers: %d\n", o.consumers)
	const debugSettings = "    verbosity: basic\n"
	pipeline := exporter
	switch {
	case baseline:
		exporter, settings, pipeline = "debug", debugSettings, "debug"
	case o.shared:
		settings += "  debug:\n" + debugSettings
		pipeline = "webhook, debug"
	}
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  %s:
%sservice:
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [%s]
`, otlpAddr, exporter, settings, pipeline)
}

// procCPU reads a process's user and system CPU time from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s: USER_HZ is
// 100 on every Linux architecture Go supports).
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the collector's CPU time: %w", err)
	}
	// The command name (field 2) may hold spaces; fields count from its ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, errors.New("reading the collector's CPU time: /proc stat has no command name")
	}
	var state string
	var ppid, pgrp, session, tty, tpgid int
	var flags, minflt, cminflt, majflt, cmajflt, utime, stime uint64
	if _, err := fmt.Sscan(string(raw[i+1:]), &state, &ppid, &pgrp, &session, &tty, &tpgid,
		&flags, &minflt, &cminflt, &majflt, &cmajflt, &utime, &stime); err != nil {
		return 0, fmt.Errorf("reading the collector's CPU time: %w", err)
	}
	const userHZ = 100
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// procMaxRSSKiB is the process's peak resident memory, 0 if unknown.
func procMaxRSSKiB(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var kib int64
		if _, err := fmt.Sscanf(string(line), "VmHWM: %d kB", &kib); err == nil {
			return kib
		}
	}
	return 0
}
