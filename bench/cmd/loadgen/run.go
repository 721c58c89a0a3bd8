package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// job is one collector of a round: a mode, an exporter (a format or nop)
// and, in the file mode, the receiver's variant.
type job struct {
	mode     string
	exporter string
	variant  receiverVariant
}

func (j job) String() string {
	s := j.mode + " " + j.exporter
	if j.mode == "file" && j.variant.name != defaultVariant.name {
		s += " [" + j.variant.name + "]"
	}
	return s
}

type result struct {
	events    int64
	requests  int64
	bytes     int64
	refused   int64 // OTLP requests the collector refused (queue full) and were sent again
	elapsed   time.Duration
	cpu       time.Duration // the collector's CPU time during the load
	maxRSSKiB int64
}

func (r *result) cpuPerMillion() float64 { return r.cpu.Seconds() / float64(r.events) * 1e6 }
func (r *result) eventsPerSecond() float64 {
	return float64(r.events) / r.elapsed.Seconds()
}

// inputs are what every run of a loadgen invocation sends: the OTLP
// requests' templates and the JSONL file, made once.
type inputs struct {
	full, last template // a request of o.batch events, and the last one's rest
	file       string   // the file mode's JSONL, o.events lines
}

func prepareInputs(o options, dir string) (*inputs, error) {
	in := &inputs{}
	var err error
	if in.full, err = otlpTemplate(o.batch); err != nil {
		return nil, err
	}
	if in.last, err = otlpTemplate(o.events % o.batch); err != nil {
		return nil, err
	}
	for _, m := range o.modes {
		if m == "file" {
			in.file = filepath.Join(dir, "events.jsonl")
			if err := writeEventsFile(in.file, o.events, o.batch); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

// runLimit bounds one collector's run, so a variant that never delivers
// fails alone.
const runLimit = 3 * time.Minute

// run loads one collector with o.events events and measures it.
func run(ctx context.Context, o options, j job, in *inputs, profile string) (*result, error) {
	ctx, cancel := context.WithTimeout(ctx, runLimit)
	defer cancel()
	dir, err := os.MkdirTemp("", "webhook-load-")
	if err != nil {
		return nil, err
	}
	if o.keepDir {
		fmt.Fprintln(os.Stderr, "loadgen: run directory", dir, "for", j)
	} else {
		defer os.RemoveAll(dir)
	}

	spec := pipelineSpec{mode: j.mode, exporter: j.exporter, variant: j.variant, consumers: o.consumers, shared: o.shared}
	var s *sink
	if j.exporter != nop {
		if s, err = startSink(j.exporter, o.events); err != nil {
			return nil, err
		}
		defer s.close()
		spec.sinkURL = s.url
	}
	if spec.otlpAddr, err = freeLoopbackAddr(); err != nil {
		return nil, err
	}
	if j.mode == "file" {
		spec.filePath = filepath.Join(dir, "events.jsonl")
		if spec.metrics, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
	}
	if profile != "" {
		if spec.pprofAddr, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(collectorConfig(spec)), 0o600); err != nil {
		return nil, err
	}
	col, err := startCollector(o.collector, cfgPath, filepath.Join(dir, "collector.log"), j.variant.featureGates)
	if err != nil {
		return nil, err
	}
	defer col.stop()

	otlpURL := "http://" + spec.otlpAddr + "/v1/logs"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.senders}}
	defer client.CloseIdleConnections()
	if err := waitReady(ctx, client, otlpURL, col); err != nil {
		return nil, err
	}

	cpuBefore, err := procCPU(col.pid())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var refused int64
	// The profile starts with the load: sending OTLP blocks until the
	// last request is accepted.
	var profiled chan error
	if profile != "" {
		profiled = make(chan error, 1)
		go func() { profiled <- fetchProfile(ctx, client, spec.pprofAddr, profile, o.profileSeconds) }()
	}
	if j.mode == "file" {
		// A hard link makes the whole file appear at once.
		if err := os.Link(in.file, spec.filePath); err != nil {
			return nil, err
		}
	} else {
		var delivered func() int64
		if s != nil {
			delivered = s.events.Load
		}
		if refused, err = send(ctx, client, otlpURL, in, o, delivered); err != nil {
			return nil, err
		}
	}
	switch {
	case s != nil:
		err = s.waitFor(ctx)
	case j.mode == "file":
		err = waitAccepted(ctx, client, spec.metrics, int64(o.events))
	}
	if err != nil {
		got := int64(o.events)
		if s != nil {
			got = s.events.Load()
		}
		return nil, fmt.Errorf("%s: %w (%d of %d events delivered; collector log: %s)", j, err, got, o.events, col.logTail())
	}
	elapsed := time.Since(start)
	cpuAfter, err := procCPU(col.pid())
	if err != nil {
		return nil, err
	}
	res := &result{
		events:    int64(o.events),
		refused:   refused,
		elapsed:   elapsed,
		cpu:       cpuAfter - cpuBefore,
		maxRSSKiB: procMaxRSSKiB(col.pid()),
	}
	if profiled != nil {
		if err := <-profiled; err != nil {
			return nil, err
		}
	}
	col.stop()
	if s != nil {
		// Events sent twice after the count was reached show only now.
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", j, err)
		}
		res.requests, res.bytes = s.requests.Load(), s.bytes.Load()
	}
	return res, nil
}

// send posts the OTLP requests until every event is accepted, each
// request's events numbered from its first. A refusal (the exporter's
// queue is full: 429/503) is sent again after a pause. With delivered
// (the sink's count) and o.window set, a request waits until no more
// than o.window events are accepted but not delivered: a steady load, not
// a burst that the exporter's queue holds (and the collector's memory
// with it).
func send(ctx context.Context, client *http.Client, url string, in *inputs, o options, delivered func() int64) (int64, error) {
	requests := int64((o.events + o.batch - 1) / o.batch)
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.senders)
	for range o.senders {
		wg.Go(func() {
			var body []byte
			for r := next.Add(1) - 1; r < requests; r = next.Add(1) - 1 {
				t := in.full
				if first := int(r) * o.batch; o.events-first < o.batch {
					t = in.last
				}
				body = t.fill(body, int(r)*o.batch)
				for delivered != nil && o.window > 0 && int(r)*o.batch-int(delivered()) > o.window {
					select {
					case <-ctx.Done():
						errs <- ctx.Err()
						return
					case <-time.After(time.Millisecond):
					}
				}
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

// waitAccepted polls the collector's metrics until the filelog receiver
// has handed on n records: with the nop exporter that is when the
// pipeline is done.
func waitAccepted(ctx context.Context, client *http.Client, addr string, n int64) error {
	for {
		got, err := acceptedRecords(ctx, client, "http://"+addr+"/metrics")
		if err == nil && got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for filelog to accept %d records (%d so far, %v): %w", n, got, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// acceptedRecords reads otelcol_receiver_accepted_log_records of the
// filelog receiver from the Prometheus text at url.
func acceptedRecords(ctx context.Context, client *http.Client, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return parseAccepted(resp.Body)
}

func parseAccepted(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var sum float64
	found := false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "otelcol_receiver_accepted_log_records") || !strings.Contains(line, `receiver="filelog"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		sum += v
		found = true
	}
	if !found {
		return 0, errors.New("no otelcol_receiver_accepted_log_records for filelog yet")
	}
	return int64(sum), sc.Err()
}

// fetchProfile writes a CPU profile of the collector, taken through the
// pprof extension, to path.
func fetchProfile(ctx context.Context, client *http.Client, addr, path string, seconds int) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("profiling the collector: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profiling the collector: %s", resp.Status)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
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
